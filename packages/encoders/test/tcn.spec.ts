import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { gradCheck } from '@fusion/core';
import { FusionTcnBlock, FusionTimeStride, resolveTcnConfig, tcnBlockForward, TcnConfig, tcnEncoder, tcnSchema } from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

const S = 3;
const T = 12;

function tcnModel(config: Partial<TcnConfig> = {}, seed = 1, sensors = S, length = T): tf.LayersModel {
  const ctx = testContext(sensors, length, seed);
  const input = tf.input({ shape: [length, sensors, 1] });
  const out = tcnEncoder.apply(input, { type: 'tcn', ...config }, ctx);
  return tf.model({ inputs: input, outputs: out });
}

/** tcn -> flatten -> softmax classifier on a learnable toy task. */
function classifier(config: Partial<TcnConfig>, seed = 1): tf.LayersModel {
  const ctx = testContext(S, T, seed);
  const input = tf.input({ shape: [T, S, 1] });
  const enc = tcnEncoder.apply(input, { type: 'tcn', ...config }, ctx);
  const flat = tf.layers.flatten().apply(enc) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(flat);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

function toyData(n = 16): { xs: tf.Tensor; ys: tf.Tensor } {
  return tf.tidy(() => {
    const xs = tf.randomNormal([n, T, S, 1], 0, 1, 'float32', 11);
    const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, T - 4, 0, 0], [n, 4, 1, 1]), [1, 2, 3]), 0), 'int32');
    return { xs, ys: tf.oneHot(label as tf.Tensor1D, 2) };
  });
}

/** Makes the N(0, 0.01) initial weights larger so that tests see more than the residual path. */
function scaleWeights(model: tf.LayersModel, factor: number): void {
  for (const w of model.weights) {
    tf.tidy(() => {
      w.write(tf.mul(w.read(), factor));
    });
  }
}

describe('tcn encoder', () => {
  before(() => useBackend('cpu'));

  it('maps [B, T, S, 1] to [B, T, S, channels[-1]], and strides time aligned to the last step', () => {
    const m = tcnModel({ channels: [4, 5, 6] });
    expect(m.outputs[0].shape).to.deep.equal([null, T, S, 6]);
    const y = m.predict(tf.ones([2, T, S, 1])) as tf.Tensor;
    expect(y.shape).to.deep.equal([2, T, S, 6]);

    const strided = tcnModel({ channels: [4], stride: 5 });
    expect(strided.outputs[0].shape).to.deep.equal([null, 3, S, 4]);
    const full = tcnModel({ channels: [4] });
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 2);
    scaleWeights(full, 50);
    strided.setWeights(full.getWeights());
    const ys = strided.predict(x) as tf.Tensor;
    const yf = full.predict(x) as tf.Tensor;
    // kept steps: 1, 6, 11 (T - 1 - k*stride)
    const expected = tf.gather(yf, [1, 6, 11], 1);
    expect(ys.shape).to.deep.equal([2, 3, S, 4]);
    expect(maxAbsDiff(ys, expected)).to.be.below(1e-6);
  });

  it('is causal: changing the input from time t0 on never changes outputs before t0', () => {
    const m = tcnModel({ channels: [4, 4, 4], kernelSize: 3 });
    scaleWeights(m, 50);
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 3);
    for (const t0 of [1, 5, 9]) {
      const x2 = tf.concat([tf.slice(x, [0, 0, 0, 0], [2, t0, S, 1]), tf.randomNormal([2, T - t0, S, 1], 0, 1, 'float32', t0)], 1);
      const y = m.predict(x) as tf.Tensor;
      const y2 = m.predict(x2) as tf.Tensor;
      expect(maxAbsDiff(tf.slice(y, [0, 0, 0, 0], [2, t0, S, 4]), tf.slice(y2, [0, 0, 0, 0], [2, t0, S, 4]))).to.equal(0);
      expect(maxAbsDiff(tf.slice(y, [0, t0, 0, 0], [2, 1, S, 4]), tf.slice(y2, [0, t0, 0, 0], [2, 1, S, 4]))).to.be.above(1e-4);
    }
  });

  it('grouped weights: sensor s depends only on its own input and its own weights', () => {
    const m = tcnModel({ channels: [4, 5] });
    scaleWeights(m, 50);
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 4);
    const y = m.predict(x) as tf.Tensor;
    // Per-sensor computation with sliced weights, one sensor at a time.
    const blocks = m.layers.filter((l): l is FusionTcnBlock => l instanceof FusionTcnBlock);
    expect(blocks).to.have.length(2);
    for (let s = 0; s < S; s++) {
      let h = tf.transpose(tf.slice(x, [0, 0, s, 0], [2, T, 1, 1]), [2, 0, 1, 3]) as tf.Tensor4D;
      for (const b of blocks) {
        const w = b.weightsNow();
        const pick = <R extends tf.Tensor>(t: R | undefined): R | undefined =>
          t === undefined ? undefined : (tf.slice(t, [s, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]) as R);
        h = tcnBlockForward(
          h,
          {
            kernel1: pick(w.kernel1)!,
            bias1: pick(w.bias1)!,
            kernel2: pick(w.kernel2)!,
            bias2: pick(w.bias2)!,
            downKernel: pick(w.downKernel),
            downBias: pick(w.downBias),
          },
          { kernelSize: b.kernelSize, dilation: b.dilation, residual: b.residual }
        );
      }
      const ys = tf.slice(y, [0, 0, s, 0], [2, T, 1, 5]);
      expect(maxAbsDiff(tf.transpose(h, [1, 2, 0, 3]), ys)).to.be.below(1e-5);
    }
    // Perturbing sensor 0 leaves sensors 1.. unchanged.
    const x2 = tf.add(x, tf.oneHot(tf.tensor1d([0], 'int32'), S).reshape([1, 1, S, 1]));
    const y2 = m.predict(x2) as tf.Tensor;
    expect(maxAbsDiff(tf.slice(y, [0, 0, 1, 0], [2, T, S - 1, 5]), tf.slice(y2, [0, 0, 1, 0], [2, T, S - 1, 5]))).to.equal(0);
    expect(maxAbsDiff(tf.slice(y, [0, 0, 0, 0], [2, T, 1, 5]), tf.slice(y2, [0, 0, 0, 0], [2, T, 1, 5]))).to.be.above(1e-4);
    // Shared weights: one kernel for all, so equal inputs give equal outputs on every sensor.
    const shared = tcnModel({ channels: [4], shared: true });
    expect(shared.layers[1].getWeights()[0].shape).to.deep.equal([2, 4]);
    expect(m.layers[1].getWeights()[0].shape).to.deep.equal([S, 2, 4]);
  });

  it('a temporal block matches finite differences (input and every weight)', () => {
    const rnd = (shape: number[], seed: number, sd = 0.7): tf.Tensor => tf.randomNormal(shape, 0, sd, 'float32', seed);
    const x = rnd([2, 1, 5, 1], 20, 1);
    const r = rnd([2, 1, 5, 2], 21, 1);
    const weights = [rnd([2, 2, 2], 22), rnd([2, 2], 23), rnd([2, 4, 2], 24), rnd([2, 2], 25), rnd([2, 1, 2], 26), rnd([2, 2], 27)];
    const res = gradCheck(
      (xi, k1, b1, k2, b2, dk, db) =>
        tf.sum(
          tf.mul(
            tcnBlockForward(
              xi as tf.Tensor4D,
              {
                kernel1: k1 as tf.Tensor3D,
                bias1: b1 as tf.Tensor2D,
                kernel2: k2 as tf.Tensor3D,
                bias2: b2 as tf.Tensor2D,
                downKernel: dk as tf.Tensor3D,
                downBias: db as tf.Tensor2D,
              },
              { kernelSize: 2, dilation: 2, residual: true }
            ),
            r
          )
        ),
      [x, ...weights],
      3e-3,
      { rtol: 3e-2, atol: 2e-3 }
    );
    expect(res.ok, JSON.stringify(res.failures.slice(0, 3))).to.equal(true);
  });

  it('uses dropout only when training, reproducibly from the seed', () => {
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 6);
    const runs = [1, 2].map(() => {
      const m = tcnModel({ channels: [4], dropout: 0.5 });
      scaleWeights(m, 50);
      return [m.apply(x, { training: true }), m.apply(x, { training: true }), m.predict(x), m.predict(x)] as tf.Tensor[];
    });
    expect(maxAbsDiff(runs[0][0], runs[1][0])).to.equal(0);
    expect(maxAbsDiff(runs[0][1], runs[1][1])).to.equal(0);
    expect(maxAbsDiff(runs[0][0], runs[0][1])).to.be.above(0);
    expect(maxAbsDiff(runs[0][2], runs[0][3])).to.equal(0);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        const m = classifier({ channels: [8, 8], dropout: 0.1, stride: 2 }, 3);
        const { xs, ys } = toyData(16);
        const opt = tf.train.adam(2e-2);
        const l0 = evalLoss(m, xs, ys);
        for (let i = 0; i < 15; i++) trainStep(m, opt, xs, ys);
        const l1 = evalLoss(m, xs, ys);
        expect(tf.getBackend()).to.equal(backend);
        expect(l1).to.be.below(l0 * 0.9);
      } finally {
        await useBackend('cpu');
      }
    });
  }
});

describe('tcn schema', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(tcnSchema, c).length === 0;
    const cfg: Record<string, unknown> = { type: 'tcn' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'tcn', channels: [25, 25, 25], kernelSize: 2, dropout: 0.2, residual: true, shared: false, stride: 1 });
    expect(validate({ type: 'tcn', channels: [0] })).to.equal(false);
    expect(validate({ type: 'tcn', kernel: 3 })).to.equal(false);
    expect(resolveTcnConfig(cfg as TcnConfig).dilations).to.deep.equal([1, 2, 4]);
    expect(() => resolveTcnConfig({ type: 'tcn', channels: [4, 4], dilations: [1] })).to.throw(/one dilation per block/);
  });

  it('layers carry a Fusion-prefixed class name and a complete config', () => {
    const b = new FusionTcnBlock({ filters: 3, kernelSize: 3, dilation: 2, dropout: 0.1, residual: false, shared: true, seed: 5 });
    const clone = FusionTcnBlock.fromConfig(FusionTcnBlock, b.getConfig()) as FusionTcnBlock;
    expect(clone.getConfig()).to.deep.equal(b.getConfig());
    expect(new FusionTimeStride({ stride: 2 }).getConfig().stride).to.equal(2);
  });
});
