import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';

/**
 * A seeded (semi-)orthogonal matrix [rows, cols], as Keras' `Orthogonal`: QR of a standard normal matrix with
 * the signs of R's diagonal folded into Q (here modified Gram-Schmidt in float64, which gives that Q directly);
 * rows are orthonormal when rows <= cols, columns otherwise. Computed in plain JS with core's `Rng`, so the
 * same seed gives the same matrix on every backend, without tfjs' slow JS QR.
 */
export function orthogonalMatrix(rows: number, cols: number, seed: number, gain = 1): tf.Tensor2D {
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  const rng = new Rng(`orthogonal/${seed}`);
  // m column vectors of length n
  const q: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const u of q) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) v[i] /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // [n, m] matrix Q, transposed when rows < cols
      out[r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c]);
    }
  }
  return tf.tensor2d(out, [rows, cols]);
}
