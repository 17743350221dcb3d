import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@fusion/core/layers';

/**
 * The two cells of xLSTM (Beck et al. 2024, "xLSTM: Extended Long Short-Term Memory", arXiv:2405.04517) as pure
 * tensor functions, [B, T, D] -> [B, T, H] (the hidden state at every step). Plain tf ops only (matMul,
 * elementwise, exp/log/max, cumsum), so autograd gives the backward pass on every backend (wasm and cpu included).
 *
 * Both cells use exponential input gates and keep the paper's stabiliser state m_t = max(log f_t + m_{t-1}, ĩ_t),
 * i'_t = exp(ĩ_t - m_t), f'_t = exp(log f_t + m_{t-1} - m_t), so no exp() ever sees a positive argument. The
 * initial state is c_0 = n_0 = 0 (C_0 = 0, n_0 = 0) and m_0 = -∞, i.e. m_1 = ĩ_1 (as NX-AI's reference code):
 * with zero initial states the choice of m_0 cannot change the outputs, and m_0 = -∞ keeps n_t >= 1 for the sLSTM
 * (a finite m_0 lets i'_1 underflow to 0 and c/n become 0/0 for very negative ĩ_1).
 */

/** `tf.unstack` that also has a gradient for a length-1 axis (tfjs' Unpack gradient fails there, cf. tfjs #8255). */
function unstackSteps(x: tf.Tensor, axis: number): tf.Tensor[] {
  return x.shape[axis] === 1 ? [tf.squeeze(x, [axis])] : tf.unstack(x, axis);
}

/** 'exp': f = exp(f̃), log f = f̃ (the paper's exponential forget gate); 'sigmoid': f = σ(f̃), log f = log σ(f̃). */
export type XLstmForgetGate = 'exp' | 'sigmoid';

/** Options shared by both cells. */
export interface XLstmCellOptions {
  /** Heads; the H hidden units split into heads of H/heads units (unit u belongs to head floor(u / (H/heads))). */
  heads: number;
  /** Default 'exp'. */
  forgetGate?: XLstmForgetGate;
}

/**
 * sLSTM weights, H units in NH heads of dh = H/NH units, D input features. Columns of `kernel` and `bias` are head
 * major, then gate, then unit: column (head·4 + g)·dh + k for gate g in order [i | f | z | o]. The recurrent
 * matrix is block-diagonal per head (as in the paper): `recurrentKernel[head]` maps that head's dh hidden units
 * to its 4·dh pre-activations in the same [i | f | z | o] order.
 */
export interface SLstmWeights {
  /** [D, 4H]. */
  kernel: tf.Tensor2D;
  /** [4H]. */
  bias: tf.Tensor1D;
  /** [NH, dh, 4dh]. */
  recurrentKernel: tf.Tensor3D;
}

/**
 * sLSTM over a sequence, per unit (stabilised form of the paper's eqs. 8-17 and 15-17):
 *   [ĩ f̃ z̃ õ] = W x_t + R_head h_{t-1} + b
 *   z = tanh(z̃), o = σ(õ), log f = f̃ (exp) or log σ(f̃) (sigmoid)
 *   m_t = max(log f + m_{t-1}, ĩ);  i' = exp(ĩ - m_t);  f' = exp(log f + m_{t-1} - m_t)
 *   c_t = f' c_{t-1} + i' z;  n_t = f' n_{t-1} + i';  h_t = o ⊙ c_t / n_t
 * Input projections of all steps are one matMul; each step is one batched matMul ([NH, B, dh] × [NH, dh, 4dh])
 * and about twenty elementwise kernels. Returns [B, T, H].
 */
export function sLstmForward(x: tf.Tensor3D, w: SLstmWeights, options: XLstmCellOptions): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, d] = x.shape;
    const [nh, dh, dh4] = w.recurrentKernel.shape;
    const h = nh * dh;
    if (nh !== options.heads || dh4 !== 4 * dh) {
      throw new ShapeMismatchError('sLstmForward recurrentKernel', w.recurrentKernel.shape, `[${options.heads}, dh, 4·dh]`);
    }
    if (w.kernel.shape[0] !== d || w.kernel.shape[1] !== 4 * h) {
      throw new ShapeMismatchError('sLstmForward kernel', w.kernel.shape, `[${d}, ${4 * h}]`);
    }
    const expForget = (options.forgetGate ?? 'exp') === 'exp';
    const proj = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), w.kernel), w.bias);
    const steps = unstackSteps(tf.transpose(tf.reshape(proj, [b, t, nh, 4 * dh]), [1, 2, 0, 3]), 0); // T × [NH, B, 4dh]
    let hPrev: tf.Tensor | undefined;
    let c: tf.Tensor | undefined;
    let n: tf.Tensor | undefined;
    let m: tf.Tensor | undefined;
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < t; i++) {
      const pre = hPrev === undefined ? steps[i] : tf.add(steps[i], tf.matMul(hPrev, w.recurrentKernel));
      const [ig, fg, zg, og] = tf.split(pre, 4, 2);
      const z = tf.tanh(zg);
      if (c === undefined || n === undefined || m === undefined) {
        // m_1 = ĩ_1, so i' = 1: c_1 = z, n_1 = 1 (h_1 = o ⊙ z).
        m = ig;
        c = z;
        n = tf.onesLike(z);
        hPrev = tf.mul(tf.sigmoid(og), z);
      } else {
        const logfm = tf.add(expForget ? fg : tf.neg(tf.softplus(tf.neg(fg))), m);
        const mNew = tf.maximum(logfm, ig);
        const iP = tf.exp(tf.sub(ig, mNew));
        const fP = tf.exp(tf.sub(logfm, mNew));
        c = tf.add(tf.mul(fP, c), tf.mul(iP, z));
        n = tf.add(tf.mul(fP, n), iP);
        m = mNew;
        hPrev = tf.mul(tf.sigmoid(og), tf.div(c, n));
      }
      outs.push(hPrev);
    }
    // [T, NH, B, dh] -> [B, T, NH, dh] -> [B, T, H]
    return tf.reshape(tf.transpose(tf.stack(outs, 0), [2, 0, 1, 3]), [b, t, h]) as tf.Tensor3D;
  });
}

/**
 * mLSTM weights, H units in NH heads of dh = H/NH, D input features. Columns of `kernel`/`bias`:
 * [q (H) | k (H) | v (H) | õ (H) | ĩ (NH) | f̃ (NH)]; within q, k, v and õ unit u = head·dh + j.
 */
export interface MLstmWeights {
  /** [D, 4H + 2NH]. */
  kernel: tf.Tensor2D;
  /** [4H + 2NH]. */
  bias: tf.Tensor1D;
}

/** 'parallel': all steps at once with [T, T] decay matrices (few kernels, O(T²) memory); 'recurrent': step by step. */
export type MLstmMode = 'parallel' | 'recurrent';

interface MLstmProjections {
  b: number;
  t: number;
  nh: number;
  dh: number;
  /** [B, NH, T, dh] each; k already divided by √dh. */
  q: tf.Tensor4D;
  k: tf.Tensor4D;
  v: tf.Tensor4D;
  /** σ(õ), [B, T, H]. */
  o: tf.Tensor3D;
  /** [B, NH, T]. */
  ig: tf.Tensor3D;
  logf: tf.Tensor3D;
}

function mLstmProject(x: tf.Tensor3D, w: MLstmWeights, options: XLstmCellOptions): MLstmProjections {
  const [b, t, d] = x.shape;
  const nh = options.heads;
  const cols = w.kernel.shape[1];
  const h = (cols - 2 * nh) / 4;
  const dh = h / nh;
  if (w.kernel.shape[0] !== d || !Number.isInteger(dh) || dh < 1) {
    throw new ShapeMismatchError('mLstmForward kernel', w.kernel.shape, `[${d}, 4·H + 2·${nh}] with H a multiple of ${nh}`);
  }
  const proj = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [b * t, d]), w.kernel), w.bias), [b, t, cols]);
  const [q, k, v, o, ig, fg] = tf.split(proj, [h, h, h, h, nh, nh], 2);
  const toHeads = (a: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(a, [b, t, nh, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
  const expForget = (options.forgetGate ?? 'exp') === 'exp';
  return {
    b,
    t,
    nh,
    dh,
    q: toHeads(q),
    k: toHeads(tf.mul(k, 1 / Math.sqrt(dh))),
    v: toHeads(v),
    o: tf.sigmoid(o) as tf.Tensor3D,
    ig: tf.transpose(ig, [0, 2, 1]) as tf.Tensor3D,
    logf: tf.transpose(expForget ? fg : tf.neg(tf.softplus(tf.neg(fg))), [0, 2, 1]) as tf.Tensor3D,
  };
}

/**
 * mLSTM over a sequence, per head (stabilised form of the paper's eqs. 19-27):
 *   q_t = W_q x_t + b_q,  k_t = (W_k x_t + b_k)/√dh,  v_t = W_v x_t + b_v,  o_t = σ(W_o x_t + b_o)
 *   ĩ_t, f̃_t scalars per head from x_t;  log f = f̃ (exp) or log σ(f̃) (sigmoid)
 *   m_t = max(log f_t + m_{t-1}, ĩ_t);  i' = exp(ĩ_t - m_t);  f' = exp(log f_t + m_{t-1} - m_t)
 *   C_t = f' C_{t-1} + i' v_t k_tᵀ;  n_t = f' n_{t-1} + i' k_t
 *   h̃_t = C_t q_t / max(|n_tᵀ q_t|, exp(-m_t));  h_t = o_t ⊙ h̃_t
 * The stabilised states are exp(-m_t) times the unstabilised ones, so the lower bound exp(-m_t) is exactly the
 * paper's max(|n_tᵀ q_t|, 1) of the unstabilised form: the outputs equal the unstabilised math.
 *
 * 'parallel' (default) computes the same thing for all steps at once, as NX-AI's `parallel_stabilized_simple`:
 * log D_tj = Σ_{s=j+1..t} log f_s + ĩ_j for j <= t (else -∞), m_t = max_j log D_tj (the recurrent m_t with
 * m_0 = -∞), S = (Q Kᵀ) ⊙ exp(log D - m), h̃ = S V / max(|Σ_j S_tj|, exp(-m_t)). Returns [B, T, H].
 */
export function mLstmForward(x: tf.Tensor3D, w: MLstmWeights, options: XLstmCellOptions, mode: MLstmMode = 'parallel'): tf.Tensor3D {
  return tf.tidy(() => {
    const p = mLstmProject(x, w, options);
    const { b, t, nh, dh } = p;
    const hTilde = mode === 'parallel' ? mLstmParallel(p) : mLstmRecurrent(p);
    // [B, NH, T, dh] -> [B, T, H]
    return tf.mul(p.o, tf.reshape(tf.transpose(hTilde, [0, 2, 1, 3]), [b, t, nh * dh])) as tf.Tensor3D;
  });
}

function mLstmParallel(p: MLstmProjections): tf.Tensor {
  const { t } = p;
  const cum = tf.cumsum(p.logf, 2); // F_t = Σ_{s<=t} log f_s, [B, NH, T]
  // log D_tj = F_t - F_j + ĩ_j; the upper triangle (j > t) is masked to -∞ by adding a constant.
  const mask = new Float32Array(t * t);
  for (let r = 0; r < t; r++) for (let c = r + 1; c < t; c++) mask[r * t + c] = -Infinity;
  const logD = tf.add(tf.sub(tf.expandDims(cum, 3), tf.expandDims(tf.sub(cum, p.ig), 2)), tf.tensor2d(mask, [t, t]));
  const m = tf.max(logD, 3, true); // [B, NH, T, 1]
  const s = tf.mul(tf.matMul(p.q, p.k, false, true), tf.exp(tf.sub(logD, m)));
  const denom = tf.maximum(tf.abs(tf.sum(s, 3, true)), tf.exp(tf.neg(m)));
  return tf.div(tf.matMul(s, p.v), denom);
}

function mLstmRecurrent(p: MLstmProjections): tf.Tensor {
  const { t } = p;
  // Per step: [B, NH, dh] vectors, [B, NH, 1] gates.
  const qs = unstackSteps(p.q, 2);
  const ks = unstackSteps(p.k, 2);
  const vs = unstackSteps(p.v, 2);
  const igs = unstackSteps(tf.expandDims(p.ig, 3), 2);
  const lfs = unstackSteps(tf.expandDims(p.logf, 3), 2);
  let cMat: tf.Tensor | undefined; // [B, NH, dh, dh]
  let n: tf.Tensor | undefined; // [B, NH, dh]
  let m: tf.Tensor | undefined; // [B, NH, 1]
  const outs: tf.Tensor[] = [];
  for (let i = 0; i < t; i++) {
    const vk = tf.matMul(tf.expandDims(vs[i], 3), tf.expandDims(ks[i], 2));
    if (cMat === undefined || n === undefined || m === undefined) {
      m = igs[i]; // m_1 = ĩ_1, i' = 1
      cMat = vk;
      n = ks[i];
    } else {
      const logfm = tf.add(lfs[i], m);
      const mNew = tf.maximum(logfm, igs[i]);
      const iP = tf.exp(tf.sub(igs[i], mNew));
      const fP = tf.exp(tf.sub(logfm, mNew));
      cMat = tf.add(tf.mul(tf.expandDims(fP, 3), cMat), tf.mul(tf.expandDims(iP, 3), vk));
      n = tf.add(tf.mul(fP, n), tf.mul(iP, ks[i]));
      m = mNew;
    }
    const num = tf.squeeze(tf.matMul(cMat, tf.expandDims(qs[i], 3)), [3]);
    const denom = tf.maximum(tf.abs(tf.sum(tf.mul(n, qs[i]), 2, true)), tf.exp(tf.neg(m)));
    outs.push(tf.div(num, denom));
  }
  return tf.stack(outs, 2); // [B, NH, T, dh]
}

/**
 * Per-head normalisation of a [B, T, H] sequence (the paper's head-wise GroupNorm after each cell): each head's
 * dh units at each step are shifted to mean 0 and scaled to variance 1, then multiplied by `scale` [H].
 */
export function xLstmHeadNorm(h: tf.Tensor3D, heads: number, scale: tf.Tensor1D, epsilon = 1e-5): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, units] = h.shape;
    const g = tf.reshape(h, [b, t, heads, units / heads]);
    const { mean, variance } = tf.moments(g, 3, true);
    const normed = tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.mul(tf.reshape(normed, [b, t, units]), scale) as tf.Tensor3D;
  });
}
