import * as tf from '@tensorflow/tfjs';
import { partsSize } from '../data';
import type { WindowPart } from '../data';
import { windowTensors } from './window-tensors';

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

/**
 * Ensemble class probabilities of `n` multi-rate window rows ([n, row], the parts one after the other), averaged over
 * the members as evaluation does; with `memberStats`, member k first z-scores each part with its fold's statistics.
 * The one multi-input inference path of `fusion-cli predict`/`stream` and of `@fusion/web` (no Node module).
 */
export async function multiRateProbs(
  members: readonly tf.LayersModel[],
  x: Float32Array,
  n: number,
  parts: readonly WindowPart[],
  memberStats?: readonly (readonly { mean: number; sd: number }[] | undefined)[]
): Promise<Float32Array> {
  const base = { x, y: new Int32Array(n), subjects: [], ends: new Float64Array(n), length: 0, sensors: [], classes: [], parts: [...parts] };
  const row = partsSize(parts);
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
