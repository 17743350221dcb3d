import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@fusion/core/layers';
import type { BiGruOutput, BiGruWeights } from './bigru-layer';

/**
 * The bidirectional GRU of `biGruForward` (same convention, weights, outputs and gradients) with a hand-written
 * backward pass through time (`tf.customGrad`). Written for backends where every kernel launch costs tens of
 * microseconds whatever its size (wasm, cpu) and where, on wasm, only plain 2-D matMuls are fast (batched or
 * transposed ones take a slow path, 5-15x slower) and a slice copies its whole source (so per-step slices of a
 * [T, ...] tensor cost O(T^2) over a sequence).
 *
 * Layout: both directions side by side, h [B, 2H] = [h_fwd | h_bwd]; gate columns gate-major
 * [r_f r_b | z_f z_b | n_f n_b]; recurrent kernels block-diagonal [2H, .] so that one plain matMul per step serves
 * both directions. The backward direction runs over reversed time; its input projections are brought into step
 * order on one host copy (see `hostSteps`).
 *
 * Forward per step (11 kernels): one matMul h Ubd [B, 6H] plus [input projections of r and z | c_n] (one add),
 * split into the r|z pre-activations and h U_n + c_n, one sigmoid, split into r and z, then 6 elementwise kernels.
 * Each column's sum is the one of separate products, so the values are those of the earlier 13-kernel step
 * (two matMuls, two adds, two slices) bit for bit. The states and gate activations are stacked once and saved.
 *
 * Backward: everything that does not depend on the incoming gradient is computed in bulk over [T, B, ...] first.
 * With A = (1-z)(1-n^2) (per direction and step):
 *   d(pre-activation of r) = dh * A * ghn * r(1-r)      (ghn = h U_n + c_n)
 *   d(pre-activation of z) = dh * (h_prev - n) * z(1-z)
 *   d(pre-activation of n) = dh * A                     (input side; the recurrent side is dh * A * r)
 *   dh_prev = dh * z + [dr | dz | dn * r] U^T
 * so with M = [Cr | Bz | A r | z] ([T, B, 4, 2H]) one step is P = dh * M_t (broadcast over the four blocks)
 * and dh_prev = P Uaug with Uaug = [U_r^T; U_z^T; U_n^T; I] ([8H, 2H]): four kernels per step. The input side of
 * n, dh * A, comes after the loop from the stacked dh of all steps (one product), so the steps' products carry no
 * block of zeros. The stacked P of all steps then gives dU (per direction: its previous states against its own
 * columns, the diagonal blocks of the block-diagonal's gradient without computing the others: 3.3x less arithmetic),
 * the biases (sums over rows), dW and dX (one matMul each). Every element is the same sum, in the same order, as
 * with the 5-block P and one product for the whole block-diagonal, so the gradients are the same bits.
 */
export function biGruFused(x: tf.Tensor3D, w: BiGruWeights, output: BiGruOutput): tf.Tensor {
  const [, t, d] = x.shape;
  const h3 = w.recurrentKernel.shape[2];
  if (w.kernel.shape[0] !== d || w.kernel.shape[1] !== 2 * h3) {
    throw new ShapeMismatchError('biGruFused kernel', w.kernel.shape, `[${d}, ${2 * h3}]`);
  }
  if (t < 1) throw new ShapeMismatchError('biGruFused input', x.shape, '[batch, time >= 1, features]');
  return fusedOp(output)(x, w.kernel, w.bias, w.recurrentKernel, w.recurrentBias);
}

type FusedFn = (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, recurrentKernel: tf.Tensor, recurrentBias: tf.Tensor) => tf.Tensor;

const ops = new Map<BiGruOutput, FusedFn>();
function fusedOp(output: BiGruOutput): FusedFn {
  let op = ops.get(output);
  if (!op) {
    op = tf.customGrad(((...args: unknown[]) => fusedBody(output, args)) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as FusedFn;
    ops.set(output, op);
  }
  return op;
}

/**
 * Steps of a time-major y [T, B, W] whose W columns are 2H-wide blocks [forward H | backward H]: with `align`,
 * step i takes the forward halves from time i and the backward halves from time T-1-i (the map is its own
 * inverse). Done on one host copy: on wasm a slice copies its whole source and reverse/gather run element by
 * element in JavaScript, so per-step slices of a [T, ...] tensor would cost O(T^2) over a sequence. Not
 * differentiable: for use inside the custom-gradient function only.
 */
function hostSteps(y: tf.Tensor, units: number, align: boolean, cols = y.shape[2] as number): Float32Array[] {
  const [t, b, w] = y.shape;
  const vals = y.dataSync() as Float32Array;
  const step = b * w;
  return Array.from({ length: t }, (_, i) => {
    if (!align && cols === w) return vals.slice(i * step, (i + 1) * step);
    // With `cols` < W, only the first `cols` columns of each row (a multiple of 2H).
    const out = new Float32Array(b * cols);
    const j = align ? t - 1 - i : i;
    for (let row = 0; row < b; row++) {
      for (let col = 0; col < cols; col += 2 * units) {
        const from = row * w + col;
        const o = row * cols + col;
        out.set(vals.subarray(i * step + from, i * step + from + units), o);
        out.set(vals.subarray(j * step + from + units, j * step + from + 2 * units), o + units);
      }
    }
    return out;
  });
}
function stepTensors(y: tf.Tensor, units: number, align: boolean, shape: number[]): tf.Tensor[] {
  return hostSteps(y, units, align).map((v) => tf.tensor(v, shape, 'float32'));
}
/** T tensors [B, W] in step order -> one [T, B, W] (or [B, T, W] with batchMajor) in time order. */
function alignedStack(steps: tf.Tensor[], units: number, batchMajor: boolean): tf.Tensor {
  const t = steps.length;
  const [b, w] = steps[0].shape;
  const parts = hostSteps(tf.stack(steps), units, true);
  const out = new Float32Array(t * b * w);
  parts.forEach((v, i) => {
    if (!batchMajor) out.set(v, i * b * w);
    else for (let row = 0; row < b; row++) out.set(v.subarray(row * w, (row + 1) * w), (row * t + i) * w);
  });
  return tf.tensor(out, batchMajor ? [b, t, w] : [t, b, w], 'float32');
}

/** Columns [dir, gate, j] (the weights' order) -> [gate, dir, j] (the step layout), for a [rows, 6H] matrix. */
function toGateMajor(m: tf.Tensor, units: number): tf.Tensor2D {
  const rows = m.size / (6 * units);
  return tf.reshape(tf.transpose(tf.reshape(m, [rows, 2, 3, units]), [0, 2, 1, 3]), [rows, 6 * units]);
}
function fromGateMajor(m: tf.Tensor, units: number): tf.Tensor2D {
  const rows = m.size / (6 * units);
  return tf.reshape(tf.transpose(tf.reshape(m, [rows, 3, 2, units]), [0, 2, 1, 3]), [rows, 6 * units]);
}

/** U [2, H, 3H] -> block-diagonal [2H, 6H] in the step layout. */
function blockDiagonal(u: tf.Tensor3D, units: number): tf.Tensor2D {
  const [u0, u1] = tf.unstack(tf.reshape(u, [2, units, 3, 1, units]), 0);
  const rows0 = tf.pad(u0, [[0, 0], [0, 0], [0, 1], [0, 0]]);
  const rows1 = tf.pad(u1, [[0, 0], [0, 0], [1, 0], [0, 0]]);
  return tf.reshape(tf.concat([rows0, rows1], 0), [2 * units, 6 * units]);
}

function fusedBody(output: BiGruOutput, args: unknown[]): { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } {
  const [x, kernel, bias, recKernel, recBias] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor3D, tf.Tensor2D];
  const save = args[5] as (ts: tf.Tensor[]) => void;
  const [b, t, d] = x.shape;
  const units = recKernel.shape[2] / 3;
  const h2 = 2 * units;
  const slice2 = (m: tf.Tensor, col: number, width: number): tf.Tensor2D => tf.slice(m, [0, col], [m.shape[0], width]) as tf.Tensor2D;

  // Input projections of every step and both directions, then the backward direction's columns in reversed time.
  const x2 = tf.reshape(tf.transpose(x, [1, 0, 2]), [t * b, d]);
  const wg = toGateMajor(kernel, units);
  const bg = toGateMajor(bias, units);
  const cg = toGateMajor(recBias, units);
  const projRz = tf.add(tf.matMul(x2, slice2(wg, 0, 2 * h2)), tf.add(slice2(bg, 0, 2 * h2), slice2(cg, 0, 2 * h2)));
  const projN = tf.add(tf.matMul(x2, slice2(wg, 2 * h2, h2)), slice2(bg, 2 * h2, h2));
  // What each step adds to h Ubd [B, 6H]: [its r and z input projections | c_n] (rows of c_n on the host).
  const cN = slice2(cg, 2 * h2, h2).dataSync() as Float32Array;
  const gx = hostSteps(tf.reshape(projRz, [t, b, 2 * h2]), units, true).map((rz) => {
    const out = new Float32Array(b * 3 * h2);
    for (let row = 0; row < b; row++) {
      out.set(rz.subarray(row * 2 * h2, (row + 1) * 2 * h2), row * 3 * h2);
      out.set(cN, row * 3 * h2 + 2 * h2);
    }
    return tf.tensor(out, [b, 3 * h2], 'float32');
  });
  const gxN = stepTensors(tf.reshape(projN, [t, b, h2]), units, true, [b, h2]);
  const ubd = blockDiagonal(recKernel, units);

  let h: tf.Tensor2D = tf.zeros([b, h2]);
  const hs: tf.Tensor[] = [];
  const rzs: tf.Tensor[] = [];
  const ns: tf.Tensor[] = [];
  const ghns: tf.Tensor[] = [];
  for (let i = 0; i < t; i++) {
    hs.push(h);
    // One product for all gates (each column's sum is the one of the separate products), one add, two splits.
    const [rzPre, ghn] = tf.split(tf.add(gx[i], tf.matMul(h, ubd)), [2 * h2, h2], 1);
    const rz = tf.sigmoid(rzPre);
    const [r, z] = tf.split(rz, 2, 1);
    const n = tf.tanh(tf.add(gxN[i], tf.mul(r, ghn)));
    h = tf.add(n, tf.mul(z, tf.sub(h, n)));
    rzs.push(rz);
    ns.push(n);
    ghns.push(ghn);
  }
  let value: tf.Tensor;
  if (output === 'last') value = h;
  else if (output === 'mean') value = tf.div(tf.addN([...hs.slice(1), h]), t);
  else value = alignedStack([...hs.slice(1), h], units, true);
  save([tf.stack(hs), tf.stack(rzs), tf.stack(ns), tf.stack(ghns), x2, wg, ubd]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [hPrev, rzAll, nAll, ghnAll, x2S, wgS, ubdS] = saved as tf.Tensor3D[];
    const r = tf.slice(rzAll, [0, 0, 0], [t, b, h2]);
    const z = tf.slice(rzAll, [0, 0, h2], [t, b, h2]);
    const a = tf.mul(tf.sub(1, z), tf.sub(1, tf.square(nAll)));
    const ar = tf.mul(a, r);
    const cr = tf.mul(tf.mul(ar, ghnAll), tf.sub(1, r));
    const bz = tf.mul(tf.mul(tf.sub(hPrev, nAll), z), tf.sub(1, z));
    const m = stepTensors(tf.reshape(tf.stack([cr, bz, ar, z], 2), [t, b, 4 * h2]), units, false, [b, 4, h2]);
    const uAug = tf.transpose(tf.concat([ubdS, tf.eye(h2)], 1)) as tf.Tensor2D; // [8H, 2H]

    let dhStep: tf.Tensor[] | undefined;
    let dh: tf.Tensor;
    if (output === 'last') {
      dh = dy;
    } else if (output === 'mean') {
      const g = tf.div(dy, t);
      dhStep = Array.from({ length: t }, () => g);
      dh = tf.zerosLike(g);
    } else {
      dhStep = stepTensors(tf.transpose(dy, [1, 0, 2]), units, true, [b, h2]);
      dh = tf.zerosLike(dhStep[0]);
    }
    const ps: tf.Tensor[] = new Array(t);
    const dhs: tf.Tensor[] = new Array(t);
    for (let i = t - 1; i >= 0; i--) {
      if (dhStep) dh = tf.add(dh, dhStep[i]);
      dhs[i] = dh;
      const p = tf.reshape(tf.mul(tf.reshape(dh, [b, 1, h2]), m[i]), [b, 4 * h2]);
      ps[i] = p;
      if (i > 0) dh = tf.matMul(p, uAug);
    }
    const pAll = tf.reshape(tf.stack(ps), [t * b, 4 * h2]);
    // The input side of n's pre-activation, dh * A, of every step at once.
    const pN = tf.reshape(tf.mul(tf.stack(dhs), a), [t * b, h2]);
    // dU per direction: its previous states against its own [dr | dz | dn * r] columns (the diagonal blocks of the
    // block-diagonal's gradient, each element the same sum over steps and rows).
    const hT = tf.transpose(tf.reshape(hPrev, [t * b, h2])); // [2H, T B]
    const pDir = tf.reshape(pAll, [t * b, 4, 2, units]);
    const dU = tf.stack(
      [0, 1].map((dir) =>
        tf.matMul(tf.slice(hT, [dir * units, 0], [units, t * b]), tf.reshape(tf.slice(pDir, [0, 0, dir, 0], [t * b, 3, 1, units]), [t * b, 3 * units]))
      )
    ); // [2, H, 3H]
    const pSum = tf.sum(pAll, 0, true); // [1, 8H]
    const dRecBias = tf.reshape(fromGateMajor(slice2(pSum, 0, 3 * h2), units), [2, 3 * units]);
    const dBias = tf.reshape(fromGateMajor(tf.concat([slice2(pSum, 0, 2 * h2), tf.sum(pN, 0, true)], 1), units), [6 * units]);
    // Input side [dr | dz | dn] of every step, back in time order, on one host copy.
    const rzSteps = hostSteps(tf.reshape(pAll, [t, b, 4 * h2]), units, true, 2 * h2);
    const nSteps = hostSteps(tf.reshape(pN, [t, b, h2]), units, true);
    const dgxVals = new Float32Array(t * b * 3 * h2);
    for (let i = 0; i < t; i++) {
      for (let row = 0; row < b; row++) {
        const o = (i * b + row) * 3 * h2;
        dgxVals.set(rzSteps[i].subarray(row * 2 * h2, (row + 1) * 2 * h2), o);
        dgxVals.set(nSteps[i].subarray(row * h2, (row + 1) * h2), o + 2 * h2);
      }
    }
    const dgx = tf.tensor(dgxVals, [t * b, 3 * h2], 'float32');
    const dKernel = fromGateMajor(tf.matMul(tf.transpose(x2S), dgx), units);
    const dx = tf.transpose(tf.reshape(tf.matMul(dgx, tf.transpose(wgS)), [t, b, d]), [1, 0, 2]);
    return [dx, dKernel, dBias, dU, dRecBias];
  };
  return { value, gradFunc };
}
