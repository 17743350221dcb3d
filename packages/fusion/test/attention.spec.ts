import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { gradCheck } from '@fusion/core';
import { attentionFusion, AttentionFusionConfig, attentionFusionSchema, FusionSensorAttention, sensorAttentionForward } from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

const T = 4;
const S = 3;
const F = 2;

function fusionModel(config: Partial<AttentionFusionConfig> = {}, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [T, S, F] });
  return tf.model({ inputs: input, outputs: attentionFusion.apply(input, { type: 'attention', ...config }, testContext(S, T, seed)) });
}

/** Plain-array reference: x [B][T][S][F] -> weights [B][T][S] and the weighted sum [B][T][F]. */
function reference(x: number[][][][], W: number[][], b: number[], v: number[][]): { a: number[][][]; sum: number[][][] } {
  const a = x.map((xb) =>
    xb.map((xt) => {
      const scores = xt.map((f) => W[0].reduce((acc, _, u) => acc + v[u][0] * Math.tanh(f.reduce((h, fi, i) => h + fi * W[i][u], b[u])), 0));
      const mx = Math.max(...scores);
      const e = scores.map((sc) => Math.exp(sc - mx));
      const z = e.reduce((p, q) => p + q, 0);
      return e.map((q) => q / z);
    })
  );
  const sum = x.map((xb, bi) => xb.map((xt, t) => xt[0].map((_, i) => xt.reduce((acc, f, s) => acc + a[bi][t][s] * f[i], 0))));
  return { a, sum };
}

describe('attention fusion', () => {
  before(() => useBackend('cpu'));

  it("maps [B, T, S, F] to [B, T, F] ('sum') or [B, T, S*F] ('concat'), also with an unknown time length", () => {
    expect(fusionModel().outputs[0].shape).to.deep.equal([null, T, F]);
    expect(fusionModel({ output: 'concat' }).outputs[0].shape).to.deep.equal([null, T, S * F]);
    const input = tf.input({ shape: [null, S, F] });
    const out = attentionFusion.apply(input, { type: 'attention', units: 4 }, testContext());
    expect(out.shape).to.deep.equal([null, null, F]);
    expect((tf.model({ inputs: input, outputs: out }).predict(tf.ones([2, 7, S, F])) as tf.Tensor).shape).to.deep.equal([2, 7, F]);
    expect(() => attentionFusion.apply(tf.input({ shape: [T, F] }), { type: 'attention' }, testContext())).to.throw(/expected \[batch, time, sensors, features\]/);
  });

  it('weights are a softmax over sensors (sum to 1) and match a plain-array implementation; concat scales by S*weight', () => {
    const m = fusionModel({ units: 3 });
    const layer = m.layers[1] as FusionSensorAttention;
    // small fixed weights
    layer.setWeights([tf.tensor2d([0.5, -1, 0.3, 0.8, 0.2, -0.6], [F, 3]), tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor2d([1.5, -0.7, 0.9], [3, 1])]);
    const x = tf.randomNormal([2, T, S, F], 0, 1.5, 'float32', 3) as tf.Tensor4D;
    const a = layer.attentionWeights(x);
    expect(a.shape).to.deep.equal([2, T, S]);
    expect(maxAbsDiff(tf.sum(a, -1), tf.ones([2, T]))).to.be.below(1e-6);
    expect(tf.min(a).dataSync()[0]).to.be.above(0);
    const ref = reference(x.arraySync(), [[0.5, -1, 0.3], [0.8, 0.2, -0.6]], [0.1, -0.2, 0.3], [[1.5], [-0.7], [0.9]]);
    expect(maxAbsDiff(a, tf.tensor(ref.a))).to.be.below(1e-5);
    // the weights are not uniform (otherwise the test would not see the scorer)
    expect(tf.max(a).dataSync()[0] - tf.min(a).dataSync()[0]).to.be.above(0.05);
    expect(maxAbsDiff(m.predict(x) as tf.Tensor, tf.tensor(ref.sum))).to.be.below(1e-5);

    const mc = fusionModel({ units: 3, output: 'concat' });
    mc.layers[1].setWeights(layer.getWeights());
    const yc = mc.predict(x) as tf.Tensor;
    const expected = tf.reshape(tf.mul(x, tf.mul(tf.expandDims(tf.tensor(ref.a), 3), S)), [2, T, S * F]);
    expect(maxAbsDiff(yc, expected)).to.be.below(1e-5);
  });

  it('matches finite differences (input and every weight, both outputs)', () => {
    const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 0.8, 'float32', seed);
    for (const output of ['sum', 'concat'] as const) {
      const x = rnd([1, 2, S, F], 10);
      const r = rnd(output === 'sum' ? [1, 2, F] : [1, 2, S * F], 11);
      const res = gradCheck(
        (xi, k, b, v) => tf.sum(tf.mul(sensorAttentionForward(xi as tf.Tensor4D, { kernel: k as tf.Tensor2D, bias: b as tf.Tensor1D, score: v as tf.Tensor2D }, output), r)),
        [x, rnd([F, 3], 12), rnd([3], 13), rnd([3, 1], 14)],
        3e-3,
        { rtol: 3e-2, atol: 2e-3 }
      );
      expect(res.ok, `${output}: ${JSON.stringify(res.failures.slice(0, 3))}`).to.equal(true);
    }
  });

  /** attention -> flatten -> softmax: the label is the sign of one sensor's feature, so attention helps. */
  function classifier(seed: number): tf.LayersModel {
    const input = tf.input({ shape: [T, S, F] });
    const fused = attentionFusion.apply(input, { type: 'attention', units: 8 }, testContext(S, T, seed));
    const flat = tf.layers.flatten().apply(fused) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(flat);
    return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  }
  function toyData(n = 16): { xs: tf.Tensor; ys: tf.Tensor } {
    return tf.tidy(() => {
      const xs = tf.randomNormal([n, T, S, F], 0, 1, 'float32', 7);
      const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, 0, 1, 0], [n, T, 1, 1]), [1, 2, 3]), 0), 'int32');
      return { xs, ys: tf.oneHot(label as tf.Tensor1D, 2) };
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases, the scorer's weights move)`, async function () {
      await useBackend(backend);
      try {
        const m = classifier(3);
        const { xs, ys } = toyData(32);
        const opt = tf.train.adam(3e-2);
        const k0 = m.layers[1].getWeights()[0].clone();
        const l0 = evalLoss(m, xs, ys);
        for (let i = 0; i < 20; i++) trainStep(m, opt, xs, ys);
        const l1 = evalLoss(m, xs, ys);
        expect(tf.getBackend()).to.equal(backend);
        expect(l1).to.be.below(l0 * 0.9);
        expect(maxAbsDiff(k0, m.layers[1].getWeights()[0])).to.be.above(1e-3);
      } finally {
        await useBackend('cpu');
      }
    });
  }
});

describe('attention fusion schema', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(attentionFusionSchema, c).length === 0;
    const cfg: Record<string, unknown> = { type: 'attention' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'attention', units: 32, output: 'sum' });
    expect(validate({ type: 'attention', output: 'mean' })).to.equal(false);
    expect(validate({ type: 'attention', heads: 2 })).to.equal(false);
    expect(() => new FusionSensorAttention({ units: 0 })).to.throw(/units 0 received/);
  });
});
