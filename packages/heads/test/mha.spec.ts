import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { FusionError } from '@fusion/core';
import { mhaHead, MhaHeadConfig, mhaSchema } from '../src';
import { evalLoss, maxAbsDiff, trainStep, useBackend } from './helpers';
import { headClassifier, headOnly, permuteTime, toyTask } from './mha-helpers';

const D = 3;
const T = 6;
const mha = (config: Partial<MhaHeadConfig>, seed = 1, length: number | null = T): tf.LayersModel =>
  headOnly(mhaHead, { type: 'mha', ...config }, D, length, seed);

describe('mha head', () => {
  before(() => useBackend('cpu'));

  it('gives [B, dModel] for mean and last, for a known or unknown length', () => {
    expect(mha({ dModel: 8, heads: 2 }).outputs[0].shape).to.deep.equal([null, 8]);
    expect(mha({ dModel: 8, heads: 2, output: 'last' }).outputs[0].shape).to.deep.equal([null, 8]);
    const m = mha({ dModel: 8, heads: 2 }, 1, null);
    expect((m.predict(tf.ones([2, 9, D])) as tf.Tensor).shape).to.deep.equal([2, 8]);
    expect(m.layers.map((l) => l.getClassName())).to.deep.equal([
      'InputLayer', 'Dense', 'FusionPositionalEncoding', 'FusionMultiHeadAttention', 'Add', 'FusionLayerNorm', 'FusionTransformerPool',
    ]);
    const cfg = (i: number): tf.serialization.ConfigDict => mha({ dropout: 0.3, positional: 'learned', causal: true, dModel: 8, heads: 2 }).layers[i].getConfig();
    expect(cfg(2)).to.include({ mode: 'learned', maxLength: T, dropout: 0.3 });
    expect(cfg(3)).to.include({ heads: 2, causal: true, dropout: 0.3, outputDropout: 0.3 });
  });

  it('has 24,832 parameters with the defaults on 125 features (+130 for the classifier core adds)', () => {
    const m = headOnly(mhaHead, { type: 'mha' }, 125, 20);
    // projection 125*64+64, attention 64*192+192 + 64*64+64, layer norm 2*64
    expect(m.countParams()).to.equal(8064 + 16640 + 128);
    expect(headOnly(mhaHead, { type: 'mha', positional: 'learned' }, 125, 20).countParams()).to.equal(24832 + 20 * 64);
  });

  it('throws a clear error when heads do not divide dModel', () => {
    expect(() => mha({ dModel: 30, heads: 4 })).to.throw(FusionError, /dModel 30 received with heads 4; expected dModel divisible by heads/);
    expect(() => headOnly(mhaHead, { type: 'mha' }, D, T).layers).not.to.throw();
  });

  it('without a positional code, mean-pooled self-attention ignores the order of time steps; with one, it does not', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 1);
    const px = permuteTime(x, [3, 0, 5, 1, 4, 2]);
    const none = mha({ dModel: 8, heads: 2, positional: 'none' }, 4);
    expect(maxAbsDiff(none.predict(x) as tf.Tensor, none.predict(px) as tf.Tensor)).to.be.below(1e-5);
    for (const positional of ['sinusoidal', 'learned'] as const) {
      const m = mha({ dModel: 8, heads: 2, positional }, 4);
      if (positional === 'learned') {
        // the initial learned table is small (stddev 0.02); make it matter
        const table = m.layers[2].getWeights()[0];
        m.layers[2].setWeights([tf.mul(table, 50)]);
      }
      expect(maxAbsDiff(m.predict(x) as tf.Tensor, m.predict(px) as tf.Tensor), positional).to.be.above(1e-3);
    }
    // a causal mask breaks the symmetry as well
    const causal = mha({ dModel: 8, heads: 2, positional: 'none', causal: true }, 4);
    expect(maxAbsDiff(causal.predict(x) as tf.Tensor, causal.predict(px) as tf.Tensor)).to.be.above(1e-3);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        const m = headClassifier(mhaHead, { type: 'mha', dModel: 8, heads: 2, dropout: 0.1 }, D, T, 2);
        const { xs, ys } = toyTask(T, D);
        const opt = tf.train.adam(2e-2);
        const l0 = evalLoss(m, xs, ys);
        for (let i = 0; i < 15; i++) trainStep(m, opt, xs, ys);
        expect(tf.getBackend()).to.equal(backend);
        expect(evalLoss(m, xs, ys)).to.be.below(l0 * 0.9);
      } finally {
        await useBackend('cpu');
      }
    });
  }

  it('gives the same outputs on wasm as on cpu', async () => {
    const m = mha({ dModel: 8, heads: 2, causal: true }, 3);
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 6);
    const onCpu = (m.predict(x) as tf.Tensor).arraySync();
    await useBackend('wasm');
    try {
      expect(maxAbsDiff(m.predict(tf.tensor(x.arraySync())) as tf.Tensor, tf.tensor(onCpu))).to.be.below(1e-5);
    } finally {
      await useBackend('cpu');
    }
  });
});

describe('mha and transformer schemas', () => {
  it('the mha schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(mhaSchema, c).length === 0;
    const cfg = { type: 'mha' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'mha', dModel: 64, heads: 4, dropout: 0.1, positional: 'sinusoidal', causal: false, output: 'mean' });
    expect(validate({ type: 'mha', output: 'cls' })).to.equal(false);
    expect(validate({ type: 'mha', layers: 2 })).to.equal(false);
    expect(validate({ type: 'mha', dropout: 1 })).to.equal(false);
  });
});
