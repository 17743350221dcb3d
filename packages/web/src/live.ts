import { Observable } from 'rxjs';
import { EventSeries, inputRecordingStats, PreprocessingSpec, Recording, recordingGrid, Signal } from '@fusion/core/live';
import { E4_EVENTS, E4_FILES, E4_NOMINAL_RATES, parseE4Ibi, parseE4Signal } from '@fusion/sensors/e4-text';
import {
  createCounters,
  LatencyRecorder,
  parseLine,
  PredictionEvent,
  recordingStats,
  replaySource,
  SampleChunk,
  SensorStats,
  StreamCounters,
  StreamEvent,
  streamPipeline,
} from '@fusion/stream/live';
import type { FusionBundle } from './bundle';

// Live inference in a page with the operators of `fusion-cli stream` (@fusion/stream/live): the same alignment,
// resampling, windowing and normalisation, fed from dropped E4 files or a WebSocket of NDJSON sample lines.

export { E4_FILES, parseE4Ibi, parseE4Signal, parseLine, recordingStats, replaySource };

/** A dropped file: its name (ACC.csv, BVP.csv, ...) and bytes. */
export interface DroppedFile {
  name: string;
  bytes: Uint8Array;
}

/** The E4 export file of each event series (IBI.csv: a beat's offset and interval per row). */
const E4_EVENT_FILES: Readonly<Record<string, string>> = { ibi: 'IBI.csv' };

/**
 * An E4 export (ACC.csv, BVP.csv, EDA.csv, TEMP.csv, HR.csv with the E4 header: start time, then rate; IBI.csv for an
 * `ibi` input, as events) as a recording of the bundle's sensors; other files are ignored. Throws naming a missing file.
 */
export function readE4Files(files: readonly DroppedFile[], sensors: readonly string[], subject = 'recording'): Recording {
  const byName = new Map(files.map((f) => [f.name.split('/').pop()?.toUpperCase(), f]));
  const fileOf = (s: string): string | undefined => E4_FILES[s] ?? (E4_EVENTS.includes(s) ? E4_EVENT_FILES[s] : undefined);
  const signals: Record<string, Signal> = {};
  const events: Record<string, EventSeries> = {};
  for (const s of sensors) {
    const fileName = fileOf(s);
    if (!fileName) throw new RangeError(`the bundle needs sensor "${s}", which an E4 export does not have (it has ${[...Object.keys(E4_FILES), ...E4_EVENTS].join(', ')}).`);
    const f = byName.get(fileName.toUpperCase());
    if (!f) throw new RangeError(`${fileName} is missing: the bundle needs ${sensors.map(fileOf).join(', ')}; drop all of them together.`);
    if (E4_FILES[s]) signals[s] = parseE4Signal(f.bytes, f.name, s);
    else events[s] = parseE4Ibi(f.bytes, f.name);
  }
  return { subject, signals, labels: [], source: subject, ...(Object.keys(events).length ? { events } : {}) };
}

export interface LiveOptions {
  /** `recording`: z-score with the whole recording's statistics (replay, as evaluation did); `running` (default): running statistics. */
  norm?: 'running' | 'recording';
  /** With `recording`: the recording (its statistics and grid origin are computed from it). */
  recording?: Recording;
  /** Seconds of grid before running statistics are trusted (default 60). */
  warmupSeconds?: number;
  counters?: StreamCounters;
}

/**
 * The stream pipeline of `fusion-cli stream` around a loaded bundle: sample chunks in, events out. A bundle with
 * inputs at their own rates is windowed per input by the stream package's `multiRateWindows`, and one with several
 * outputs gives every output's probabilities (`event.outputs`), exactly as `fusion-cli stream`.
 */
export function livePredictions(bundle: FusionBundle, chunks: Observable<SampleChunk>, opts: LiveOptions = {}): Observable<StreamEvent> {
  const m = bundle.manifest;
  const preprocessing: PreprocessingSpec = { sampleRate: m.sampleRate, window: m.window, hop: m.hop, normalize: m.normalization.mode, maxMissing: m.maxMissing, label: { target: m.label.target, mapping: m.label.mapping, threshold: m.label.threshold, classes: m.classes }, augment: { noise: 0, copies: 0 } };
  const known = new Map<string, { origin?: number; stats?: SensorStats[] }>();
  if (opts.recording) {
    const rec = opts.recording;
    // per input at its own rate for inputs at their own rates, as `fusion-cli stream` does
    const stats = bundle.parts ? inputRecordingStats(rec, bundle.parts, preprocessing) : recordingStats(rec, m.sensors, preprocessing);
    // the grid starts where batch evaluation starts it, as `loadReplay` sets it for `fusion-cli stream`
    // (event series such as ibi have no grid of their own: the regular signals fix it, as in training)
    const origin = recordingGrid(rec, m.sensors.filter((s) => !rec.events?.[s] || rec.signals[s]), { ...preprocessing, normalize: 'none' }).start;
    known.set(rec.subject, { origin, stats: opts.norm === 'recording' ? stats : undefined });
  }
  return chunks.pipe(
    streamPipeline({
      // the bundle is the Predictor: one input or inputs at their own rates, one output or several
      model: bundle,
      preprocessing,
      norm: opts.norm ?? 'running',
      warmupSeconds: opts.warmupSeconds,
      known: (id) => known.get(id),
      rates: E4_NOMINAL_RATES,
      counters: opts.counters ?? createCounters(),
      latency: new LatencyRecorder(),
    })
  );
}

/** Replays a dropped recording as fast as the pipeline takes it. */
export function replayRecording(bundle: FusionBundle, rec: Recording, norm: 'running' | 'recording' = 'recording'): Observable<StreamEvent> {
  return livePredictions(bundle, replaySource(rec, { speed: 'max', sensors: bundle.sensors, stream: rec.subject }), { norm, recording: rec });
}

/** NDJSON sample lines (as `fusion-cli stream` reads them) from a WebSocket; malformed lines are counted, not fatal. */
export function webSocketChunks(url: string, counters: StreamCounters = createCounters()): Observable<SampleChunk> {
  return new Observable<SampleChunk>((sub) => {
    const ws = new WebSocket(url);
    let rest = '';
    ws.onmessage = (ev) => {
      const text = rest + String(ev.data);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      // a message is one or more whole lines; a last line without newline is one too
      if (rest && !String(ev.data).endsWith('\n')) {
        lines.push(rest);
        rest = '';
      }
      for (const line of lines) {
        if (!line.trim()) continue;
        const x = parseLine(line);
        if (typeof x === 'string') counters.malformed++;
        else sub.next(x);
      }
    };
    ws.onerror = () => sub.error(new Error(`WebSocket ${url}: connection failed`));
    ws.onclose = () => sub.complete();
    return () => ws.close();
  });
}

export type { PredictionEvent, StreamEvent };
