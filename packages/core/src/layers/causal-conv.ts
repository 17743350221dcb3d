import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../errors';

/**
 * Stacks the causal, dilated taps of a sequence on the channel axis.
 *
 * `x` is [groups, batch, time, channels]. Tap j (0-based, j < kernelSize) is `x` shifted right in time by
 * (kernelSize-1-j)*dilation steps, zeros entering from the left, so the last tap is `x` itself. The result is
 * [groups, batch, time, kernelSize*channels] with tap j in channels j*C..(j+1)*C-1: a matMul with a
 * [kernelSize*C, Cout] kernel is then a causal dilated convolution (PyTorch's "pad (k-1)d, conv, chomp").
 * Built from one pad and k slices, which have gradients on every backend (unlike conv1d with dilation > 1,
 * and unlike any convolution gradient on wasm).
 */
export function causalShiftStack(x: tf.Tensor4D, kernelSize: number, dilation: number): tf.Tensor4D {
  checkKernelArgs(kernelSize, dilation);
  if (x.rank !== 4) throw new ShapeMismatchError('causalShiftStack input', x.shape, '[groups, batch, time, channels]');
  if (kernelSize === 1) return x;
  if (!tf.engine().isTapeOn() && x.shape[2] >= ROW_TAPS_MIN_STEPS) {
    const pad = (kernelSize - 1) * dilation;
    return tapsFromRows(x, pad, 0, Array.from({ length: kernelSize }, (_, j) => j * dilation));
  }
  return tf.tidy(() => {
    const [g, b, t, c] = x.shape;
    const pad = (kernelSize - 1) * dilation;
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [pad, 0],
      [0, 0],
    ]);
    const taps: tf.Tensor4D[] = [];
    for (let j = 0; j < kernelSize - 1; j++) taps.push(tf.slice(padded, [0, 0, j * dilation, 0], [g, b, t, c]));
    taps.push(x);
    return tf.concat(taps, 3);
  });
}

/**
 * Steps from which `causalShiftStack` builds its taps with `tapsFromRows` when no tape records: below, its 4 extra
 * kernels cost more than the per-step copies they save (5 sensors: 2 x 100 copies per conv at length 20).
 */
export const ROW_TAPS_MIN_STEPS = 64;

/**
 * Taps of a stride-1 convolution over time as whole-sequence copies, for inference (no gradient wanted):
 * x [groups, batch, time, c] -> [groups, batch, time, starts.length * c] where tap j (channels j*c..(j+1)*c-1) at
 * step t is x[t + starts[j] - padLeft], zero outside the sequence (padRight >= the largest starts[j] - padLeft).
 * The same tensor as pad + 4-D slices + a channel-axis concat, whose wasm kernels copy one time step at a time in
 * JavaScript (groups x batch x time copies per tap); here the taps are slices of the padded sequences seen as rows
 * [groups*batch, time*c] (one copy per sequence), stacked tap-major (one copy per tap) and put step-major by one
 * transpose: 4 kernels more, far fewer copies.
 */
export function tapsFromRows(x: tf.Tensor4D, padLeft: number, padRight: number, starts: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [g, b, t, c] = x.shape;
    const rows = tf.reshape(x, [g * b, t * c]);
    const padded = tf.pad(rows, [
      [0, 0],
      [padLeft * c, padRight * c],
    ]);
    const taps = starts.map((s) => (s === padLeft ? rows : tf.slice(padded, [0, s * c], [g * b, t * c])));
    const stepMajor = tf.transpose(tf.reshape(tf.concat(taps, 0), [starts.length, g * b * t, c]), [1, 0, 2]);
    return tf.reshape(stepMajor, [g, b, t, starts.length * c]) as tf.Tensor4D;
  });
}

/**
 * a [M, K] x b [K, N] and a [G, M, K] x b [G, K, N] (one product per group) whose forward and backward passes
 * use only plain, untransposed 2-D matMuls (explicit transposes instead). On wasm, tfjs's matMul reaches
 * XNNPACK only for a single untransposed 2-D product; a batched or transposed one (autograd's dA = dy b^T,
 * dB = a^T dy) takes a generic loop 5-15x slower. Same values and gradients as tf.matMul.
 */
const matMul2d = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(saved[1])), tf.matMul(tf.transpose(saved[0]), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

const groupedMatMul = tf.customGrad(((a: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([a, b]);
  const bs = tf.unstack(b);
  return {
    value: tf.stack(tf.unstack(a).map((ai, i) => tf.matMul(ai, bs[i]))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const dys = tf.unstack(dy);
      const at = tf.unstack(tf.transpose(saved[0], [0, 2, 1]));
      const bt = tf.unstack(tf.transpose(saved[1], [0, 2, 1]));
      return [tf.stack(dys.map((d, i) => tf.matMul(d, bt[i]))), tf.stack(at.map((x, i) => tf.matMul(x, dys[i])))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/**
 * Rows up to which a grouped product with no gradient being recorded is one batched matMul rather than `groupedMatMul`'s
 * per-group 2-D products. For few rows (a single window's time steps, the channel attention's pooled rows) the
 * unstack + G products + stack cost more kernel launches than the generic batched loop costs in arithmetic; from
 * about 64 rows on XNNPACK's 2-D products win (measured on wasm, [5, M, 50] x [5, 50, 25]: M = 20 batched 176 us vs
 * split 314 us; M = 64 406 vs 320; M = 640 4,463 vs 3,720). Training always takes the split path.
 */
export const GROUPED_BATCHED_MAX_ROWS = 48;

/**
 * A tiny grouped product (the channel attention's MLP: [2B, C] x [C, 1] and [2B, 1] x [1, C] per sensor) in few
 * kernels, with the values of `groupedMatMul` bit for bit. Forward and input gradient are batched matMuls: their sums
 * run over K or N <= `TINY_MAX_INNER` terms, which tfjs's batched loop adds in order like XNNPACK. The weight
 * gradient sums over M rows, which that loop adds in blocks of 48: it is taken instead from one plain 2-D product
 * a^T [G*K, M] x dy [M, G*N] (XNNPACK, in order), whose diagonal blocks are the per-group products; the other
 * blocks are masked out (adding exact zeros changes no bit). 10 kernels instead of 25.
 */
const tinyGroupedMatMul = tf.customGrad(((a: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [g, m, k] = saved[0].shape;
      const n = saved[1].shape[2] as number;
      const at = tf.reshape(tf.transpose(saved[0], [0, 2, 1]), [g * k, m]);
      const dyRows = tf.reshape(tf.transpose(dy, [1, 0, 2]), [m, g * n]);
      const all = tf.reshape(tf.matMul(at, dyRows), [g, k, g, n]);
      const mask = tf.tensor4d(Array.from({ length: g * g }, (_, i) => (Math.floor(i / g) === i % g ? 1 : 0)), [g, 1, g, 1]);
      return [tf.matMul(dy, saved[1], false, true), tf.sum(tf.mul(all, mask), 2)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Inner sizes (K and N) up to which a grouped product can be `tinyGroupedMatMul`; see there. */
const TINY_MAX_INNER = 32;
/** Multiply-adds per group (M x K x N) up to which a grouped product is `tinyGroupedMatMul` in training. */
export const GROUPED_TINY_MAX_MACS = 4096;

/**
 * a [G, M, K] x b [G, K, N]: one batched matMul for few rows at inference, `tinyGroupedMatMul` for tiny products,
 * else `groupedMatMul`. Same values.
 */
function groupedProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [, m, k] = a.shape;
  const n = b.shape[2];
  const tiny = k <= TINY_MAX_INNER && n <= TINY_MAX_INNER && m * k * n <= GROUPED_TINY_MAX_MACS;
  if (!tf.engine().isTapeOn()) {
    // the forward values of the paths below without their gradient wrappers
    if (m <= GROUPED_BATCHED_MAX_ROWS || tiny) return tf.matMul(a, b);
    const bs = tf.unstack(b);
    return tf.stack(tf.unstack(a).map((ai, i) => tf.matMul(ai, bs[i]))) as tf.Tensor3D;
  }
  if (tiny) return tinyGroupedMatMul(a, b);
  return groupedMatMul(a, b);
}

/**
 * Causal dilated 1-D convolution over time, grouped over the first axis.
 *
 * - `x`: [groups, batch, time, cin] (groups are sensors in the TCN).
 * - `kernel`: [groups, kernelSize*cin, cout] (one kernel per group: one batched matMul over groups) or
 *   [kernelSize*cin, cout] (shared by all groups). Row j*cin + c is tap j, input channel c; tap j multiplies
 *   x[t - (kernelSize-1-j)*dilation].
 * - `bias`: optional, [groups, cout] or [cout].
 *
 * Output: [groups, batch, time, cout]; output at t depends only on inputs at times <= t.
 */
export function causalConv1d(
  x: tf.Tensor4D,
  kernel: tf.Tensor2D | tf.Tensor3D,
  kernelSize: number,
  dilation: number,
  bias?: tf.Tensor1D | tf.Tensor2D
): tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeMismatchError('causalConv1d input', x.shape, '[groups, batch, time, channels]');
  const [g, b, t, cin] = x.shape;
  const rows = kernelSize * cin;
  const grouped = kernel.rank === 3;
  if (grouped ? kernel.shape[0] !== g || kernel.shape[1] !== rows : kernel.rank !== 2 || kernel.shape[0] !== rows) {
    throw new ShapeMismatchError(
      'causalConv1d kernel',
      kernel.shape,
      `[${g}, ${rows}, cout] (grouped) or [${rows}, cout] (shared) for ${g} groups, kernelSize ${kernelSize}, ${cin} input channels`
    );
  }
  const cout = kernel.shape[kernel.rank - 1];
  if (bias && !(bias.rank === 1 ? bias.shape[0] === cout : bias.shape[0] === g && bias.shape[1] === cout)) {
    throw new ShapeMismatchError('causalConv1d bias', bias.shape, `[${cout}] or [${g}, ${cout}]`);
  }
  return tf.tidy(() => {
    const taps = causalShiftStack(x, kernelSize, dilation);
    const y = grouped
      ? groupedProduct(tf.reshape(taps, [g, b * t, rows]), kernel as tf.Tensor3D)
      : tf.reshape((tf.engine().isTapeOn() ? matMul2d : tf.matMul)(tf.reshape(taps, [g * b * t, rows]), kernel as tf.Tensor2D), [g, b * t, cout]);
    const yb = bias ? tf.add(y, bias.rank === 1 ? bias : tf.reshape(bias, [g, 1, cout])) : y;
    return tf.reshape(yb, [g, b, t, cout]) as tf.Tensor4D;
  });
}

/**
 * Grouped 1x1 projection (a Dense per group): x [groups, batch, time, cin] times kernel [groups, cin, cout]
 * (or a shared [cin, cout]), plus an optional bias [groups, cout] / [cout].
 */
export function groupedPointwise(x: tf.Tensor4D, kernel: tf.Tensor2D | tf.Tensor3D, bias?: tf.Tensor1D | tf.Tensor2D): tf.Tensor4D {
  return causalConv1d(x, kernel, 1, 1, bias);
}

function checkKernelArgs(kernelSize: number, dilation: number): void {
  if (!Number.isInteger(kernelSize) || kernelSize < 1) {
    throw new RangeError(`kernelSize ${kernelSize} received; expected an integer >= 1.`);
  }
  if (!Number.isInteger(dilation) || dilation < 1) {
    throw new RangeError(`dilation ${dilation} received; expected an integer >= 1.`);
  }
}
