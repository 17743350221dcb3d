import * as path from 'path';
import { ContainerModule } from 'inversify';
import { Dataset, DatasetAdapter, DatasetAdapterContribution, LoadContext, PluginConfig, statDirectory } from '@fusion/core';
import { duplicateRecordings } from './duplicates';
import { folderSchema } from './folder-schema';
import { E4_SENSORS, readE4Folder, readE4Recording } from './e4-reader';
import { Annotator, ANNOTATORS, KEMOCON_TARGETS, readKEmoCon, readKEmoConRecording } from './kemocon-reader';
import { E4_EVENTS, E4_NOMINAL_RATES } from './e4-parse';
import { generateSynthetic, SYNTHETIC_DEFAULTS, syntheticCacheName } from './synthetic';
import { stressPredictAdapter } from './stress-predict';

export interface KEmoConConfig extends PluginConfig {
  type: 'kemocon';
  path: string;
  annotator?: Annotator;
  participants?: (number | string)[];
}

export interface SyntheticConfig extends PluginConfig {
  type: 'synthetic';
  participants?: number;
  minutes?: number;
  effect?: number;
  seed?: number;
  dir?: string;
}

export interface E4Config extends PluginConfig {
  type: 'e4';
  path: string;
}

/** Resolves a spec path and fails with the absolute path and the spec value when the folder is missing. */
function existingFolder(ctx: LoadContext, given: string): string {
  const abs = path.resolve(ctx.baseDir, given);
  statDirectory(
    abs,
    'dataset folder',
    `(from "path": ${JSON.stringify(given)} in the spec) Fix the path; relative paths are resolved against the spec file's folder (${ctx.baseDir}).`
  );
  return abs;
}

/** The requested sensors this package can read; all of them when the spec asks for none we know. */
function wanted(ctx: LoadContext): string[] {
  const s = ctx.sensors.filter((x) => E4_SENSORS.includes(x));
  return s.length ? s : [...E4_SENSORS];
}

export const kemoconAdapter: DatasetAdapter<KEmoConConfig> = {
  type: 'kemocon',
  description: 'K-EmoCon: e4_data/<pid>/E4_*.csv, metadata/subjects.csv and 5-s self/partner/external arousal-valence annotations',
  sensors: E4_SENSORS,
  labels: KEMOCON_TARGETS,
  rates: E4_NOMINAL_RATES,
  events: E4_EVENTS,
  schema: folderSchema('kemocon', 'dataset root (holds e4_data/, metadata/, emotion_annotations/)', {
    annotator: { enum: [...ANNOTATORS], default: 'external', description: 'whose annotations become the labels' },
    participants: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { anyOf: [{ type: 'integer', minimum: 0, maximum: 999999 }, { type: 'string', minLength: 1 }] },
      description: 'participant ids to read (default all)',
    },
  }),
  async load(config: KEmoConConfig, ctx: LoadContext): Promise<Dataset> {
    const root = existingFolder(ctx, config.path);
    return readKEmoCon(root, { annotator: config.annotator ?? 'external', participants: config.participants, sensors: wanted(ctx) });
  },
  readRecording: readKEmoConRecording,
};

/**
 * Most participants x minutes a synthetic dataset may have: about 250 KB of CSV and 0.1 s to write per
 * participant-minute, so the bound keeps it near 500 MB and a few minutes (the schema alone would allow 500 x 600).
 */
export const MAX_SYNTHETIC_PARTICIPANT_MINUTES = 2000;

export const syntheticAdapter: DatasetAdapter<SyntheticConfig> = {
  type: 'synthetic',
  description: 'a deterministic synthetic dataset written in the K-EmoCon layout (cached) and read back by the K-EmoCon reader',
  sensors: E4_SENSORS,
  labels: KEMOCON_TARGETS,
  rates: E4_NOMINAL_RATES,
  events: E4_EVENTS,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'synthetic' },
      participants: { type: 'integer', minimum: 1, maximum: 500, default: SYNTHETIC_DEFAULTS.participants },
      minutes: { type: 'number', minimum: 0.1, maximum: 600, default: SYNTHETIC_DEFAULTS.minutes },
      effect: { type: 'number', minimum: 0, maximum: 100, default: SYNTHETIC_DEFAULTS.effect, description: 'emotion effect size; 0 = signals independent of labels' },
      seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: SYNTHETIC_DEFAULTS.seed },
      dir: { type: 'string', minLength: 1, description: 'where to write it (default: a folder named by the options under the cache dir)' },
    },
  },
  check(config: SyntheticConfig) {
    const participants = config.participants ?? SYNTHETIC_DEFAULTS.participants;
    const minutes = config.minutes ?? SYNTHETIC_DEFAULTS.minutes;
    if (participants * minutes <= MAX_SYNTHETIC_PARTICIPANT_MINUTES) return [];
    return [
      {
        path: '/minutes',
        message:
          `participants x minutes = ${participants} x ${minutes} = ${participants * minutes} participant-minutes (about ${Math.round((participants * minutes) / 4)} MB of CSV); ` +
          `expected at most ${MAX_SYNTHETIC_PARTICIPANT_MINUTES}. Use fewer participants or minutes.`,
      },
    ];
  },
  async load(config: SyntheticConfig, ctx: LoadContext): Promise<Dataset> {
    const options = { participants: config.participants, minutes: config.minutes, effect: config.effect, seed: config.seed };
    const dir = config.dir !== undefined ? path.resolve(ctx.baseDir, config.dir) : path.join(ctx.cacheDir, syntheticCacheName(options));
    const made = generateSynthetic(dir, options);
    const ds = readKEmoCon(made.dir, { annotator: 'external', sensors: wanted(ctx) });
    const o = made.options;
    return { ...ds, name: `synthetic(participants=${o.participants}, minutes=${o.minutes}, effect=${o.effect}, seed=${o.seed})` };
  },
  // the generated data is in the K-EmoCon layout: <dir>/e4_data/<pid>
  readRecording: readKEmoConRecording,
};

export const e4Adapter: DatasetAdapter<E4Config> = {
  type: 'e4',
  description: 'Empatica E4 export folder(s): one export, or one subfolder per subject; no labels (for replay and reading)',
  sensors: E4_SENSORS,
  rates: E4_NOMINAL_RATES,
  events: E4_EVENTS,
  schema: folderSchema('e4', 'an E4 export folder or a folder of per-subject export folders'),
  async load(config: E4Config, ctx: LoadContext): Promise<Dataset> {
    const root = existingFolder(ctx, config.path);
    const recordings = readE4Folder(root, [...wanted(ctx), ...ctx.sensors.filter((s) => E4_EVENTS.includes(s))]);
    const copies = duplicateRecordings(recordings);
    return { name: `e4:${root}`, recordings, warnings: copies ? [`${root}: ${copies}`] : [] };
  },
  readRecording: readE4Recording,
};

/** Binds the four dataset adapters of this package into a container (core collects them into its registry). */
export const sensorsModule = new ContainerModule((bind) => {
  bind(DatasetAdapterContribution).toConstantValue(kemoconAdapter);
  bind(DatasetAdapterContribution).toConstantValue(syntheticAdapter);
  bind(DatasetAdapterContribution).toConstantValue(e4Adapter);
  bind(DatasetAdapterContribution).toConstantValue(stressPredictAdapter);
});
