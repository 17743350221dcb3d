import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { gradCheck } from '@fusion/core';
import { MLstmMode, mLstmForward, sLstmForward, XLstmForgetGate, xLstmHeadNorm } from '../src';
import { maxAbsDiff, useBackend } from './helpers';

type Mat = number[][];
/** Identity (float64) or Math.fround after every operation (a naive float32 computation). */
type Round = (v: number) => number;
const f64: Round = (v) => v;
const f32: Round = Math.fround;

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const forgetOf = (gate: XLstmForgetGate, v: number): number => (gate === 'exp' ? Math.exp(v) : sig(v));
const affine = (x: number[], W: Mat, b: number[], r: Round): number[] => b.map((bj, j) => r(x.reduce((s, xi, i) => r(s + r(xi * W[i][j])), bj)));

/**
 * The paper's sLSTM without the stabiliser (eqs. 8-14): i = exp(ĩ), f = exp(f̃) or σ(f̃), c = f c + i z,
 * n = f n + i, h = o c / n; block-diagonal R per head; gate order [i | f | z | o] per head.
 */
function refSLstm(xs: Mat, W: Mat, b: number[], R: Mat[], gate: XLstmForgetGate, r: Round): Mat {
  const nh = R.length;
  const dh = R[0].length;
  const H = nh * dh;
  let h = new Array(H).fill(0);
  const c = new Array(H).fill(0);
  const n = new Array(H).fill(0);
  const out: Mat = [];
  for (const x of xs) {
    const pre = affine(x, W, b, r);
    for (let hd = 0; hd < nh; hd++) {
      for (let col = 0; col < 4 * dh; col++) {
        for (let k = 0; k < dh; k++) pre[hd * 4 * dh + col] = r(pre[hd * 4 * dh + col] + r(h[hd * dh + k] * R[hd][k][col]));
      }
    }
    h = h.map((_, u) => {
      const base = Math.floor(u / dh) * 4 * dh + (u % dh);
      const [it, ft, zt, ot] = [0, 1, 2, 3].map((g) => pre[base + g * dh]);
      const iG = r(Math.exp(it));
      const fG = r(forgetOf(gate, ft));
      c[u] = r(r(fG * c[u]) + r(iG * Math.tanh(zt)));
      n[u] = r(r(fG * n[u]) + iG);
      return r(sig(ot) * r(c[u] / n[u]));
    });
    out.push(h);
  }
  return out;
}

/**
 * The paper's mLSTM without the stabiliser (eqs. 19-27), per head: C = f C + i v kᵀ, n = f n + i k,
 * h = o ⊙ C q / max(|nᵀq|, 1), k scaled by 1/√dh; columns [q | k | v | õ | ĩ (NH) | f̃ (NH)].
 */
function refMLstm(xs: Mat, W: Mat, b: number[], nh: number, gate: XLstmForgetGate, r: Round): Mat {
  const H = (b.length - 2 * nh) / 4;
  const dh = H / nh;
  const C = Array.from({ length: nh }, () => Array.from({ length: dh }, () => new Array(dh).fill(0)));
  const n = Array.from({ length: nh }, () => new Array(dh).fill(0));
  const out: Mat = [];
  for (const x of xs) {
    const pre = affine(x, W, b, r);
    const h = new Array(H).fill(0);
    for (let hd = 0; hd < nh; hd++) {
      const at = (block: number, j: number): number => pre[block * H + hd * dh + j];
      const q = Array.from({ length: dh }, (_, j) => at(0, j));
      const k = Array.from({ length: dh }, (_, j) => r(at(1, j) / Math.sqrt(dh)));
      const v = Array.from({ length: dh }, (_, j) => at(2, j));
      const iG = r(Math.exp(pre[4 * H + hd]));
      const fG = r(forgetOf(gate, pre[4 * H + nh + hd]));
      for (let a = 0; a < dh; a++) for (let e = 0; e < dh; e++) C[hd][a][e] = r(r(fG * C[hd][a][e]) + r(iG * r(v[a] * k[e])));
      for (let e = 0; e < dh; e++) n[hd][e] = r(r(fG * n[hd][e]) + r(iG * k[e]));
      const nq = n[hd].reduce((s, ne, e) => r(s + r(ne * q[e])), 0);
      const denom = Math.max(Math.abs(nq), 1);
      for (let a = 0; a < dh; a++) {
        const num = C[hd][a].reduce((s, ce, e) => r(s + r(ce * q[e])), 0);
        h[hd * dh + a] = r(sig(at(3, a)) * r(num / denom));
      }
    }
    out.push(h);
  }
  return out;
}

const D = 3;
const T = 5;
const H = 4;
const NH = 2;
const DH = H / NH;
const rnd = (shape: number[], seed: number, std = 0.5): tf.Tensor => tf.randomNormal(shape, 0, std, 'float32', seed);
const arr = <A>(t: tf.Tensor): A => t.arraySync() as unknown as A;

/** Largest |a - b| / max(1, |b|) over all entries (NaN counts as infinitely wrong). */
function maxRelDiff(a: Mat[], b: Mat[]): number {
  let worst = 0;
  a.forEach((m, i) => m.forEach((row, t) => row.forEach((v, k) => {
    const d = Math.abs(v - b[i][t][k]) / Math.max(1, Math.abs(b[i][t][k]));
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  })));
  return worst;
}
const allFinite = (a: Mat[]): boolean => a.every((m) => m.every((row) => row.every(Number.isFinite)));

describe('xlstm cells', () => {
  before(() => useBackend('cpu'));

  const x = rnd([2, T, D], 1, 1) as tf.Tensor3D;
  const xa = arr<Mat[]>(x);

  function sWeights(biasShift: number[]): { kernel: tf.Tensor2D; bias: tf.Tensor1D; recurrentKernel: tf.Tensor3D } {
    // biasShift per gate [i, f, z, o], added to every unit's bias of that gate
    const bias = tf.add(rnd([4 * H], 3), tf.tensor1d(Array.from({ length: 4 * H }, (_, c) => biasShift[Math.floor(c / DH) % 4])));
    return { kernel: rnd([D, 4 * H], 2) as tf.Tensor2D, bias: bias as tf.Tensor1D, recurrentKernel: rnd([NH, DH, 4 * DH], 4) as tf.Tensor3D };
  }
  function mWeights(iShift: number[], fShift: number[]): { kernel: tf.Tensor2D; bias: tf.Tensor1D } {
    const bias = tf.add(rnd([4 * H + 2 * NH], 6), tf.tensor1d([...new Array(4 * H).fill(0), ...iShift, ...fShift]));
    return { kernel: rnd([D, 4 * H + 2 * NH], 5) as tf.Tensor2D, bias: bias as tf.Tensor1D };
  }
  const sRef = (w: ReturnType<typeof sWeights>, gate: XLstmForgetGate, r: Round): Mat[] =>
    xa.map((xb) => refSLstm(xb, arr(w.kernel), arr(w.bias), arr(w.recurrentKernel), gate, r));
  const mRef = (w: ReturnType<typeof mWeights>, gate: XLstmForgetGate, r: Round): Mat[] =>
    xa.map((xb) => refMLstm(xb, arr(w.kernel), arr(w.bias), NH, gate, r));

  for (const gate of ['exp', 'sigmoid'] as const) {
    it(`sLSTM (${gate} forget gate) matches the paper's equations in plain arrays`, () => {
      const w = sWeights([0, 0, 0, 0]);
      const got = arr<Mat[]>(sLstmForward(x, w, { heads: NH, forgetGate: gate }));
      expect(maxRelDiff(got, sRef(w, gate, f64))).to.be.below(1e-5);
    });

    for (const mode of ['parallel', 'recurrent'] as MLstmMode[]) {
      it(`mLSTM ${mode} (${gate} forget gate) matches the paper's equations in plain arrays`, () => {
        const w = mWeights([0.5, -0.5], [1, -1]);
        const expected = mRef(w, gate, f64);
        const got = arr<Mat[]>(mLstmForward(x, w, { heads: NH, forgetGate: gate }, mode));
        expect(maxRelDiff(got, expected)).to.be.below(1e-5);
      });
    }
  }

  it('sLSTM stays finite and exact where the unstabilised float32 math overflows', () => {
    // ĩ ≈ 100 (e^100 > float32 max) and f̃ ≈ 40 per step (exp forget gate: e^(40 t) grows further)
    const w = sWeights([100, 40, 0, 0]);
    const naive = sRef(w, 'exp', f32);
    expect(allFinite(naive), 'naive float32 sLSTM should overflow').to.equal(false);
    const got = arr<Mat[]>(sLstmForward(x, w, { heads: NH, forgetGate: 'exp' }));
    expect(allFinite(got)).to.equal(true);
    expect(maxRelDiff(got, sRef(w, 'exp', f64))).to.be.below(1e-4);
    // and with very negative input gates the normaliser never reaches 0/0
    const low = sWeights([-120, 0, 0, 0]);
    const gotLow = arr<Mat[]>(sLstmForward(x, low, { heads: NH, forgetGate: 'sigmoid' }));
    expect(maxRelDiff(gotLow, sRef(low, 'sigmoid', f64))).to.be.below(1e-4);
  });

  for (const mode of ['parallel', 'recurrent'] as MLstmMode[]) {
    it(`mLSTM ${mode} stays finite and exact where the unstabilised float32 math overflows`, () => {
      // head 0: ĩ ≈ 100, f̃ ≈ 30 (exp gate); head 1: ordinary values
      const w = mWeights([100, 0.3], [30, 1]);
      const naive = mRef(w, 'exp', f32);
      expect(allFinite(naive), 'naive float32 mLSTM should overflow').to.equal(false);
      const got = arr<Mat[]>(mLstmForward(x, w, { heads: NH, forgetGate: 'exp' }, mode));
      expect(allFinite(got)).to.equal(true);
      expect(maxRelDiff(got, mRef(w, 'exp', f64))).to.be.below(1e-4);
    });
  }

  it('head norm normalises each head at each step, then scales', () => {
    const h = rnd([2, T, H], 7, 1) as tf.Tensor3D;
    const scale = tf.tensor1d([1, 2, 0.5, -1]);
    const expected = arr<Mat[]>(h).map((seq) => seq.map((row) => row.map((v, u) => {
      const g = row.slice(Math.floor(u / DH) * DH, Math.floor(u / DH) * DH + DH);
      const mean = g.reduce((s, e) => s + e, 0) / DH;
      const variance = g.reduce((s, e) => s + (e - mean) ** 2, 0) / DH;
      return ((v - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 0.5, -1][u];
    })));
    expect(maxAbsDiff(xLstmHeadNorm(h, NH, scale), tf.tensor(expected))).to.be.below(1e-4);
  });

  describe('gradients match finite differences', () => {
    const xs = rnd([1, 3, 2], 11, 1);
    const probe = rnd([1, 3, H], 12, 1);
    const scale = tf.tensor1d([1, 0.8, 1.2, 0.9]);
    const report = (res: ReturnType<typeof gradCheck>): string => JSON.stringify({ worst: res.worst, failures: res.failures.slice(0, 3) });

    for (const gate of ['exp', 'sigmoid'] as const) {
      // the norm over one head of 4 units: with 2 units per head it is nearly sign(a - b), too steep for eps 1e-2
      it(`sLSTM (${gate}), through the head norm`, () => {
        const inputs = [xs, rnd([2, 4 * H], 13), rnd([4 * H], 14), rnd([NH, DH, 4 * DH], 15)];
        const res = gradCheck((xx, k, b, u) => {
          const y = sLstmForward(xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, bias: b as tf.Tensor1D, recurrentKernel: u as tf.Tensor3D }, { heads: NH, forgetGate: gate });
          return tf.sum(tf.mul(tf.add(y, tf.mul(0.3, xLstmHeadNorm(y, 1, scale))), probe));
        }, inputs);
        expect(res.ok, report(res)).to.equal(true);
      });
    }

    for (const [mode, gate] of [['parallel', 'exp'], ['parallel', 'sigmoid'], ['recurrent', 'exp']] as [MLstmMode, XLstmForgetGate][]) {
      it(`mLSTM ${mode} (${gate})`, () => {
        const inputs = [xs, rnd([2, 4 * H + 2 * NH], 18, 0.8), rnd([4 * H + 2 * NH], 17, 0.8)];
        const res = gradCheck((xx, k, b) => {
          const y = mLstmForward(xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, bias: b as tf.Tensor1D }, { heads: NH, forgetGate: gate }, mode);
          return tf.sum(tf.mul(y, probe));
        }, inputs);
        expect(res.ok, report(res)).to.equal(true);
      });
    }
  });
});
