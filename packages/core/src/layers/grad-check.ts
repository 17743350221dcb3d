import * as tf from '@tensorflow/tfjs';

export interface GradCheckOptions {
  /** Relative tolerance on |analytic - numeric| / max(|analytic|, |numeric|). Default 3e-2. */
  rtol?: number;
  /** Absolute slack added to the tolerance (float32 differences of a loss of order 1). Default 1e-3. */
  atol?: number;
}

export interface GradCheckEntry {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradCheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| / max(|analytic|, |numeric|, atol) over all checked elements. */
  maxRelError: number;
  worst: GradCheckEntry | undefined;
  /** Every element that failed `|a - n| <= atol + rtol * max(|a|, |n|)`. */
  failures: GradCheckEntry[];
  checked: number;
}

/**
 * Compares `tf.grads(fn)` with central finite differences (f(x + eps) - f(x - eps)) / 2 eps, element by
 * element, for every input. A test utility: it reads values back (`dataSync`) and runs `fn` twice per input
 * element, so keep the inputs tiny. `fn` must be deterministic (no dropout) and return a scalar; computing in
 * float32 means eps around 1e-2 and a loss of order one give the best agreement.
 */
export function gradCheck(
  fn: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  eps = 1e-2,
  options: GradCheckOptions = {}
): GradCheckResult {
  const rtol = options.rtol ?? 3e-2;
  const atol = options.atol ?? 1e-3;
  const analytic = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => fn(...xs))(inputs).map((g) => g.dataSync().slice()));
  const values = inputs.map((x) => Float32Array.from(x.dataSync()));
  const evaluate = (which: number, data: Float32Array): number =>
    tf.tidy(() => {
      const xs = inputs.map((x, i) => (i === which ? tf.tensor(data, x.shape, 'float32') : x));
      return fn(...xs).dataSync()[0];
    });
  const failures: GradCheckEntry[] = [];
  let worst: GradCheckEntry | undefined;
  let maxRelError = 0;
  let checked = 0;
  values.forEach((data, i) => {
    for (let k = 0; k < data.length; k++) {
      const orig = data[k];
      data[k] = orig + eps;
      const plus = evaluate(i, data);
      data[k] = orig - eps;
      const minus = evaluate(i, data);
      data[k] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i][k];
      const diff = Math.abs(a - numeric);
      const scale = Math.max(Math.abs(a), Math.abs(numeric));
      const rel = diff / Math.max(scale, atol);
      const entry = { input: i, index: k, analytic: a, numeric };
      if (rel > maxRelError || worst === undefined) {
        maxRelError = Math.max(rel, maxRelError);
        worst = entry;
      }
      if (!(diff <= atol + rtol * scale)) failures.push(entry);
      checked++;
    }
  });
  return { ok: failures.length === 0, maxRelError, worst, failures, checked };
}
