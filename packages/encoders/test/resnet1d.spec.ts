import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { gradCheck } from '@fusion/core';
import {
  batchNorm,
  FusionResBlock1d,
  resBlockForward,
  resolveResNet1dConfig,
  ResNet1dConfig,
  resnet1dEncoder,
  resnet1dSchema,
  shiftConv1d,
} from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

const S = 3;
const T = 12;

function resModel(config: Partial<ResNet1dConfig> = {}, seed = 1, sensors = S, length = T): tf.LayersModel {
  const input = tf.input({ shape: [length, sensors, 1] });
  const out = resnet1dEncoder.apply(input, { type: 'resnet1d', ...config }, testContext(sensors, length, seed));
  return tf.model({ inputs: input, outputs: out });
}

function classifier(config: Partial<ResNet1dConfig>, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [T, S, 1] });
  const enc = resnet1dEncoder.apply(input, { type: 'resnet1d', ...config }, testContext(S, T, seed));
  const pooled = tf.layers.flatten().apply(enc) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(pooled);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

function toyData(n = 16): { xs: tf.Tensor; ys: tf.Tensor } {
  return tf.tidy(() => {
    const xs = tf.randomNormal([n, T, S, 1], 0, 1, 'float32', 11);
    const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, T - 4, 0, 0], [n, 4, 1, 1]), [1, 2, 3]), 0), 'int32');
    return { xs, ys: tf.oneHot(label as tf.Tensor1D, 2) };
  });
}

const weightByName = (m: tf.LayersModel, layer: number, name: string): tf.Tensor =>
  m.layers[layer].weights.find((w) => w.originalName.endsWith(`/${name}`))!.read();

describe('resnet1d encoder', () => {
  before(() => useBackend('cpu'));

  it('maps [B, T, S, 1] to [B, T, S, channels[-1]]; stages of blocksPerStage blocks, 1x1+BN shortcut where channels change', () => {
    const m = resModel({ channels: [4, 8], blocksPerStage: 2 });
    expect(m.outputs[0].shape).to.deep.equal([null, T, S, 8]);
    expect((m.predict(tf.ones([2, T, S, 1])) as tf.Tensor).shape).to.deep.equal([2, T, S, 8]);
    expect(m.layers.slice(1).map((l) => l.getClassName())).to.deep.equal(Array(4).fill('FusionResBlock1d'));
    const names = (i: number): string[] => m.layers[i].weights.map((w) => w.originalName.split('/').pop()!);
    expect(names(1)).to.include('shortcut_kernel');
    expect(names(2)).to.not.include('shortcut_kernel');
    expect(names(3)).to.include('shortcut_kernel');
    expect(weightByName(m, 1, 'kernel1').shape).to.deep.equal([S, 3 * 1, 4]);
    expect(weightByName(m, 3, 'bn1_moving_mean').shape).to.deep.equal([S, 8]);
    expect(m.layers[1].trainableWeights.map((w) => w.originalName.split('/').pop())).to.not.include('bn1_moving_mean');
    expect(m.layers[1].nonTrainableWeights).to.have.length(6);
    expect(resModel({ channels: [4], stride: 5 }).outputs[0].shape).to.deep.equal([null, 3, S, 4]);
    expect(resModel({ channels: [4], shared: true }).layers[1].weights[0].shape).to.deep.equal([3, 4]);
  });

  it('batchNorm matches a plain-array batch norm, per sensor (grouped) or pooled over sensors (shared)', () => {
    const x = tf.randomNormal([2, 3, 4, 2], 1, 2, 'float32', 21) as tf.Tensor4D; // [S, B, T, C]
    const xa = x.arraySync();
    const gamma = tf.tensor2d([1.5, 0.5, -1, 2], [2, 2]);
    const beta = tf.tensor2d([0.1, -0.2, 0.3, 0], [2, 2]);
    const mm = tf.tensor2d([0.5, -1, 2, 0], [2, 2]);
    const mv = tf.tensor2d([4, 0.25, 1, 9], [2, 2]);
    const eps = 1e-3;
    const ref = (training: boolean, pooled: boolean): number[][][][] =>
      xa.map((xs, s) =>
        xs.map((xb) =>
          xb.map((row) =>
            row.map((v, c) => {
              const vals = (pooled ? xa : [xs]).flatMap((q) => q.flatMap((qb) => qb.map((r) => r[c])));
              const mean = vals.reduce((a, u) => a + u, 0) / vals.length;
              const variance = vals.reduce((a, u) => a + (u - mean) ** 2, 0) / vals.length;
              const gs = pooled ? 0 : s;
              const [m, va] = training ? [mean, variance] : [mm.arraySync()[gs][c], mv.arraySync()[gs][c]];
              return ((v - m) / Math.sqrt(va + eps)) * gamma.arraySync()[gs][c] + beta.arraySync()[gs][c];
            })
          )
        )
      );
    const w = { gamma, beta, movingMean: mm, movingVariance: mv };
    const tr = batchNorm(x, w, true, eps);
    expect(maxAbsDiff(tr.y, tf.tensor(ref(true, false)))).to.be.below(1e-4);
    expect(tr.stats!.mean.shape).to.deep.equal([2, 2]);
    expect(maxAbsDiff(batchNorm(x, w, false, eps).y, tf.tensor(ref(false, false)))).to.be.below(1e-4);
    const pick = (t: tf.Tensor2D): tf.Tensor1D => tf.squeeze(tf.slice(t, [0, 0], [1, 2]), [0]) as tf.Tensor1D;
    const ws = { gamma: pick(gamma), beta: pick(beta), movingMean: pick(mm), movingVariance: pick(mv) };
    expect(maxAbsDiff(batchNorm(x, ws, true, eps).y, tf.tensor(ref(true, true)))).to.be.below(1e-4);
    expect(maxAbsDiff(batchNorm(x, ws, false, eps).y, tf.tensor(ref(false, true)))).to.be.below(1e-4);
  });

  it('BN: training uses batch statistics and updates the moving ones (momentum 0.99); inference uses the moving ones', () => {
    const m = resModel({ channels: [4], dropout: 0 });
    const x = tf.randomNormal([4, T, S, 1], 2, 3, 'float32', 22);
    const yInfer0 = m.predict(x) as tf.Tensor;
    const yTrain = m.apply(x, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(yInfer0, yTrain)).to.be.above(1e-2);
    // the moving mean of bn1 moved by 1% towards the batch mean of conv1's output (per sensor and channel)
    const xs = tf.transpose(x, [2, 0, 1, 3]) as tf.Tensor4D;
    const conv = shiftConv1d(xs, weightByName(m, 1, 'kernel1') as tf.Tensor3D, 3, 1);
    const { mean, variance } = tf.moments(conv, [1, 2]);
    expect(maxAbsDiff(weightByName(m, 1, 'bn1_moving_mean'), tf.mul(mean, 0.01))).to.be.below(1e-5);
    expect(maxAbsDiff(weightByName(m, 1, 'bn1_moving_variance'), tf.add(tf.mul(variance, 0.01), 0.99))).to.be.below(1e-5);
    // inference now uses the changed moving statistics: different from before, and deterministic
    const yInfer1 = m.predict(x) as tf.Tensor;
    expect(maxAbsDiff(yInfer0, yInfer1)).to.be.above(1e-4);
    expect(maxAbsDiff(yInfer1, m.predict(x) as tf.Tensor)).to.equal(0);
    // inference does not move the statistics
    expect(maxAbsDiff(weightByName(m, 1, 'bn1_moving_mean'), tf.mul(mean, 0.01))).to.be.below(1e-5);
    // after many training passes on one batch the moving stats converge to its statistics, and inference on that
    // batch to training mode (momentum 0.5 here so that 40 passes suffice: 0.5^40 ~ 1e-12)
    const input = tf.input({ shape: [T, S, 1] });
    const fast = tf.model({ inputs: input, outputs: new FusionResBlock1d({ filters: 4, momentum: 0.5, seed: 3 }).apply(input) as tf.SymbolicTensor });
    expect(maxAbsDiff(fast.predict(x) as tf.Tensor, fast.apply(x, { training: true }) as tf.Tensor)).to.be.above(1e-2);
    for (let i = 0; i < 40; i++) tf.tidy(() => void fast.apply(x, { training: true }));
    expect(maxAbsDiff(fast.predict(x) as tf.Tensor, fast.apply(x, { training: true }) as tf.Tensor)).to.be.below(1e-3);
  });

  it('grouped BN: in training, sensor s is normalised with its own statistics only', () => {
    const x = tf.randomNormal([4, T, S, 1], 0, 1, 'float32', 23);
    const x2 = tf.add(x, tf.mul(tf.oneHot(tf.tensor1d([0], 'int32'), S).reshape([1, 1, S, 1]), tf.randomNormal([4, T, 1, 1], 0, 5, 'float32', 24)));
    for (const shared of [false, true]) {
      const m = resModel({ channels: [4], dropout: 0, shared });
      const y = m.apply(x, { training: true }) as tf.Tensor;
      const y2 = m.apply(x2, { training: true }) as tf.Tensor;
      const other = maxAbsDiff(tf.slice(y, [0, 0, 1, 0], [4, T, S - 1, 4]), tf.slice(y2, [0, 0, 1, 0], [4, T, S - 1, 4]));
      if (shared) expect(other).to.be.above(1e-3);
      else expect(other).to.be.below(1e-6);
    }
  });

  it('a residual block matches finite differences (input, kernels, BN gamma/beta; training mode)', () => {
    const rnd = (shape: number[], seed: number, sd = 0.7, mean = 0): tf.Tensor => tf.randomNormal(shape, mean, sd, 'float32', seed);
    const x = rnd([2, 2, 4, 1], 30, 1);
    const r = rnd([2, 2, 4, 2], 31, 1);
    const ones = tf.ones([2, 2]) as tf.Tensor2D;
    const zeros = tf.zeros([2, 2]) as tf.Tensor2D;
    const inputs = [x, rnd([2, 3, 2], 32), rnd([2, 2], 33, 0.3, 1), rnd([2, 2], 34, 0.3), rnd([2, 6, 2], 35), rnd([2, 2], 36, 0.3, 1), rnd([2, 2], 37, 0.3), rnd([2, 1, 2], 38), rnd([2, 2], 39, 0.3, 1), rnd([2, 2], 40, 0.3)];
    const res = gradCheck(
      (xi, k1, g1, b1, k2, g2, b2, sk, sg, sb) =>
        tf.sum(
          tf.mul(
            resBlockForward(
              xi as tf.Tensor4D,
              {
                kernel1: k1 as tf.Tensor3D,
                bn1: { gamma: g1 as tf.Tensor2D, beta: b1 as tf.Tensor2D, movingMean: zeros, movingVariance: ones },
                kernel2: k2 as tf.Tensor3D,
                bn2: { gamma: g2 as tf.Tensor2D, beta: b2 as tf.Tensor2D, movingMean: zeros, movingVariance: ones },
                shortcutKernel: sk as tf.Tensor3D,
                shortcutBn: { gamma: sg as tf.Tensor2D, beta: sb as tf.Tensor2D, movingMean: zeros, movingVariance: ones },
              },
              { kernelSize: 3, training: true, epsilon: 1e-3 }
            ).y,
            r
          )
        ),
      inputs,
      3e-3,
      { rtol: 5e-2, atol: 3e-3 }
    );
    expect(res.ok, JSON.stringify(res.failures.slice(0, 3))).to.equal(true);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        const m = classifier({ channels: [8, 8], dropout: 0.1, stride: 2 }, 3);
        const { xs, ys } = toyData(16);
        const opt = tf.train.adam(1e-2);
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

describe('resnet1d schema', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(resnet1dSchema, c).length === 0;
    const cfg: Record<string, unknown> = { type: 'resnet1d' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'resnet1d', channels: [32, 64, 128], kernelSize: 3, blocksPerStage: 1, dropout: 0.2, shared: false, stride: 1 });
    expect(resolveResNet1dConfig(cfg as ResNet1dConfig)).to.deep.equal({ channels: [32, 64, 128], kernelSize: 3, blocksPerStage: 1, dropout: 0.2, shared: false, stride: 1 });
    expect(validate({ type: 'resnet1d', blocksPerStage: 0 })).to.equal(false);
    expect(validate({ type: 'resnet1d', momentum: 0.9 })).to.equal(false);
  });

  it('FusionResBlock1d config round-trips and rejects bad options', () => {
    const b = new FusionResBlock1d({ filters: 3, kernelSize: 5, dropout: 0.1, shared: true, momentum: 0.9, epsilon: 1e-5, seed: 4 });
    const clone = FusionResBlock1d.fromConfig(FusionResBlock1d, b.getConfig()) as FusionResBlock1d;
    expect(clone.getConfig()).to.deep.equal(b.getConfig());
    expect(() => new FusionResBlock1d({ filters: 3, momentum: 1 })).to.throw(/momentum 1 received/);
  });
});
