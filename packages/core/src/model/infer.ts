import * as tf from '@tensorflow/tfjs';

/**
 * Class probabilities of a batch of windows [n, length, sensors]: the one inference path (batch evaluation, the
 * benchmark, live streams). `apply` with `training: false` runs the same layers as `predict` without its per-call
 * input standardisation and batching, about a millisecond less per call on wasm.
 */
export function inferProbs(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => {
    const r = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    // Several outputs: each window's probabilities of every output side by side, in the spec's output order.
    return Array.isArray(r) ? tf.concat(r, 1) : r;
  });
}

/**
 * Ensemble class probabilities of a batch of windows: every member's `inferProbs`, averaged, as evaluation does.
 * With `memberStats`, member k first z-scores the windows per sensor with its own (training-fold) statistics.
 */
export function ensembleProbs(models: readonly tf.LayersModel[], x: tf.Tensor, memberStats?: readonly (readonly { mean: number; sd: number }[] | undefined)[]): tf.Tensor {
  return tf.tidy(() => {
    let sum: tf.Tensor | undefined;
    models.forEach((m, k) => {
      const st = memberStats?.[k];
      const xin = st ? tf.div(tf.sub(x, tf.tensor1d(st.map((v) => v.mean))), tf.tensor1d(st.map((v) => v.sd))) : x;
      const p = inferProbs(m, xin);
      sum = sum ? tf.add(sum, p) : p;
    });
    return tf.div(sum as tf.Tensor, models.length);
  });
}
