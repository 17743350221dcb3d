import { windowSize, WindowSet } from '../data';
import { applyPartStats, partStats } from './multirate';
import { Rng } from '../random';

/**
 * Training-set augmentation: every window is kept and `copies` noisy duplicates (Gaussian, sigma `noise`) are
 * appended. Only ever applied to training windows.
 */
export function augmentWithNoise(w: WindowSet, noise: number, copies: number, rng: Rng): WindowSet {
  if (noise <= 0 || copies <= 0) return w;
  const n = w.y.length;
  const per = windowSize(w);
  const x = new Float32Array(n * per * (copies + 1));
  x.set(w.x, 0);
  for (let c = 1; c <= copies; c++) {
    const off = c * n * per;
    for (let i = 0; i < n * per; i++) x[off + i] = w.x[i] + noise * rng.normal();
  }
  const rep = <T>(a: ArrayLike<T>): T[] => {
    const out: T[] = [];
    for (let c = 0; c <= copies; c++) for (let i = 0; i < a.length; i++) out.push(a[i]);
    return out;
  };
  return {
    ...w,
    x,
    y: Int32Array.from(rep(w.y)),
    subjects: rep(w.subjects),
    ends: Float64Array.from(rep(w.ends)),
  };
}

/** Per-sensor statistics over a window set (for `normalize: "train"`); per input for multi-rate windows. */
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

export function applySensorStats(w: WindowSet, st: { mean: number; sd: number }[]): WindowSet {
  if (w.parts) return applyPartStats(w, st);
  const S = w.sensors.length;
  const x = new Float32Array(w.x.length);
  for (let i = 0; i < x.length; i++) x[i] = (w.x[i] - st[i % S].mean) / st[i % S].sd;
  return { ...w, x };
}
