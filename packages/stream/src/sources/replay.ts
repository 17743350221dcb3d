import * as path from 'path';
import {
  callPluginAsync,
  checkReadRecording,
  DatasetAdapter,
  DatasetError,
  pathKind,
  PluginRegistry,
  PreprocessingSpec,
  Recording,
  recordingGrid,
  ReplayNotSupportedError,
} from '@fusion/core';

export { recordingStats, ReplayOptions, replaySource } from './replay-source';

export interface ReplayRecording {
  /** Stream id of the replay: the recording's subject (participant id or export folder name). */
  stream: string;
  recording: Recording;
  /** Where batch evaluation starts its grid for this recording (the debate start for K-EmoCon). */
  origin: number;
  /** The dataset adapter that read it. */
  adapter: string;
}

export interface LoadReplayOptions {
  /** The dataset adapters that may read it (the registry: built-ins and the run's plugins). */
  adapters: PluginRegistry<DatasetAdapter>;
  /** Asked first: the run's dataset type (its spec's `dataset.type`); then every other adapter, by type. */
  prefer?: string;
  /** Only this adapter is asked (`--dataset <type>`). */
  only?: string;
  /** The model's sensors. */
  sensors: readonly string[];
  preprocessing: PreprocessingSpec;
  warn?: (message: string) => void;
}

/**
 * Reads a recording to replay through the dataset adapters' `readRecording`: stream knows no dataset layout. The run's
 * own adapter is asked first, then the others (the first that recognises `location` reads it), or only `only`. The
 * origin is where `recordingGrid` starts evaluation's grid for it (the debate start for K-EmoCon).
 */
export async function loadReplay(location: string, o: LoadReplayOptions): Promise<ReplayRecording> {
  const abs = path.resolve(location);
  if (pathKind(abs) === 'missing') throw new DatasetError(`replay recording not found: ${abs}. Give a recording folder or file, e.g. replay:data/e4_data/1@10.`);
  const adapters: DatasetAdapter[] =
    o.only !== undefined ? [o.adapters.get(o.only)] : [...(o.prefer !== undefined && o.adapters.has(o.prefer) ? [o.adapters.get(o.prefer)] : []), ...o.adapters.all().filter((a) => a.type !== o.prefer)];
  const ctx = { sensors: o.sensors, warn: o.warn ?? ((): void => undefined) };
  const asked: string[] = [];
  for (const a of adapters) {
    const read = a.readRecording;
    if (typeof read !== 'function') continue;
    asked.push(a.type);
    const origin = o.adapters.originOf(a.type);
    const rec = checkReadRecording(origin, a.type, await callPluginAsync(origin, `dataset adapter "${a.type}" readRecording()`, async () => read.call(a, abs, ctx)));
    if (!rec) continue;
    // event series (ibi) have no grid of their own: the regular signals fix the origin, as in training
    const grid = recordingGrid(rec, o.sensors.filter((s) => !rec.events?.[s] || rec.signals[s]), { ...o.preprocessing, normalize: 'none' });
    return { stream: rec.subject, recording: rec, origin: grid.start, adapter: a.type };
  }
  const first = adapters[0];
  const fix = 'Add readRecording(location, ctx) to the adapter (packages/core/README.md, "Dataset adapters"), or give a recording another adapter reads with --dataset <type>.';
  if (first && typeof first.readRecording !== 'function' && (o.only !== undefined || first.type === o.prefer)) {
    const others = asked.length ? ` None of the other adapters (${asked.join(', ')}) reads it either.` : '';
    throw new ReplayNotSupportedError(first.type, o.adapters.originOf(first.type), abs, `It is ${o.only !== undefined ? 'the one --dataset names' : "the run's dataset adapter"}.${others} ${fix}`);
  }
  const unable = adapters.filter((a) => typeof a.readRecording !== 'function').map((a) => a.type);
  throw new DatasetError(
    `${abs} is not a recording any dataset adapter reads (asked: ${asked.join(', ') || 'none'}${unable.length ? `; without readRecording: ${unable.join(', ')}` : ''}). ` +
      'Give a folder or file in one of their layouts (`fusion-cli plugins` describes them), e.g. an E4 export folder (ACC.csv, BVP.csv, ...) or a K-EmoCon participant folder (.../e4_data/<pid>).'
  );
}
