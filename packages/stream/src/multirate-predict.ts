import * as tf from '@tensorflow/tfjs';
import { inferProbs, WindowPart, windowSize, windowTensors } from '@fusion/core';

/**
 * Ensemble class probabilities of `n` multi-rate window rows ([n, row], the parts one after the other), averaged over
 * the members as evaluation does; with `memberStats`, member k first z-scores each part with its fold's statistics.
 */
export async function multiRateProbs(
  members: readonly tf.LayersModel[],
  x: Float32Array,
  n: number,
  parts: readonly WindowPart[],
  memberStats?: readonly (readonly { mean: number; sd: number }[] | undefined)[]
): Promise<Float32Array> {
  const base = { x, y: new Int32Array(n), subjects: [], ends: new Float64Array(n), length: 0, sensors: [], classes: [], parts: [...parts] };
  const row = windowSize(base);
  if (x.length !== n * row) throw new RangeError(`multiRateProbs: received ${x.length} values for ${n} windows, expected ${n * row} (${n} x ${row}).`);
  const out = tf.tidy(() => {
    let sum: tf.Tensor | undefined;
    members.forEach((m, k) => {
      const st = memberStats?.[k];
      let xs = x;
      if (st) {
        xs = new Float32Array(x.length);
        parts.forEach((q, j) => {
          for (let i = 0; i < n; i++) for (let t = 0; t < q.length; t++) xs[i * row + q.offset + t] = (x[i * row + q.offset + t] - st[j].mean) / st[j].sd;
        });
      }
      const p = inferProbs(m, windowTensors({ ...base, x: xs }));
      sum = sum ? tf.add(sum, p) : p;
    });
    return tf.div(sum as tf.Tensor, members.length);
  });
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}
