import { Matrix } from 'ml-matrix';
import type { WindowSet } from '@fusion/core';
import { Rng, windowSize } from '@fusion/core';

/**
 * A hand-crafted-feature baseline evaluated beside the deep models on the same folds: per-window, per-sensor
 * summary statistics, standardised with the training windows' statistics only, then a logistic regression
 * (`ml-logistic-regression`, one-vs-rest) trained on class-balanced (oversampled) training windows.
 *
 * Features, for every sensor `s` (column of the window, already resampled and normalised):
 * - `s.mean`, `s.sd` (population sd), `s.slope` (least-squares slope per sample), `s.min`, `s.max`;
 * - `eda.scr`: the number of skin-conductance-response-like peaks: a sample `i` (not the first nor the last) that
 *   is a local maximum (`x[i] > x[i-1]` and `x[i] >= x[i+1]`) and rises at least `SCR_RISE_SD` window sds above
 *   the lowest value since the previous counted peak (or the window start). A flat window (sd 0) has 0 peaks.
 *   The threshold is relative to the window's own sd, so it adapts to the normalisation; it measures the shape,
 *   not the level;
 * - `bvp.mad1`: the mean absolute first difference (pulse-wave activity; the sd is already among the basics).
 * For `hr` the mean and slope above are the informative ones; nothing is added.
 */
export const SCR_RISE_SD = 1;

const BASIC = ['mean', 'sd', 'slope', 'min', 'max'] as const;

export interface WindowFeatures {
  names: string[];
  /** [n, f] row-major. */
  x: Float64Array;
}

function extrasFor(sensor: string): string[] {
  if (sensor === 'eda') return ['scr'];
  if (sensor === 'bvp') return ['mad1'];
  return [];
}

/** The feature names for these sensors, in the column order of `windowFeatures`. */
export function featureNames(sensors: readonly string[]): string[] {
  return sensors.flatMap((s) => [...BASIC, ...extrasFor(s)].map((f) => `${s}.${f}`));
}

/** Counts SCR-like peaks in one series (see the module comment for the rule). */
export function scrCount(v: ArrayLike<number>, riseSd = SCR_RISE_SD): number {
  const n = v.length;
  if (n < 3) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
  const sdv = Math.sqrt(ss / n);
  if (!(sdv > 1e-12)) return 0;
  const thr = riseSd * sdv;
  let trough = v[0];
  let count = 0;
  for (let i = 1; i < n - 1; i++) {
    if (v[i] < trough) trough = v[i];
    if (v[i] > v[i - 1] && v[i] >= v[i + 1] && v[i] - trough >= thr) {
      count++;
      trough = v[i];
    }
  }
  return count;
}

/** Per-window, per-sensor statistics (names `sensor.stat`). */
export function windowFeatures(w: WindowSet): WindowFeatures {
  // Inputs at their own rates: one series per input, each of its own length (`w.parts`).
  const sensors = w.parts ? w.parts.map((q) => q.sensor) : w.sensors;
  const names = featureNames(sensors);
  const n = w.y.length;
  const S = sensors.length;
  const row = windowSize(w);
  const F = names.length;
  const x = new Float64Array(n * F);
  const series = new Float64Array(Math.max(w.length, ...(w.parts ?? []).map((q) => q.length)));
  // Least-squares slope: sum((t - tm) * v) / sum((t - tm)^2) with t = 0..L-1.
  const slopeBase = (L: number): { tm: number; stt: number } => {
    const tm = (L - 1) / 2;
    let stt = 0;
    for (let t = 0; t < L; t++) stt += (t - tm) * (t - tm);
    return { tm, stt };
  };
  const bases = w.parts ? w.parts.map((q) => slopeBase(q.length)) : [slopeBase(w.length)];
  for (let i = 0; i < n; i++) {
    let col = i * F;
    for (let s = 0; s < S; s++) {
      const q = w.parts?.[s];
      const L = q ? q.length : w.length;
      const { tm, stt } = bases[q ? s : 0];
      const at = q ? (t: number): number => w.x[i * row + q.offset + t] : (t: number): number => w.x[(i * L + t) * S + s];
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let t = 0; t < L; t++) {
        const v = at(t);
        series[t] = v;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const mean = L ? sum / L : 0;
      let ss = 0;
      let st = 0;
      for (let t = 0; t < L; t++) {
        const d = series[t] - mean;
        ss += d * d;
        st += (t - tm) * series[t];
      }
      x[col++] = mean;
      x[col++] = L ? Math.sqrt(ss / L) : 0;
      x[col++] = stt > 0 ? st / stt : 0;
      x[col++] = L ? min : 0;
      x[col++] = L ? max : 0;
      const sensor = sensors[s];
      if (sensor === 'eda') x[col++] = scrCount(series.subarray(0, L));
      else if (sensor === 'bvp') {
        let d1 = 0;
        for (let t = 1; t < L; t++) d1 += Math.abs(series[t] - series[t - 1]);
        x[col++] = L > 1 ? d1 / (L - 1) : 0;
      }
    }
  }
  return { names, x };
}

/** Training-set standardisation statistics of a feature matrix (sd 0 is replaced by 1). */
function columnStats(x: Float64Array, n: number, f: number): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(f);
  const sd = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * f + j];
  for (let j = 0; j < f; j++) mean[j] /= n || 1;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < f; j++) {
      const d = x[i * f + j] - mean[j];
      sd[j] += d * d;
    }
  for (let j = 0; j < f; j++) {
    const s = Math.sqrt(sd[j] / (n || 1));
    sd[j] = s > 1e-12 ? s : 1;
  }
  return { mean, sd };
}

/** Standardised rows with a leading constant 1 (the library fits no intercept of its own). */
function designRows(x: Float64Array, rows: ArrayLike<number>, f: number, st: { mean: Float64Array; sd: Float64Array }): number[][] {
  const out: number[][] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const r = new Array<number>(f + 1);
    r[0] = 1;
    for (let j = 0; j < f; j++) {
      const v = (x[i * f + j] - st.mean[j]) / st.sd[j];
      // Clip far outliers so one odd test window cannot saturate every score.
      r[j + 1] = Number.isFinite(v) ? Math.max(-10, Math.min(10, v)) : 0;
    }
    out[k] = r;
  }
  return out;
}

/** Oversamples every class to the size of the largest (whole copies, then a seeded draw without replacement). */
function balancedRows(y: ArrayLike<number>, classes: number, rng: Rng): number[] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const target = Math.max(...byClass.map((c) => c.length));
  const rows: number[] = [];
  for (const members of byClass) {
    if (!members.length) continue;
    const copies = Math.floor(target / members.length);
    for (let c = 0; c < copies; c++) rows.push(...members);
    const rest = target - copies * members.length;
    if (rest > 0) rows.push(...rng.shuffle([...members]).slice(0, rest));
  }
  return rows;
}

/**
 * The parts of `ml-logistic-regression` used here (it ships no type declarations). Its exported `LogisticRegression`
 * trains one two-class classifier per class (one-vs-rest), coding the class as target 0 and the rest as 1, and takes
 * the class count from the distinct training labels. We use its two-class classifier (full-batch gradient ascent on
 * the log-likelihood, no intercept, no regularisation, no class weights), reached through `LogisticRegression.load`,
 * directly: one classifier for two classes (not two mirror-image ones), one per class otherwise, each with target
 * 1 = "this class", so sigmoid(w·x) is the probability of the class.
 */
interface TwoClassClassifier {
  weights: Matrix | null;
  train(x: Matrix, target: Matrix): void;
}
interface LogisticRegressionStatic {
  load(model: { name: 'LogisticRegression'; numSteps: number; learningRate: number; numberClasses: number; classifiers: object[] }): { classifiers: TwoClassClassifier[] };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LogisticRegression = require('ml-logistic-regression') as LogisticRegressionStatic;

function twoClassClassifiers(count: number, numSteps: number, learningRate: number): TwoClassClassifier[] {
  const settings = { numSteps, learningRate, weights: null };
  return LogisticRegression.load({ name: 'LogisticRegression', numSteps, learningRate, numberClasses: count, classifiers: Array.from({ length: count }, () => settings) }).classifiers;
}

/** Gradient steps of the library's full-batch gradient ascent (its default of 50,000 is far slower than needed). */
export const FEATURE_BASELINE_STEPS = 200;

/** Largest eigenvalue of XᵀX by power iteration (deterministic start), for a stable step size. */
function largestEigen(rows: number[][]): number {
  const f = rows[0].length;
  const g = Array.from({ length: f }, () => new Float64Array(f));
  for (const r of rows) for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) g[a][b] += r[a] * r[b];
  let v = new Float64Array(f).fill(1 / Math.sqrt(f));
  let lambda = 0;
  for (let it = 0; it < 50; it++) {
    const u = new Float64Array(f);
    for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) u[a] += g[a][b] * v[b];
    const norm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
    if (!(norm > 0)) break;
    lambda = norm;
    v = u.map((x) => x / norm);
  }
  return lambda;
}

/**
 * Fits on `train` and predicts `test`. Only training windows inform the model (standardisation, class balance,
 * weights): a test window's prediction does not depend on the other test windows. Deterministic for a seed (the
 * seed only drives the oversampling draw). Probabilities: two classes, sigmoid(w·x) and its complement; more, the
 * one-vs-rest sigmoids normalised to sum to 1. A class absent from the training windows gets probability 0.
 */
export function featureBaseline(train: WindowSet, test: WindowSet, classes: number, seed: number): { pred: Int32Array; probs: Float32Array } {
  const nTest = test.y.length;
  const probs = new Float32Array(nTest * classes);
  const pred = new Int32Array(nTest);
  const present = [...new Set(Array.from(train.y))].sort((a, b) => a - b);
  if (present.length === 0) throw new Error('featureBaseline: no training windows');
  if (present.length === 1) {
    for (let i = 0; i < nTest; i++) {
      probs[i * classes + present[0]] = 1;
      pred[i] = present[0];
    }
    return { pred, probs };
  }
  const trF = windowFeatures(train);
  const teF = windowFeatures(test);
  const f = trF.names.length;
  const st = columnStats(trF.x, train.y.length, f);
  // Remap the present classes to 0..k-1: the library takes its class count from the distinct labels.
  const local = new Int32Array(train.y.length);
  train.y.forEach((c, i) => (local[i] = present.indexOf(c)));
  const rows = balancedRows(local, present.length, new Rng(`${seed}/feature-baseline/oversample`));
  const X = designRows(trF.x, rows, f, st);
    // The library's gradient is a sum over rows (not a mean): a step of 1/L, with L = λmax(XᵀX)/4 the gradient's
  // Lipschitz constant, is stable for any n. Stopping after a fixed number of steps also regularises.
  const lr = 4 / Math.max(largestEigen(X), 1e-9);
  const Xm = new Matrix(X);
  const k = present.length;
  const classifiers = twoClassClassifiers(k === 2 ? 1 : k, FEATURE_BASELINE_STEPS, lr);
  // Two classes: one classifier for local class 1; more: one per class (one-vs-rest).
  const targetsOf = k === 2 ? [1] : present.map((_, c) => c);
  const weights = classifiers.map((clf, j) => {
    clf.train(Xm, Matrix.columnVector(rows.map((i) => (local[i] === targetsOf[j] ? 1 : 0))));
    return (clf.weights as Matrix).to1DArray();
  });
  const testRows = designRows(teF.x, Array.from({ length: nTest }, (_, i) => i), f, st);
  for (let i = 0; i < nTest; i++) {
    const r = testRows[i];
    const score = weights.map((w) => {
      let z = 0;
      for (let j = 0; j < r.length; j++) z += w[j] * r[j];
      return 1 / (1 + Math.exp(-z));
    });
    const p = k === 2 ? [1 - score[0], score[0]] : score;
    const total = p.reduce((a, b) => a + b, 0);
    let best = 0;
    p.forEach((v, c) => {
      probs[i * classes + present[c]] = total > 0 ? v / total : 1 / k;
      if (v > p[best]) best = c;
    });
    pred[i] = present[best];
  }
  return { pred, probs };
}
