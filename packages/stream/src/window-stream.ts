import { Observable, OperatorFunction } from 'rxjs';
import type { Frame, Window } from './types';

export interface WindowStreamOptions {
  stream: string;
  /** Model sensors, in channel order (names for the `missing` report). */
  sensors: readonly string[];
  /** Window length in grid points (window s * sampleRate). */
  length: number;
  /** Hop in grid points. */
  hop: number;
  /** Window length in seconds (window end = first frame's time + window, as `makeWindows` computes it). */
  window: number;
  /** Largest fraction of a window a sensor may miss (spec.preprocessing.maxMissing). */
  maxMissing: number;
  /** Wall clock in ms (for latency), default Date.now. */
  now?: () => number;
}

/**
 * Cuts windows of `length` grid points every `hop` points from a stream of frames, on the grid anchored at frame k = 0
 * (windows start at k = 0, hop, 2 hop, ...; frames before k = 0 are never in a window), as `makeWindows` cuts them from
 * a recording. Values stay raw (normalisation comes next); a window where a sensor misses more than `maxMissing` of its
 * points is marked `skipped: 'missing'`. A gap in the frame indices restarts the window.
 */
export function windowStream(options: WindowStreamOptions): OperatorFunction<Frame, Window> {
  const { length, hop, sensors, stream, window, maxMissing } = options;
  const now = options.now ?? Date.now;
  const S = sensors.length;
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`windowStream: length must be an integer >= 1, received ${length}`);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`windowStream: hop must be an integer >= 1, received ${hop}`);
  if (!(maxMissing >= 0 && maxMissing <= 1)) throw new RangeError(`windowStream: maxMissing must be in [0, 1], received ${maxMissing}`);
  if (S < 1) throw new RangeError('windowStream: sensors must not be empty');
  return (source) =>
    new Observable<Window>((subscriber) => {
      const ring: Frame[] = new Array(length);
      let filled = 0;
      let lastK: number | undefined;
      const sub = source.subscribe({
        next(f) {
          if (f.values.length !== S) {
            subscriber.error(new RangeError(`windowStream: frame has ${f.values.length} values, expected ${S}`));
            return;
          }
          if (lastK !== undefined && f.k !== lastK + 1) filled = 0;
          lastK = f.k;
          ring[((f.k % length) + length) % length] = f;
          filled = Math.min(length, filled + 1);
          const k0 = f.k - length + 1;
          if (filled < length || k0 < 0 || k0 % hop !== 0) return;
          const x = new Float32Array(length * S);
          const missingN = new Array<number>(S).fill(0);
          for (let t = 0; t < length; t++) {
            const fr = ring[(k0 + t) % length];
            for (let s = 0; s < S; s++) {
              const v = fr.values[s];
              x[t * S + s] = v;
              if (!Number.isFinite(v)) missingN[s]++;
            }
          }
          const missing: Record<string, number> = {};
          sensors.forEach((name, s) => (missing[name] = missingN[s] / length));
          const first = ring[k0 % length];
          const w: Window = { stream, k0, windowEnd: first.t + window, x, missing, cutAt: now() };
          if (missingN.some((m) => m > maxMissing * length)) w.skipped = 'missing';
          subscriber.next(w);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
}
