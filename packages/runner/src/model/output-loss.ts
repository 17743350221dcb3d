import * as tf from '@tensorflow/tfjs';
import { windowTensors } from '@fusion/core';
import type { WindowSet } from '@fusion/core';

/** What training needs of each output of a multi-output model (in model output order). */
export interface TrainOutput {
  name: string;
  classes: number;
  lossWeight: number;
}

/**
 * The training loss: one output's weighted cross-entropy (targets carry the class weights; normalised by their sum),
 * or with several outputs the sum of each output's, times its loss weight. log(p + eps), not log(clip(p)): clipping
 * maps NaN to eps on wasm and would hide a diverged model.
 */
export function outputsCrossEntropy(pred: tf.Tensor | tf.Tensor[], targets: tf.Tensor[], outputs?: readonly TrainOutput[]): tf.Scalar {
  const ce = (p: tf.Tensor, yb: tf.Tensor): tf.Scalar => tf.neg(tf.sum(tf.mul(yb, tf.log(tf.add(p, 1e-7))))).div(tf.sum(yb)) as tf.Scalar;
  if (!outputs) return ce(pred as tf.Tensor, targets[0]);
  const ps = pred as tf.Tensor[];
  return tf.addN(outputs.map((o, k) => tf.mul(o.lossWeight, ce(ps[k], targets[k])))) as tf.Scalar;
}

/** Class probabilities of every output for every window, in batches: one flat [n * classes] array per output. */
export async function predictOutputProbs(model: tf.LayersModel, w: WindowSet, batchSize = 256): Promise<Float32Array[]> {
  const n = w.y.length;
  const sizes = model.outputs.map((o) => o.shape[1] as number);
  const out = sizes.map((c) => new Float32Array(n * c));
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const ps = tf.tidy(() => {
      // one tensor, or one per input when the inputs have their own rates
      const r = model.apply(windowTensors(w, i, m), { training: false }) as tf.Tensor | tf.Tensor[];
      return Array.isArray(r) ? r : [r];
    });
    for (let k = 0; k < ps.length; k++) out[k].set(await ps[k].data(), i * sizes[k]);
    tf.dispose(ps);
  }
  return out;
}

/**
 * A trained job's test and validation probabilities: `probs`/`valProbs` of the first output (what one-output runs
 * record), and with several outputs the others' by name in `outputs`.
 */
export async function jobProbs(
  model: tf.LayersModel,
  testW: WindowSet,
  valW: WindowSet,
  outputs: readonly TrainOutput[] | undefined,
  predictOne: (m: tf.LayersModel, w: WindowSet) => Promise<Float32Array>
): Promise<{ probs: number[]; valProbs: number[]; outputs?: Record<string, { probs: number[]; valProbs: number[] }> }> {
  const none = (): Float32Array[] => (outputs ?? [0]).map(() => new Float32Array(0));
  const test = outputs ? await predictOutputProbs(model, testW) : [await predictOne(model, testW)];
  const val = !valW.y.length ? none() : outputs ? await predictOutputProbs(model, valW) : [await predictOne(model, valW)];
  const r = { probs: Array.from(test[0]), valProbs: Array.from(val[0]) };
  if (!outputs) return r;
  return { ...r, outputs: Object.fromEntries(outputs.slice(1).map((o, k) => [o.name, { probs: Array.from(test[k + 1]), valProbs: Array.from(val[k + 1]) }])) };
}
