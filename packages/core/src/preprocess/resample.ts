import type { Signal } from '../data';

/**
 * One channel of `signal` on the grid t_k = start + k / fs (k = 0..n-1), each grid point standing for the bin
 * [t_k, t_k + 1/fs). A source at least as fast is averaged over the bin (a box anti-alias filter); a slower one is linearly
 * interpolated at the bin centre. Bins the source does not cover are NaN.
 *
 * `reduce` turns a multi-channel frame into one value (e.g. acceleration magnitude); by default channel 0.
 */
export function resampleToGrid(
  signal: Signal,
  start: number,
  fs: number,
  n: number,
  reduce?: (frame: Float32Array, offset: number, channels: number) => number
): Float32Array {
  const out = new Float32Array(n).fill(NaN);
  const { data, channels, fs: sfs, t0 } = signal;
  const count = Math.floor(data.length / channels);
  if (count === 0) return out;
  const value = reduce
    ? (i: number): number => reduce(data, i * channels, channels)
    : (i: number): number => data[i * channels];
  const binW = 1 / fs;
  const srcEnd = t0 + (count - 1) / sfs;
  if (sfs >= fs - 1e-9) {
    for (let k = 0; k < n; k++) {
      const a = start + k * binW;
      const b = a + binW;
      let i0 = Math.ceil((a - t0) * sfs - 1e-9);
      let i1 = Math.ceil((b - t0) * sfs - 1e-9); // exclusive
      if (i0 < 0) i0 = 0;
      if (i1 > count) i1 = count;
      let sum = 0;
      let m = 0;
      for (let i = i0; i < i1; i++) {
        const v = value(i);
        if (Number.isFinite(v)) {
          sum += v;
          m++;
        }
      }
      // A bin is kept only when at least half of its expected samples are present.
      if (m > 0 && m >= 0.5 * (b - a) * sfs) out[k] = sum / m;
    }
  } else {
    const tol = 0.5 / sfs + 1e-9;
    for (let k = 0; k < n; k++) {
      const t = start + (k + 0.5) * binW;
      if (t < t0 - tol || t > srcEnd + tol) continue;
      const pos = (t - t0) * sfs;
      let i = Math.floor(pos);
      if (i < 0) i = 0;
      if (i >= count - 1) {
        out[k] = value(count - 1);
        continue;
      }
      const f = pos - i;
      const v0 = value(i);
      const v1 = value(i + 1);
      out[k] = f <= 0 ? v0 : v0 + (v1 - v0) * f;
    }
  }
  return out;
}

/** Euclidean norm of a frame: the accelerometer magnitude sqrt(x^2 + y^2 + z^2). */
export function magnitude(frame: Float32Array, offset: number, channels: number): number {
  let s = 0;
  for (let c = 0; c < channels; c++) {
    const v = frame[offset + c];
    s += v * v;
  }
  return Math.sqrt(s);
}

/** How a sensor's raw frame becomes the one value the model sees. */
export function reducerFor(signal: Signal): ((frame: Float32Array, offset: number, channels: number) => number) | undefined {
  return signal.channels > 1 ? magnitude : undefined;
}
