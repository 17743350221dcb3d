import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError, tapsFromRows } from '@fusion/core/layers';

/**
 * Left padding of a stride-1 convolution over time that keeps the length: `'same'` centres the kernel
 * (floor((k-1)/2) steps on the left, the rest on the right, as Keras; for odd k this is PyTorch's
 * `padding=k//2`), `'causal'` puts all k-1 steps on the left so no output sees the future.
 */
export function shiftPadLeft(kernelSize: number, padding: 'same' | 'causal'): number {
  return padding === 'causal' ? kernelSize - 1 : Math.floor((kernelSize - 1) / 2);
}

/**
 * Stacks the taps of a stride-1, dilation-1 convolution on the channel axis: x [groups, batch, time, c] ->
 * [groups, batch, time, kernelSize*c], tap j (channels j*c..(j+1)*c-1) holding x[t + j - padLeft] with zeros
 * outside the sequence. With padLeft = kernelSize-1 this is core's `causalShiftStack` (dilation 1).
 * One pad and k slices: gradients on every backend (tf.conv1d has none on wasm).
 */
export function shiftStack(x: tf.Tensor4D, kernelSize: number, padLeft: number): tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeMismatchError('shiftStack input', x.shape, '[groups, batch, time, channels]');
  if (!Number.isInteger(kernelSize) || kernelSize < 1) {
    throw new RangeError(`shiftStack: kernelSize ${kernelSize} received; expected an integer >= 1.`);
  }
  if (!Number.isInteger(padLeft) || padLeft < 0 || padLeft > kernelSize - 1) {
    throw new RangeError(`shiftStack: padLeft ${padLeft} received; expected an integer in [0, ${kernelSize - 1}].`);
  }
  if (kernelSize === 1) return x;
  // no gradient being recorded: the same taps from whole-sequence copies (see tapsFromRows)
  if (!tf.engine().isTapeOn()) return tapsFromRows(x, padLeft, kernelSize - 1 - padLeft, Array.from({ length: kernelSize }, (_, j) => j));
  return tf.tidy(() => {
    const [g, b, t, c] = x.shape;
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [padLeft, kernelSize - 1 - padLeft],
      [0, 0],
    ]);
    const taps: tf.Tensor4D[] = [];
    for (let j = 0; j < kernelSize; j++) taps.push(j === padLeft ? x : tf.slice(padded, [0, 0, j, 0], [g, b, t, c]));
    return tf.concat(taps, 3);
  });
}

/**
 * Stride-1 1-D convolution over time, grouped over the first axis, as shifted copies and one (batched) matMul.
 *
 * - `x`: [groups, batch, time, cin].
 * - `kernel`: [groups, kernelSize*cin, cout] (one per group) or [kernelSize*cin, cout] (shared); row j*cin + c
 *   is tap j, input channel c, multiplying x[t + j - padLeft] (PyTorch's weight[o, c, j]).
 * - `padLeft`: see `shiftPadLeft`; the output has the input's length.
 * - `bias`: optional, [groups, cout] or [cout].
 */
export function shiftConv1d(
  x: tf.Tensor4D,
  kernel: tf.Tensor2D | tf.Tensor3D,
  kernelSize: number,
  padLeft: number,
  bias?: tf.Tensor1D | tf.Tensor2D
): tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeMismatchError('shiftConv1d input', x.shape, '[groups, batch, time, channels]');
  const [g, b, t, cin] = x.shape;
  const rows = kernelSize * cin;
  const grouped = kernel.rank === 3;
  if (grouped ? kernel.shape[0] !== g || kernel.shape[1] !== rows : kernel.rank !== 2 || kernel.shape[0] !== rows) {
    throw new ShapeMismatchError(
      'shiftConv1d kernel',
      kernel.shape,
      `[${g}, ${rows}, cout] (grouped) or [${rows}, cout] (shared) for ${g} groups, kernelSize ${kernelSize}, ${cin} input channels`
    );
  }
  const cout = kernel.shape[kernel.rank - 1];
  return tf.tidy(() => {
    const taps = shiftStack(x, kernelSize, padLeft);
    const y = grouped
      ? tf.matMul(tf.reshape(taps, [g, b * t, rows]), kernel as tf.Tensor3D)
      : tf.reshape(tf.matMul(tf.reshape(taps, [g * b * t, rows]), kernel as tf.Tensor2D), [g, b * t, cout]);
    const yb = bias ? tf.add(y, bias.rank === 1 ? bias : tf.reshape(bias, [g, 1, cout])) : y;
    return tf.reshape(yb, [g, b, t, cout]) as tf.Tensor4D;
  });
}
