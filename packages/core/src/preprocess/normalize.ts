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
