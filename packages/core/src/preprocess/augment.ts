import { windowSize, WindowSet } from '../data';
import { Rng } from '../random';

/**
 * Training-set augmentation: every window is kept and `copies` noisy duplicates (Gaussian, sigma `noise`) are
 * appended. Only ever applied to training windows. Event inputs (`maxGap` parts, e.g. ibi in seconds) are copied
 * without noise: a held beat interval stays a step, so the `features` node's RMSSD and pNN50 read the same thing in
 * training as in evaluation.
 */
export function augmentWithNoise(w: WindowSet, noise: number, copies: number, rng: Rng): WindowSet {
  if (noise <= 0 || copies <= 0) return w;
  const n = w.y.length;
  const per = windowSize(w);
  const x = new Float32Array(n * per * (copies + 1));
  x.set(w.x, 0);
  const events = w.parts?.some((q) => q.maxGap !== undefined) ? new Uint8Array(per) : undefined;
  for (const q of events ? w.parts! : []) if (q.maxGap !== undefined) events!.fill(1, q.offset, q.offset + q.length);
  for (let c = 1; c <= copies; c++) {
    const off = c * n * per;
    if (events) for (let i = 0; i < n * per; i++) x[off + i] = events[i % per] ? w.x[i] : w.x[i] + noise * rng.normal();
    else for (let i = 0; i < n * per; i++) x[off + i] = w.x[i] + noise * rng.normal();
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
