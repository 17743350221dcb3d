import { Observable } from 'rxjs';
import { DatasetError, PreprocessingSpec, Recording, recordingGrid, Signal, stats } from '@fusion/core/live';
import type { SampleChunk, SensorStats } from '../types';

// Replaying a recording already in memory, free of Node modules (the web demo replays dropped E4 files with it).

/** Yields to the event loop: setImmediate where there is one (Node), else a zero timeout (browsers). */
const later: (f: () => void) => void = typeof setImmediate === 'function' ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);

/**
 * Statistics of each sensor over the whole recording on the model's grid: exactly what per-subject normalisation in
 * batch evaluation uses (`recordingGrid` then `stats`).
 */
export function recordingStats(rec: Recording, sensors: readonly string[], p: PreprocessingSpec): SensorStats[] {
  return recordingGrid(rec, sensors, { ...p, normalize: 'none' }).values.map((v) => stats(v));
}

export interface ReplayOptions {
  /** Times real time, or 'max' for as fast as the pipeline takes it. */
  speed: number | 'max';
  /** Sensors to send (default all of the recording's). */
  sensors?: readonly string[];
  /** Stream id (default the recording's subject). */
  stream?: string;
  /** Stream seconds per chunk (default 1), at every speed: keep it below the reorder tolerance. */
  chunkSeconds?: number;
  /** Awaited before each chunk at 'max' speed (backpressure). */
  room?: () => Promise<void>;
  /** Wall ms between chunks at a finite speed (default 100). */
  tickMs?: number;
}

/**
 * Replays a recording as sample chunks in time order: sample i of a signal at t0 + i / fs (gaps in the file, NaN, are
 * not sent), and each wanted event series (e.g. `ibi`) as one-channel samples at its event times, as a live sender would
 * send beats. At a finite speed chunks follow the wall clock; at 'max' they go as fast as `room` allows.
 */
export function replaySource(rec: Recording, options: ReplayOptions): Observable<SampleChunk> {
  const speed = options.speed;
  if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) throw new RangeError(`replaySource: speed must be a positive number or "max", received ${speed}`);
  const names = (options.sensors ?? Object.keys(rec.signals)).filter((s) => rec.signals[s]);
  const eventNames = (options.sensors ?? []).filter((s) => !rec.signals[s] && rec.events?.[s]);
  const evs = eventNames.map((n) => rec.events![n]);
  const nextEvent = evs.map(() => 0);
  if (!names.length) throw new DatasetError(`nothing to replay: the recording has none of the sensors ${(options.sensors ?? []).join(', ')}.`);
  const stream = options.stream ?? rec.subject;
  const sigs = names.map((n) => rec.signals[n]);
  const count = (s: Signal): number => Math.floor(s.data.length / s.channels);
  const start = Math.min(...sigs.map((s) => s.t0));
  const end = Math.max(...sigs.map((s) => s.t0 + count(s) / s.fs));
  const next = sigs.map(() => 0);
  /** The chunks of every sensor with samples before `until`. */
  const take = (until: number): SampleChunk[] => {
    const out: SampleChunk[] = [];
    sigs.forEach((s, j) => {
      const n = count(s);
      const i0 = next[j];
      let i1 = i0;
      while (i1 < n && s.t0 + i1 / s.fs < until) i1++;
      next[j] = i1;
      const idx: number[] = [];
      for (let i = i0; i < i1; i++) if (Number.isFinite(s.data[i * s.channels])) idx.push(i);
      if (!idx.length) return;
      const C = s.channels;
      const times = new Float64Array(idx.length);
      const values = new Float32Array(idx.length * C);
      idx.forEach((i, k) => {
        times[k] = s.t0 + i / s.fs;
        values.set(s.data.subarray(i * C, (i + 1) * C), k * C);
      });
      out.push({ stream, sensor: names[j], times, values, channels: C, fs: s.fs });
    });
    evs.forEach((ev, j) => {
      const i0 = nextEvent[j];
      let i1 = i0;
      while (i1 < ev.times.length && ev.times[i1] < until) i1++;
      nextEvent[j] = i1;
      if (i1 > i0) out.push({ stream, sensor: eventNames[j], times: ev.times.slice(i0, i1), values: ev.values.slice(i0, i1), channels: 1 });
    });
    return out;
  };
  // Both speeds send the same chunks: every sensor's samples of [start + k step, start + (k+1) step), in k order. A
  // finite speed only decides when chunk k goes out (once the wall clock has reached its end), never how the samples
  // are cut: chunks spanning many seconds per sensor would hand the reorder stage one sensor's future before the others'
  // present, and every window would look "missing" (the bug of `@100` on a 55-min recording).
  const step = options.chunkSeconds ?? 1;
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`replaySource: chunkSeconds must be a positive number, received ${step}`);
  const chunks = Math.max(1, Math.ceil((end - start) / step));
  return new Observable<SampleChunk>((subscriber) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let k = 0;
    /** Sends chunk k; the last one takes everything left. */
    const sendNext = (): void => {
      for (const c of take(k + 1 >= chunks ? Infinity : start + (k + 1) * step)) subscriber.next(c);
      k++;
    };
    if (speed === 'max') {
      (async (): Promise<void> => {
        while (k < chunks && !stopped) {
          if (options.room) await options.room();
          else await new Promise<void>((r) => later(r));
          if (stopped) return;
          sendNext();
        }
        if (!stopped) subscriber.complete();
      })().catch((e) => subscriber.error(e));
    } else {
      const wall0 = Date.now();
      const tick = (): void => {
        const until = start + ((Date.now() - wall0) / 1000) * speed;
        while (k < chunks && (k + 1 >= chunks ? end : start + (k + 1) * step) <= until) sendNext();
        if (k >= chunks) subscriber.complete();
        else timer = setTimeout(tick, options.tickMs ?? 100);
      };
      timer = setTimeout(tick, 0);
    }
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  });
}
