import { Observable, OperatorFunction } from 'rxjs';
import { reducerFor, resampleToGrid, Signal } from '@fusion/core/live';
import type { StreamCounters } from './counters';
import type { Frame, Sample } from './types';

export interface AlignOptions {
  /** The model's sensors, in channel order. */
  sensors: readonly string[];
  /** The model's grid rate (Hz), spec.preprocessing.sampleRate. */
  sampleRate: number;
  /** Nominal rate (Hz) of each sensor when samples do not declare one (batch form `fs`). */
  rates: Readonly<Record<string, number>>;
  /** Time of grid point 0 (e.g. the debate start); by default the first sample's time floored to the grid. */
  origin?: number;
  /** Seconds of raw samples kept per sensor (default 60); bounds memory and the longest gap bridged with NaN frames. */
  bufferSeconds?: number;
  counters?: Pick<StreamCounters, 'ignored' | 'overflow'>;
}

interface SensorRing {
  fs: number;
  channels: number;
  anchor: number;
  cap: number;
  data: Float32Array;
  /** Lowest sample index still held; `top` is one past the highest written. */
  base: number;
  top: number;
}

/**
 * Turns the time-ordered samples of one stream into frames on the model's grid (one value per model sensor, NaN where
 * a sensor has no data). Each sensor's samples are placed at their nominal index in a bounded ring (as the readers
 * place file rows) and resampled with the training code, `resampleToGrid` with `reducerFor` (acc -> magnitude). A grid
 * point is emitted once the stream has advanced one source period past it, so interpolation sees both neighbours.
 */
export function alignResample(options: AlignOptions): OperatorFunction<Sample, Frame> {
  const { sensors, sampleRate: F, rates } = options;
  const bufferSeconds = options.bufferSeconds ?? 60;
  if (!sensors.length) throw new RangeError('alignResample: sensors must not be empty');
  if (!(F > 0) || !Number.isFinite(F)) throw new RangeError(`alignResample: sampleRate must be a positive number, received ${F}`);
  if (!(bufferSeconds > 0)) throw new RangeError(`alignResample: bufferSeconds must be > 0, received ${bufferSeconds}`);
  const sensorIndex = new Map(sensors.map((s, i) => [s, i]));
  return (source) =>
    new Observable<Frame>((subscriber) => {
      const rings: (SensorRing | undefined)[] = sensors.map(() => undefined);
      let origin = options.origin;
      let kNext: number | undefined;
      let watermark = -Infinity;
      // the slowest sensor's period: a grid point is final once the stream is this far past its end
      const lagOf = (): number => Math.max(...sensors.map((s, i) => 1 / (rings[i]?.fs ?? rates[s] ?? 1))) + 1e-6;

      const write = (s: Sample): void => {
        const si = sensorIndex.get(s.sensor);
        if (si === undefined) {
          if (options.counters) options.counters.ignored++;
          return;
        }
        let r = rings[si];
        if (!r) {
          const fs = s.fs ?? rates[s.sensor];
          if (!(fs > 0)) {
            if (options.counters) options.counters.ignored++;
            return;
          }
          const cap = Math.ceil(bufferSeconds * fs) + 4;
          r = { fs, channels: s.values.length, anchor: s.t, cap, data: new Float32Array(cap * s.values.length).fill(NaN), base: 0, top: 0 };
          rings[si] = r;
        }
        if (s.values.length !== r.channels) {
          if (options.counters) options.counters.ignored++;
          return;
        }
        // nominal index; a burst of early or equal timestamps is packed one index apart, as the K-EmoCon reader does
        const i = Math.max(r.top, Math.round((s.t - r.anchor) * r.fs));
        if (i - r.top >= r.cap) r.data.fill(NaN);
        else for (let j = r.top; j < i; j++) r.data.fill(NaN, (j % r.cap) * r.channels, (j % r.cap + 1) * r.channels);
        r.data.set(s.values, (i % r.cap) * r.channels);
        r.top = i + 1;
        r.base = Math.max(r.base, r.top - r.cap);
      };

      const slice = (r: SensorRing, from: number, to: number): Signal => {
        const lo = Math.max(r.base, from);
        const hi = Math.min(r.top, to);
        const n = Math.max(0, hi - lo);
        const data = new Float32Array(n * r.channels);
        for (let j = 0; j < n; j++) {
          const p = ((lo + j) % r.cap) * r.channels;
          for (let c = 0; c < r.channels; c++) data[j * r.channels + c] = r.data[p + c];
        }
        return { t0: r.anchor + lo / r.fs, fs: r.fs, channels: r.channels, data };
      };

      /** Emits grid frames kNext..kEnd (inclusive). */
      const emitRange = (kEnd: number): void => {
        if (kNext === undefined || origin === undefined) return;
        const n = kEnd - kNext + 1;
        if (n <= 0) return;
        const start = origin + kNext / F;
        const cols = sensors.map((_, si) => {
          const r = rings[si];
          if (!r) return new Float32Array(n).fill(NaN);
          const from = Math.floor((start - r.anchor) * r.fs) - 2;
          const to = Math.ceil((start + n / F - r.anchor) * r.fs) + 3;
          const sig = slice(r, from, to);
          return resampleToGrid(sig, start, F, n, reducerFor(sig));
        });
        for (let j = 0; j < n; j++) {
          const values = new Float32Array(sensors.length);
          for (let si = 0; si < sensors.length; si++) values[si] = cols[si][j];
          subscriber.next({ k: kNext + j, t: origin + (kNext + j) / F, values });
        }
        kNext += n;
      };

      /**
       * Emits frames up to kLast, but only over the spans some sensor still holds data for (each ring holds
       * [oldest, newest]): a gap longer than the buffers is jumped, not bridged frame by frame, since its samples
       * are gone. At most one jump per sensor.
       */
      const emitUpTo = (kLast: number): void => {
        if (kNext === undefined || origin === undefined) return;
        const spans = rings
          .filter((r): r is SensorRing => r !== undefined && r.top > r.base)
          .map((r) => ({ from: r.anchor + r.base / r.fs, to: r.anchor + r.top / r.fs }))
          .sort((x, y) => x.from - y.from);
        // merge overlapping spans
        const merged: { from: number; to: number }[] = [];
        for (const sp of spans) {
          const last = merged[merged.length - 1];
          if (last && sp.from <= last.to + 2 / F) last.to = Math.max(last.to, sp.to);
          else merged.push({ ...sp });
        }
        for (const sp of merged) {
          if (kNext > kLast) return;
          const kFrom = Math.floor((sp.from - origin) * F) - 1;
          const kTo = Math.min(kLast, Math.ceil((sp.to - origin) * F) + 1);
          if (kTo < kNext) continue;
          kNext = Math.max(kNext, kFrom);
          emitRange(kTo);
        }
        // past every span nothing is held: what remains up to kLast has no data at all
        if (kNext <= kLast && merged.length === 0) emitRange(kLast);
        else if (kNext <= kLast) kNext = kLast + 1;
      };

      const sub = source.subscribe({
        next(s) {
          write(s);
          if (!sensorIndex.has(s.sensor)) return;
          if (origin === undefined) origin = Math.floor(s.t * F) / F;
          if (kNext === undefined) kNext = Math.floor((s.t - origin) * F);
          if (s.t > watermark) watermark = s.t;
          emitUpTo(Math.floor((watermark - lagOf() - origin) * F) - 1);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          if (origin !== undefined) emitUpTo(Math.ceil((watermark - origin) * F - 1e-9) - 1);
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
