import type { WindowSet } from '../data';
import { applyPartStats, partStats } from './multirate';
import type { PreprocessingSpec } from '../spec';

/** Mean and standard deviation of the finite values (sd floored so constant signals do not divide by zero). */
export function stats(values: ArrayLike<number>): { mean: number; sd: number; n: number } {
  let n = 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      n++;
      s += v;
      s2 += v * v;
    }
  }
  if (n === 0) return { mean: 0, sd: 1, n: 0 };
  const mean = s / n;
  const variance = Math.max(0, s2 / n - mean * mean);
  const sd = Math.sqrt(variance);
  return { mean, sd: sd > 1e-6 * Math.max(1, Math.abs(mean)) ? sd : 1, n };
}

/** z-scores a series in place with the given statistics. */
export function zscore(values: Float32Array, st: { mean: number; sd: number }): Float32Array {
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - st.mean) / st.sd;
  return values;
}

/** Per-sensor statistics over every value of a window set (for `normalize: "train"`). */
export function sensorStats(w: WindowSet): { mean: number; sd: number }[] {
  if (w.parts) return partStats(w);
  const S = w.sensors.length;
  const acc = Array.from({ length: S }, () => ({ s: 0, s2: 0, n: 0 }));
  for (let i = 0; i < w.x.length; i++) {
    const a = acc[i % S];
    const v = w.x[i];
    a.s += v;
    a.s2 += v * v;
    a.n++;
  }
  return acc.map((a) => {
    const mean = a.n ? a.s / a.n : 0;
    const sd = a.n ? Math.sqrt(Math.max(0, a.s2 / a.n - mean * mean)) : 1;
    return { mean, sd: sd > 1e-6 ? sd : 1 };
  });
}

/** z-scores every sensor of a window set with the given per-sensor statistics (a new set). */
export function applySensorStats(w: WindowSet, st: { mean: number; sd: number }[]): WindowSet {
  if (w.parts) return applyPartStats(w, st);
  const S = w.sensors.length;
  const x = new Float32Array(w.x.length);
  for (let i = 0; i < x.length; i++) x[i] = (w.x[i] - st[i % S].mean) / st[i % S].sd;
  return { ...w, x };
}

/**
 * The fold-level step of normalisation: with `normalize: "train"`, the per-sensor statistics of the fold's training
 * windows (`sets.train`) and every set of the fold z-scored with them, so no statistic of a held-out subject reaches
 * training; the statistics travel with the fold's models (live inference applies them exactly as evaluation did). With
 * "subject" (done per recording by `recordingGrid`) or "none" the sets are returned as they are, without statistics.
 */
export function normalizeFold<T extends { train: WindowSet }>(mode: PreprocessingSpec['normalize'], sets: T): { stats?: { mean: number; sd: number }[]; sets: T } {
  if (mode !== 'train') return { sets };
  const st = sensorStats(sets.train);
  const out = {} as Record<string, WindowSet>;
  for (const [k, w] of Object.entries(sets)) out[k] = applySensorStats(w as WindowSet, st);
  return { stats: st, sets: out as T };
}
