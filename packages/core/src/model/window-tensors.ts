import * as tf from '@tensorflow/tfjs';
import { windowSize, WindowSet } from '../data';

/**
 * The model input(s) of windows `from`..`from + count` of `w`: one [count, length, sensors] tensor at one common rate;
 * with inputs at their own rates (`w.parts`), one [count, length_k, 1] tensor per input, in the model's input order.
 */
export function windowTensors(w: WindowSet, from = 0, count = w.y.length): tf.Tensor3D | tf.Tensor3D[] {
  const per = windowSize(w);
  const x = w.x.subarray(from * per, (from + count) * per);
  if (!w.parts) return tf.tensor3d(x, [count, w.length, w.sensors.length]);
  return w.parts.map((q) => {
    const out = new Float32Array(count * q.length);
    for (let i = 0; i < count; i++) out.set(x.subarray(i * per + q.offset, i * per + q.offset + q.length), i * q.length);
    return tf.tensor3d(out, [count, q.length, 1]);
  });
}

/** `tf.gather` on the batch axis of one input tensor or of each. */
export function gatherWindows(x: tf.Tensor | tf.Tensor[], idx: tf.Tensor1D): tf.Tensor | tf.Tensor[] {
  return Array.isArray(x) ? x.map((t) => tf.gather(t, idx)) : tf.gather(x, idx);
}

