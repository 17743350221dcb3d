import { windowSize, WindowSet } from '../data';
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
    ...(w.ys ? { ys: Object.fromEntries(Object.entries(w.ys).map(([k, v]) => [k, Int32Array.from(rep(v))])) } : {}),
  };
}
