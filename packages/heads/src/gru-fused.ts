import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@fusion/core';
import type { BiGruOutput, BiGruWeights } from './bigru-layer';

/**
 * The bidirectional GRU of `biGruForward` (same convention, weights, outputs and gradients) with a hand-written
 * backward pass through time (`tf.customGrad`), for speed on backends where every kernel launch costs tens of
 * microseconds (wasm, cpu) whatever its size.
 *
 * Forward: one matMul for the input projections of all steps and both directions; per step one batched matMul
 * [2, B, H] x [2, H, 3H] for both directions' recurrent projections and a dozen elementwise kernels. The gate
 * activations and states are stacked once and saved.
 *
 * Backward: everything that does not depend on the incoming gradient is computed in bulk over [T, 2, B, ...]
 * first. Per direction and step, with A = (1-z)(1-n^2):
 *   d(pre-activation of r) = dh * A * ghn * r(1-r)      (ghn = h U_n + c_n)
 *   d(pre-activation of z) = dh * (h_prev - n) * z(1-z)
 *   d(pre-activation of n) = dh * A                    (input side; the recurrent side is dh * A * r)
 *   dh_prev = dh * z + [dr | dz | dn * r] U^T
 * so with M = [Cr | Bz | A | A r | z] ([T, 2, B, 5, H], the factors above) one step is P = dh * M_t (broadcast
 * over the five blocks) and dh_prev = P Uaug with Uaug = [U_rz^T; 0; U_n^T; I] ([2, 5H, H]): a reshape, a
 * multiply, a reshape and a matMul per step. The stacked P of all steps then gives dU (one matMul with the
 * stacked previous states), the biases (one sum) and dX, dW (two matMuls) at once.
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

/** From [T, 2, B, H] states (backward direction in reversed time) to the layer's output. */
function emit(states: tf.Tensor4D | undefined, last: tf.Tensor3D, output: BiGruOutput): tf.Tensor {
  const [, b, units] = last.shape;
  if (output === 'last') return tf.reshape(tf.transpose(last, [1, 0, 2]), [b, 2 * units]);
  const s = states as tf.Tensor4D;
  const t = s.shape[0];
  if (output === 'mean') return tf.reshape(tf.transpose(tf.div(tf.sum(s, 0), t), [1, 0, 2]), [b, 2 * units]);
  const [sf, sb] = tf.split(s, 2, 1);
  const aligned = tf.concat([sf, tf.reverse(sb, 0)], 1);
  return tf.reshape(tf.transpose(aligned, [2, 0, 1, 3]), [b, t, 2 * units]);
}

function fusedBody(output: BiGruOutput, args: unknown[]): { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } {
  const [x, kernel, bias, recKernel, recBias] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor3D, tf.Tensor2D];
  const save = args[5] as (ts: tf.Tensor[]) => void;
  const [b, t, d] = x.shape;
  const h3 = recKernel.shape[2];
  const units = h3 / 3;

  // Input projections, time-major, both directions: [2, T*B, D] x [2, D, 3H]; direction 1 reads x reversed.
  const xt = tf.transpose(x, [1, 0, 2]);
  const xs = tf.reshape(tf.stack([xt, tf.reverse(xt, 0)]), [2, t * b, d]) as tf.Tensor3D;
  const w2 = tf.transpose(tf.reshape(kernel, [d, 2, h3]), [1, 0, 2]) as tf.Tensor3D;
  const gxAll = tf.add(tf.matMul(xs, w2), tf.reshape(bias, [2, 1, h3]));
  const gx = tf.unstack(tf.transpose(tf.reshape(gxAll, [2, t, b, h3]), [1, 0, 2, 3]), 0); // T x [2, B, 3H]
  const c = tf.reshape(recBias, [2, 1, h3]);

  let h: tf.Tensor = tf.zeros([2, b, units]);
  const hs: tf.Tensor[] = [h];
  const ss: tf.Tensor[] = [];
  const ns: tf.Tensor[] = [];
  const ghns: tf.Tensor[] = [];
  for (let i = 0; i < t; i++) {
    const ghb = tf.add(tf.matMul(h, recKernel), c);
    const s = tf.sigmoid(tf.add(gx[i], ghb)); // the n third is not used
    const r = tf.slice(s, [0, 0, 0], [2, b, units]);
    const z = tf.slice(s, [0, 0, units], [2, b, units]);
    const ghn = tf.slice(ghb, [0, 0, 2 * units], [2, b, units]);
    const n = tf.tanh(tf.add(tf.slice(gx[i], [0, 0, 2 * units], [2, b, units]), tf.mul(r, ghn)));
    h = tf.add(n, tf.mul(z, tf.sub(h, n)));
    hs.push(h);
    ss.push(s);
    ns.push(n);
    ghns.push(ghn);
  }
  const allH = tf.stack(hs) as tf.Tensor4D; // [T+1, 2, B, H]: h_0 = 0, ..., h_T
  const states = output === 'last' ? undefined : (tf.slice(allH, [1, 0, 0, 0], [t, 2, b, units]) as tf.Tensor4D);
  const value = emit(states, h as tf.Tensor3D, output);
  save([tf.slice(allH, [0, 0, 0, 0], [t, 2, b, units]), tf.stack(ss), tf.stack(ns), tf.stack(ghns), xs, w2]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [hPrev, sAll, nAll, ghnAll, xsS, w2S] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
    // Factors of the step gradients, all steps at once: M [T, 2, B, 5, H] = [Cr | Bz | A | A r | z].
    const r = tf.slice(sAll, [0, 0, 0, 0], [t, 2, b, units]);
    const z = tf.slice(sAll, [0, 0, 0, units], [t, 2, b, units]);
    const a = tf.mul(tf.sub(1, z), tf.sub(1, tf.square(nAll)));
    const ar = tf.mul(a, r);
    const cr = tf.mul(tf.mul(ar, ghnAll), tf.sub(1, r));
    const bz = tf.mul(tf.mul(tf.sub(hPrev, nAll), z), tf.sub(1, z));
    const m = tf.unstack(tf.stack([cr, bz, a, ar, z], 3), 0); // T x [2, B, 5, H]
    // Uaug [2, 5H, H] = [U_r^T; U_z^T; 0; U_n^T; I].
    const ut = tf.transpose(recKernel, [0, 2, 1]);
    const eye = tf.broadcastTo(tf.reshape(tf.eye(units), [1, units, units]), [2, units, units]);
    const uAug = tf.concat(
      [tf.slice(ut, [0, 0, 0], [2, 2 * units, units]), tf.zeros([2, units, units]), tf.slice(ut, [0, 2 * units, 0], [2, units, units]), eye],
      1
    ) as tf.Tensor3D;

    // Gradient w.r.t. the states, per step (index i: the state after step i, i.e. h_{i+1}).
    const perDir = (g: tf.Tensor): tf.Tensor3D => tf.transpose(tf.reshape(g, [b, 2, units]), [1, 0, 2]) as tf.Tensor3D;
    let dhStep: tf.Tensor[] | undefined;
    let dh: tf.Tensor;
    if (output === 'last') {
      dh = perDir(dy);
    } else if (output === 'mean') {
      const g = tf.div(perDir(dy), t);
      dhStep = Array.from({ length: t }, () => g);
      dh = tf.zerosLike(g);
    } else {
      const g = tf.transpose(tf.reshape(dy, [b, t, 2, units]), [1, 2, 0, 3]); // [T, 2, B, H], aligned time
      const [gf, gb] = tf.split(g, 2, 1);
      dhStep = tf.unstack(tf.concat([gf, tf.reverse(gb, 0)], 1), 0);
      dh = tf.zerosLike(dhStep[0]);
    }
    const ps: tf.Tensor[] = new Array(t);
    for (let i = t - 1; i >= 0; i--) {
      if (dhStep) dh = tf.add(dh, dhStep[i]);
      const p = tf.reshape(tf.mul(tf.reshape(dh, [2, b, 1, units]), m[i]), [2, b, 5 * units]);
      ps[i] = p;
      if (i > 0) dh = tf.matMul(p, uAug);
    }
    // Stacked step gradients [T, 2, B, 5H] -> per direction [2, T*B, 5H].
    const pAll = tf.reshape(tf.transpose(tf.stack(ps), [1, 0, 2, 3]), [2, t * b, 5 * units]);
    const hp = tf.reshape(tf.transpose(hPrev, [1, 0, 2, 3]), [2, t * b, units]);
    const blocks = (y: tf.Tensor, lead: number[]): tf.Tensor => {
      // [.., 5H] -> the recurrent-side blocks [dr | dz | dn*r] = blocks 0, 1, 3
      const at = (start: number, width: number): tf.Tensor =>
        tf.slice(y, [...lead.map(() => 0), start * units], [...lead, width * units]);
      return tf.concat([at(0, 2), at(3, 1)], lead.length);
    };
    const dU = blocks(tf.matMul(hp, pAll, true, false), [2, units]);
    const pSum = tf.sum(pAll, 1); // [2, 5H]
    const dRecBias = blocks(pSum, [2]);
    const dBias = tf.reshape(tf.slice(pSum, [0, 0], [2, h3]), [2 * h3]);
    const dgx = tf.slice(pAll, [0, 0, 0], [2, t * b, h3]); // input-side blocks [dr | dz | dn]
    const dW2 = tf.matMul(xsS, dgx, true, false); // [2, D, 3H]
    const dKernel = tf.reshape(tf.transpose(dW2, [1, 0, 2]), [d, 2 * h3]);
    const dxs = tf.reshape(tf.matMul(dgx, w2S, false, true), [2, t, b, d]);
    const [dxf, dxb] = tf.unstack(dxs, 0);
    const dx = tf.transpose(tf.add(dxf, tf.reverse(dxb, 0)), [1, 0, 2]);
    return [dx, dKernel, dBias, dU, dRecBias];
  };
  return { value, gradFunc };
}
