import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { gradCheck } from '@fusion/core';
import {
  FusionLayerNorm,
  FusionMultiHeadAttention,
  FusionPositionalEncoding,
  FusionTransformerFeedForward,
  FusionTransformerPool,
  gelu,
  layerNorm,
  multiHeadAttention,
  MultiHeadAttentionWeights,
  sinusoidalTable,
} from '../src';
import { maxAbsDiff, useBackend } from './helpers';
import { fixedMatrix, layerWeightGradCheck, refAttention } from './mha-helpers';

type Mat = number[][];

/** Fixed weights of an attention with D inputs, H heads of size K and E outputs, as arrays and tensors. */
function fixedAttention(D: number, H: number, K: number, E: number): { a: { Wqkv: Mat; bqkv: number[]; Wo: Mat; bo: number[] }; w: MultiHeadAttentionWeights } {
  const Wqkv = fixedMatrix(D, 3 * H * K, 1);
  const bqkv = fixedMatrix(1, 3 * H * K, 2, 0.2)[0];
  const Wo = fixedMatrix(H * K, E, 3);
  const bo = fixedMatrix(1, E, 4, 0.2)[0];
  return {
    a: { Wqkv, bqkv, Wo, bo },
    w: { qkvKernel: tf.tensor2d(Wqkv), qkvBias: tf.tensor1d(bqkv), outputKernel: tf.tensor2d(Wo), outputBias: tf.tensor1d(bo) },
  };
}

describe('multi-head attention', () => {
  before(() => useBackend('cpu'));

  for (const causal of [false, true]) {
    it(`matches a plain-array attention${causal ? ' with the causal mask' : ''} (D 5, 2 heads of 3, E 4)`, () => {
      const [B, T, D, H, K, E] = [2, 4, 5, 2, 3, 4];
      const { a, w } = fixedAttention(D, H, K, E);
      const xs = [fixedMatrix(T, D, 5, 1), fixedMatrix(T, D, 6, 1)];
      const { output, weights } = multiHeadAttention(tf.tensor3d(xs), w, { heads: H, causal });
      const ref = xs.map((x) => refAttention(x, a.Wqkv, a.bqkv, a.Wo, a.bo, H, causal));
      expect(output.shape).to.deep.equal([B, T, E]);
      expect(maxAbsDiff(output, tf.tensor(ref.map((r) => r.output)))).to.be.below(1e-5);
      expect(maxAbsDiff(weights, tf.tensor(ref.map((r) => r.weights)))).to.be.below(1e-6);
      if (causal) {
        // step 0 sees only itself; nothing above the diagonal
        const wa = weights.arraySync();
        expect(wa[1][1][0][0]).to.equal(1);
        expect(wa.flat(2).every((row, i) => row.every((v, j) => j <= i % T || v === 0))).to.equal(true);
      }
    });
  }

  it('gives attention rows that sum to 1', () => {
    const x = tf.randomNormal([3, 7, 8], 0, 2, 'float32', 1) as tf.Tensor3D;
    const layer = new FusionMultiHeadAttention({ heads: 4, seed: 3 });
    layer.apply(x);
    for (const causal of [false, true]) {
      const { weights } = multiHeadAttention(x, layer.weightsNow(), { heads: 4, causal });
      expect(weights.shape).to.deep.equal([3, 4, 7, 7]);
      expect(maxAbsDiff(tf.sum(weights, -1), tf.ones([3, 4, 7]))).to.be.below(1e-5);
      expect(tf.min(weights).dataSync()[0]).to.be.at.least(0);
    }
  });

  it('as a layer: [B, T, D] -> [B, T, D], equal to the reference with fixed weights', () => {
    const [T, D, H] = [4, 6, 2];
    const { a, w } = fixedAttention(D, H, D / H, D);
    for (const causal of [false, true]) {
      const layer = new FusionMultiHeadAttention({ heads: H, causal });
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [null, D] }), layer] });
      expect(model.outputs[0].shape).to.deep.equal([null, null, D]);
      layer.setWeights([w.qkvKernel, w.qkvBias, w.outputKernel, w.outputBias]);
      const x = fixedMatrix(T, D, 7, 1);
      const expected = refAttention(x, a.Wqkv, a.bqkv, a.Wo, a.bo, H, causal).output;
      expect(maxAbsDiff(model.predict(tf.tensor3d([x])) as tf.Tensor, tf.tensor3d([expected]))).to.be.below(1e-5);
    }
  });

  it('rejects heads that do not divide the features, unless keyDim is given', () => {
    const layer = new FusionMultiHeadAttention({ heads: 4 });
    expect(() => layer.apply(tf.input({ shape: [5, 6] }))).to.throw(/divisible by heads 4/);
    const wide = new FusionMultiHeadAttention({ heads: 4, keyDim: 2, outputDim: 3 });
    expect((wide.apply(tf.input({ shape: [5, 6] })) as tf.SymbolicTensor).shape).to.deep.equal([null, 5, 3]);
    expect(wide.getWeights().map((v) => v.shape)).to.deep.equal([[6, 24], [24], [8, 3], [3]]);
  });

  it('drops attention weights and output only when training, reproducibly per seed', () => {
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2);
    const make = (): FusionMultiHeadAttention => new FusionMultiHeadAttention({ heads: 2, dropout: 0.5, outputDropout: 0.3, seed: 5 });
    const plain = new FusionMultiHeadAttention({ heads: 2, seed: 5 });
    const [l1, l2] = [make(), make()];
    const outs = [l1, l2].map((l) => [l.apply(x, { training: true }), l.apply(x, { training: true }), l.apply(x)] as tf.Tensor[]);
    expect(maxAbsDiff(outs[0][0], outs[1][0])).to.equal(0);
    expect(maxAbsDiff(outs[0][1], outs[1][1])).to.equal(0);
    expect(maxAbsDiff(outs[0][0], outs[0][1])).to.be.above(0);
    expect(maxAbsDiff(outs[0][2], plain.apply(x) as tf.Tensor)).to.equal(0);
  });

  for (const causal of [false, true]) {
    it(`matches finite differences (input and every weight${causal ? ', causal' : ''})`, () => {
      const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 0.6, 'float32', seed);
      const [T, D, H] = [3, 4, 2];
      const inputs = [rnd([1, T, D], 1), rnd([D, 3 * D], 2), rnd([3 * D], 3), rnd([D, D], 4), rnd([D], 5)];
      const r = rnd([1, T, D], 6);
      const res = gradCheck(
        (x, k, b, o, c) => {
          const { output, weights } = multiHeadAttention(x as tf.Tensor3D, { qkvKernel: k as tf.Tensor2D, qkvBias: b as tf.Tensor1D, outputKernel: o as tf.Tensor2D, outputBias: c as tf.Tensor1D }, { heads: H, causal });
          weights.dispose();
          return tf.sum(tf.mul(tf.tanh(output), r));
        },
        inputs
      );
      expect(res.ok, JSON.stringify(res.failures.slice(0, 3))).to.equal(true);
      expect(res.checked).to.equal(12 + 48 + 12 + 16 + 4);
    });
  }

  it("the layer's own variables match finite differences", () => {
    const layer = new FusionMultiHeadAttention({ heads: 2, causal: true, seed: 4 });
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 7);
    const r = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 8);
    layer.apply(x);
    const failures = layerWeightGradCheck(layer, () => tf.sum(tf.mul(tf.tanh(layer.apply(x) as tf.Tensor), r)) as tf.Scalar);
    expect(failures, JSON.stringify(failures.slice(0, 3))).to.deep.equal([]);
  });

  it('the config is complete', () => {
    const l = new FusionMultiHeadAttention({ heads: 3, keyDim: 5, outputDim: 7, causal: true, dropout: 0.2, outputDropout: 0.1, seed: 9 });
    const clone = FusionMultiHeadAttention.fromConfig(FusionMultiHeadAttention, l.getConfig()) as FusionMultiHeadAttention;
    expect(clone.getConfig()).to.deep.equal(l.getConfig());
    expect(clone.getConfig()).to.include({ heads: 3, keyDim: 5, outputDim: 7, causal: true, dropout: 0.2, outputDropout: 0.1, seed: 9 });
  });
});

describe('positional encoding', () => {
  before(() => useBackend('cpu'));

  it('has the sinusoidal values worked out by hand', () => {
    const pe = sinusoidalTable(6, 6); // [6, 6] row-major
    const at = (p: number, c: number): number => pe[p * 6 + c];
    expect(Array.from(pe.slice(0, 6))).to.deep.equal([0, 1, 0, 1, 0, 1]); // position 0: sin 0, cos 0
    expect(at(1, 0)).to.be.closeTo(0.841471, 1e-6); // sin(1)
    expect(at(1, 1)).to.be.closeTo(0.540302, 1e-6); // cos(1)
    expect(at(1, 2)).to.be.closeTo(0.0463992, 1e-6); // sin(1 / 10000^(2/6)) = sin(1 / 21.5443)
    expect(at(2, 3)).to.be.closeTo(0.995694, 1e-6); // cos(2 / 21.5443)
    expect(at(3, 4)).to.be.closeTo(0.00646326, 1e-7); // sin(3 / 10000^(4/6)) = sin(3 / 464.159)
    expect(at(5, 5)).to.be.closeTo(0.999942, 1e-6); // cos(5 / 464.159)
    expect(sinusoidalTable(3, 5)[2 * 5 + 4]).to.be.closeTo(0.00126191, 1e-7); // odd width: last column sin(2 / 10000^(4/5))
  });

  it('adds the table to every sequence of the batch, for any length', () => {
    const layer = new FusionPositionalEncoding({});
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [null, 6] }), layer] });
    expect(model.countParams()).to.equal(0);
    for (const t of [3, 6]) {
      const x = tf.randomNormal([2, t, 6], 0, 1, 'float32', t);
      const expected = tf.add(x, tf.tensor2d(sinusoidalTable(t, 6), [t, 6]));
      expect(maxAbsDiff(model.predict(x) as tf.Tensor, expected)).to.be.below(1e-6);
    }
    expect(maxAbsDiff(tf.slice(model.predict(tf.zeros([1, 2, 6])) as tf.Tensor, [0, 1, 0], [1, 1, 1]), tf.scalar(Math.sin(1)))).to.be.below(1e-6);
  });

  it("'learned' adds the first T rows of a [maxLength, D] table and refuses longer sequences", () => {
    const layer = new FusionPositionalEncoding({ mode: 'learned', maxLength: 5, seed: 2 });
    layer.apply(tf.input({ shape: [null, 3] }));
    const [table] = layer.getWeights();
    expect(table.shape).to.deep.equal([5, 3]);
    expect(tf.max(tf.abs(table)).dataSync()[0]).to.be.below(0.05);
    const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 3);
    expect(maxAbsDiff(layer.apply(x) as tf.Tensor, tf.add(x, tf.slice(table, [0, 0], [4, 3])))).to.equal(0);
    expect(() => layer.apply(tf.zeros([1, 6, 3]))).to.throw(/at most 5 time steps/);
    expect(() => new FusionPositionalEncoding({ mode: 'learned' })).to.throw(/maxLength/);
  });

  it('matches finite differences (input, both modes; learned table)', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
    const r = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
    for (const mode of ['sinusoidal', 'learned'] as const) {
      const layer = new FusionPositionalEncoding({ mode, maxLength: 4, seed: 1 });
      layer.apply(x);
      const res = gradCheck((v) => tf.sum(tf.mul(tf.tanh(layer.apply(v) as tf.Tensor), r)), [x]);
      expect(res.ok, `${mode}: ${JSON.stringify(res.failures.slice(0, 3))}`).to.equal(true);
      if (mode === 'learned') {
        const failures = layerWeightGradCheck(layer, () => tf.sum(tf.mul(tf.tanh(layer.apply(x) as tf.Tensor), r)) as tf.Scalar);
        expect(failures, JSON.stringify(failures.slice(0, 3))).to.deep.equal([]);
      }
    }
  });

  it('the config is complete', () => {
    const l = new FusionPositionalEncoding({ mode: 'learned', maxLength: 12, dropout: 0.1, seed: 4 });
    const clone = FusionPositionalEncoding.fromConfig(FusionPositionalEncoding, l.getConfig()) as FusionPositionalEncoding;
    expect(clone.getConfig()).to.deep.equal(l.getConfig());
    expect(clone.getConfig()).to.include({ mode: 'learned', maxLength: 12, dropout: 0.1, seed: 4 });
  });
});

describe('layer norm, feed-forward, pooling', () => {
  before(() => useBackend('cpu'));

  it('layer norm matches a plain-array normalisation and tf.layers.layerNormalization', () => {
    const xa = fixedMatrix(3, 5, 2, 2);
    const g = [1, 2, 0.5, -1, 1.5];
    const b = [0, 0.1, -0.2, 0.3, 1];
    const expected = xa.map((row) => {
      const mean = row.reduce((s, v) => s + v, 0) / row.length;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[i] + b[i]);
    });
    const x = tf.tensor3d([xa]);
    expect(maxAbsDiff(layerNorm(x, tf.tensor1d(g), tf.tensor1d(b)), tf.tensor3d([expected]))).to.be.below(1e-5);
    const ours = new FusionLayerNorm();
    const theirs = tf.layers.layerNormalization({ epsilon: 1e-5 });
    ours.apply(x);
    theirs.apply(x);
    for (const l of [ours, theirs]) l.setWeights([tf.tensor1d(g), tf.tensor1d(b)]);
    expect(maxAbsDiff(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor)).to.be.below(1e-5);
  });

  it('layer norm and the feed-forward block match finite differences', () => {
    const rnd = (shape: number[], seed: number, mean = 0): tf.Tensor => tf.randomNormal(shape, mean, 0.8, 'float32', seed);
    const r = rnd([2, 3, 4], 9);
    const res = gradCheck((x, g, b) => tf.sum(tf.mul(tf.tanh(layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D)), r)), [rnd([2, 3, 4], 1), rnd([4], 2, 1), rnd([4], 3)]);
    expect(res.ok, JSON.stringify(res.failures.slice(0, 3))).to.equal(true);
    const x = rnd([2, 3, 4], 4);
    for (const activation of ['relu', 'gelu'] as const) {
      const ff = new FusionTransformerFeedForward({ units: 5, activation, seed: 3 });
      ff.apply(x);
      const failures = layerWeightGradCheck(ff, () => tf.sum(tf.mul(ff.apply(x) as tf.Tensor, r)) as tf.Scalar);
      expect(failures, `${activation}: ${JSON.stringify(failures.slice(0, 3))}`).to.deep.equal([]);
    }
  });

  it('the feed-forward block drops units only when training, reproducibly per seed', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
    const [a, b] = [1, 2].map(() => new FusionTransformerFeedForward({ units: 8, dropout: 0.5, outputDropout: 0.2, seed: 6 }));
    const plain = new FusionTransformerFeedForward({ units: 8, seed: 6 });
    const ta = [a.apply(x, { training: true }), a.apply(x, { training: true })] as tf.Tensor[];
    expect(maxAbsDiff(ta[0], b.apply(x, { training: true }) as tf.Tensor)).to.equal(0);
    expect(maxAbsDiff(ta[0], ta[1])).to.be.above(0);
    expect(maxAbsDiff(a.apply(x) as tf.Tensor, plain.apply(x) as tf.Tensor)).to.equal(0);
  });

  it('gelu is the exact erf form', () => {
    const y = gelu(tf.tensor1d([-1, 0, 1, 3])).dataSync();
    [-0.158655, 0, 0.841345, 2.995950].forEach((v, i) => expect(y[i]).to.be.closeTo(v, 1e-5));
  });

  it('pools the time mean or the last step', () => {
    const x = tf.tensor3d([[[1, 2], [3, 4], [5, 9]]]);
    const mean = new FusionTransformerPool({ mode: 'mean' });
    const last = new FusionTransformerPool({ mode: 'last' });
    expect((mean.apply(x) as tf.Tensor).arraySync()).to.deep.equal([[3, 5]]);
    expect((last.apply(x) as tf.Tensor).arraySync()).to.deep.equal([[5, 9]]);
    expect(last.computeOutputShape([null, 3, 2])).to.deep.equal([null, 2]);
  });

  it('the configs are complete', () => {
    const layers: tf.layers.Layer[] = [
      new FusionLayerNorm({ epsilon: 1e-3 }),
      new FusionTransformerFeedForward({ units: 7, activation: 'gelu', dropout: 0.2, outputDropout: 0.1, seed: 3 }),
      new FusionTransformerPool({ mode: 'last' }),
    ];
    for (const l of layers) {
      const cls = l.constructor as unknown as typeof FusionLayerNorm;
      expect(cls.fromConfig(cls, l.getConfig()).getConfig()).to.deep.equal(l.getConfig());
    }
  });
});
