/**
 * Handcrafted per-window features of one channel, computed in plain JavaScript from the samples the model gets (so
 * training, evaluation and streaming compute them alike). Groups, in column order:
 * - statistics: mean, sd (population), min, max, slope (least squares, units per second);
 * - eda: tonic level (mean of the `TONIC_SECONDS` moving average, a low-pass), phasic level (sd of the residual
 *   x - low-pass), SCR count (local maxima of the residual rising at least one residual sd above the lowest value
 *   since the previous counted one);
 * - hrv (pulse waves at >= `HRV_MIN_RATE` Hz): beats are local maxima above the window mean, at least `REFRACTORY`
 *   seconds apart (200 bpm at most); inter-beat intervals outside 0.3..2 s are dropped. Mean IBI, SDNN, RMSSD (in
 *   seconds) and pNN50 (the fraction of successive differences above 50 ms); all 0 with fewer than 3 beats. LF/HF is
 *   left out: it needs >= 60 s of beats, longer than the shipped windows.
 * - hrv of an event input (`ibi`: the last beat's interval in seconds held on a grid, 0 where missing; see core
 *   preprocess/events.ts), `ibiHrvFeatures`: mean IBI and SDNN over the valid samples (time-weighted: a beat counts
 *   for as long as it is held); the successive differences are the steps between adjacent valid samples (a held
 *   value changes exactly when a beat with another interval arrives; equal successive intervals are steps of 0), and
 *   the number of beats is the valid time / mean IBI, so RMSSD = sqrt(sum of squared steps / beats) and pNN50 = steps
 *   above 50 ms / beats. Exact when every beat gets at least one grid sample (rate >= 1 / shortest IBI); all 0 with
 *   fewer than 2 beats.
 */
export const FEATURE_GROUPS = {
  statistics: ['mean', 'sd', 'min', 'max', 'slope'],
  eda: ['tonic', 'phasic', 'scr'],
  hrv: ['meanIbi', 'sdnn', 'rmssd', 'pnn50'],
} as const;

export type FeatureGroup = keyof typeof FEATURE_GROUPS;

export const TONIC_SECONDS = 2;
export const HRV_MIN_RATE = 32;
export const REFRACTORY = 0.3;

/** Feature names of one channel, in column order. */
export function channelFeatureNames(groups: readonly FeatureGroup[]): string[] {
  return groups.flatMap((g) => [...FEATURE_GROUPS[g]]);
}

/**
 * Writes the features of series `v` (at `rate` Hz) into `out` from `at`; returns the next column. `ibi`: `v` is an
 * event input of beat intervals (HRV from its steps, not from pulse peaks).
 */
export function channelFeatures(v: ArrayLike<number>, rate: number, groups: readonly FeatureGroup[], out: Float32Array, at: number, ibi = false): number {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean = n ? mean / n : 0;
  for (const g of groups) {
    if (g === 'statistics') {
      let ss = 0;
      let min = Infinity;
      let max = -Infinity;
      let st = 0;
      let stt = 0;
      const tm = (n - 1) / 2;
      for (let i = 0; i < n; i++) {
        const d = v[i] - mean;
        ss += d * d;
        if (v[i] < min) min = v[i];
        if (v[i] > max) max = v[i];
        st += (i - tm) * v[i];
        stt += (i - tm) * (i - tm);
      }
      out[at++] = mean;
      out[at++] = n ? Math.sqrt(ss / n) : 0;
      out[at++] = n ? min : 0;
      out[at++] = n ? max : 0;
      out[at++] = stt > 0 ? (st / stt) * rate : 0;
    } else if (g === 'eda') at = edaFeatures(v, rate, out, at);
    else at = ibi ? ibiHrvFeatures(v, rate, out, at) : hrvFeatures(v, rate, mean, out, at);
  }
  return at;
}

function edaFeatures(v: ArrayLike<number>, rate: number, out: Float32Array, at: number): number {
  const n = v.length;
  const k = Math.max(1, Math.min(n, Math.round(TONIC_SECONDS * rate)));
  const half = Math.floor(k / 2);
  const low = new Float64Array(n);
  // Centred moving average, shrinking at the edges.
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(n, a + k);
    let s = 0;
    for (let j = a; j < b; j++) s += v[j];
    low[i] = s / (b - a);
  }
  let tonic = 0;
  for (let i = 0; i < n; i++) tonic += low[i];
  tonic = n ? tonic / n : 0;
  const res = new Float64Array(n);
  let rm = 0;
  for (let i = 0; i < n; i++) rm += (res[i] = v[i] - low[i]);
  rm = n ? rm / n : 0;
  let rs = 0;
  for (let i = 0; i < n; i++) rs += (res[i] - rm) ** 2;
  const phasic = n ? Math.sqrt(rs / n) : 0;
  let count = 0;
  if (phasic > 1e-9) {
    let trough = res[0];
    for (let i = 1; i < n - 1; i++) {
      if (res[i] < trough) trough = res[i];
      if (res[i] > res[i - 1] && res[i] >= res[i + 1] && res[i] - trough >= phasic) {
        count++;
        trough = res[i];
      }
    }
  }
  out[at++] = tonic;
  out[at++] = phasic;
  out[at++] = count;
  return at;
}

function ibiHrvFeatures(v: ArrayLike<number>, rate: number, out: Float32Array, at: number): number {
  const n = v.length;
  let valid = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (v[i] > 0) {
      valid++;
      sum += v[i];
    }
  }
  const m = valid ? sum / valid : 0;
  const beats = valid ? valid / rate / m : 0;
  if (beats < 2) {
    out.fill(0, at, at + 4);
    return at + 4;
  }
  let ss = 0;
  let sq = 0;
  let nn50 = 0;
  for (let i = 0; i < n; i++) {
    if (!(v[i] > 0)) continue;
    ss += (v[i] - m) ** 2;
    if (i > 0 && v[i - 1] > 0) {
      const d = v[i] - v[i - 1];
      sq += d * d;
      if (Math.abs(d) > 0.05) nn50++;
    }
  }
  out[at++] = m;
  out[at++] = Math.sqrt(ss / valid);
  out[at++] = Math.sqrt(sq / beats);
  out[at++] = Math.min(1, nn50 / beats);
  return at;
}

function hrvFeatures(v: ArrayLike<number>, rate: number, mean: number, out: Float32Array, at: number): number {
  const n = v.length;
  const d = Math.max(1, Math.round(REFRACTORY * rate));
  const peaks: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (!(v[i] > mean) || !(v[i] > v[i - 1]) || !(v[i] >= v[i + 1])) continue;
    let top = true;
    for (let j = Math.max(0, i - d); j <= Math.min(n - 1, i + d) && top; j++) if (v[j] > v[i] || (v[j] === v[i] && j < i)) top = false;
    if (top) peaks.push(i);
  }
  const ibi: number[] = [];
  for (let k = 1; k < peaks.length; k++) {
    const s = (peaks[k] - peaks[k - 1]) / rate;
    if (s >= 0.3 && s <= 2) ibi.push(s);
  }
  if (ibi.length < 2) {
    out.fill(0, at, at + 4);
    return at + 4;
  }
  const m = ibi.reduce((a, b) => a + b, 0) / ibi.length;
  const sdnn = Math.sqrt(ibi.reduce((a, b) => a + (b - m) ** 2, 0) / ibi.length);
  let sq = 0;
  let nn50 = 0;
  for (let k = 1; k < ibi.length; k++) {
    const dd = ibi[k] - ibi[k - 1];
    sq += dd * dd;
    if (Math.abs(dd) > 0.05) nn50++;
  }
  out[at++] = m;
  out[at++] = sdnn;
  out[at++] = Math.sqrt(sq / (ibi.length - 1));
  out[at++] = nn50 / (ibi.length - 1);
  return at;
}
