import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { FusionError } from '@fusion/core';
import { FusionMultiHeadAttention, gelu, layerNorm, multiHeadAttention, transformerHead, TransformerHeadConfig, transformerSchema } from '../src';
import { evalLoss, maxAbsDiff, trainStep, useBackend } from './helpers';
import { headClassifier, headOnly, permuteTime, toyTask } from './mha-helpers';

const D = 3;
const T = 6;
const transformer = (config: Partial<TransformerHeadConfig>, seed = 1, length: number | null = T): tf.LayersModel =>
  headOnly(transformerHead, { type: 'transformer', ...config }, D, length, seed);

describe('transformer head', () => {
  before(() => useBackend('cpu'));

  it('gives [B, dModel]; pre-norm adds a final layer norm, post-norm normalises after each residual add', () => {
    const pre = transformer({ dModel: 8, heads: 2, ff: 16 });
    expect(pre.outputs[0].shape).to.deep.equal([null, 8]);
    const names = (m: tf.LayersModel): string[] => m.layers.map((l) => l.getClassName());
    const block = ['FusionMultiHeadAttention', 'FusionTransformerFeedForward'];
    const preLayer = ['FusionLayerNorm', block[0], 'Add', 'FusionLayerNorm', block[1], 'Add'];
    expect(names(pre)).to.deep.equal(['InputLayer', 'Dense', 'FusionPositionalEncoding', ...preLayer, ...preLayer, 'FusionLayerNorm', 'FusionTransformerPool']);
    const post = transformer({ dModel: 8, heads: 2, ff: 16, norm: 'post', layers: 3, positional: 'none', output: 'last' }, 1, null);
    const postLayer = [block[0], 'Add', 'FusionLayerNorm', block[1], 'Add', 'FusionLayerNorm'];
    expect(names(post)).to.deep.equal(['InputLayer', 'Dense', ...postLayer, ...postLayer, ...postLayer, 'FusionTransformerPool']);
    expect((post.predict(tf.ones([2, 9, D])) as tf.Tensor).shape).to.deep.equal([2, 8]);
    const ff = post.layers.find((l) => l.getClassName() === 'FusionTransformerFeedForward') as tf.layers.Layer;
    expect(ff.getConfig()).to.include({ units: 16, activation: 'relu', dropout: 0.1, outputDropout: 0.1 });
    const att = post.layers.find((l) => l.getClassName() === 'FusionMultiHeadAttention') as tf.layers.Layer;
    expect(att.getConfig()).to.include({ heads: 2, causal: false, dropout: 0.1, outputDropout: 0.1 });
  });

  it('has 75,136 parameters with the defaults on 125 features (+130 for the classifier core adds)', () => {
    // projection 125*64+64; per layer: attention 16,640 + feed-forward 64*128+128+128*64+64 + two norms 256; final norm 128
    expect(headOnly(transformerHead, { type: 'transformer' }, 125, 20).countParams()).to.equal(8064 + 2 * (16640 + 16576 + 256) + 128);
    expect(headOnly(transformerHead, { type: 'transformer', norm: 'post' }, 125, 20).countParams()).to.equal(75136 - 128);
  });

  it('throws a clear error when heads do not divide dModel', () => {
    expect(() => transformer({ dModel: 10, heads: 4 })).to.throw(FusionError, /dModel 10 received with heads 4; expected dModel divisible by heads/);
  });

  for (const norm of ['pre', 'post'] as const) {
    it(`computes one ${norm}-norm encoder layer as written out from its parts`, () => {
      const m = transformer({ dModel: 4, heads: 2, ff: 6, layers: 1, norm, positional: 'none', activation: 'gelu', dropout: 0 }, 5);
      // give the norms non-trivial parameters
      m.layers.filter((l) => l.getClassName() === 'FusionLayerNorm').forEach((l, i) => l.setWeights([tf.randomNormal([4], 1, 0.3, 'float32', 10 + i), tf.randomNormal([4], 0, 0.3, 'float32', 20 + i)]));
      const byClass = (name: string): tf.layers.Layer[] => m.layers.filter((l) => l.getClassName() === name);
      const [kIn, bIn] = byClass('Dense')[0].getWeights();
      const attention = byClass('FusionMultiHeadAttention')[0] as FusionMultiHeadAttention;
      const [k1, b1, k2, b2] = byClass('FusionTransformerFeedForward')[0].getWeights();
      const norms = byClass('FusionLayerNorm').map((l) => l.getWeights());
      const ln = (v: tf.Tensor, i: number): tf.Tensor => layerNorm(v, norms[i][0] as tf.Tensor1D, norms[i][1] as tf.Tensor1D);
      const att = (v: tf.Tensor): tf.Tensor => multiHeadAttention(v as tf.Tensor3D, attention.weightsNow(), { heads: 2 }).output;
      const ff = (v: tf.Tensor): tf.Tensor => tf.add(tf.matMul(gelu(tf.add(tf.matMul(v, k1), b1)), k2), b2);
      const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 6);
      const e = tf.add(tf.matMul(x, kIn), bIn);
      let y: tf.Tensor;
      if (norm === 'pre') {
        const a = tf.add(e, att(ln(e, 0)));
        y = ln(tf.add(a, ff(ln(a, 1))), 2);
      } else {
        const a = ln(tf.add(e, att(e)), 0);
        y = ln(tf.add(a, ff(a)), 1);
      }
      expect(norms.length).to.equal(norm === 'pre' ? 3 : 2);
      expect(maxAbsDiff(m.predict(x) as tf.Tensor, tf.mean(y, 1))).to.be.below(1e-5);
    });
  }

  it('without a positional code, mean pooling makes it ignore the order of time steps; with one, it does not', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 1);
    const px = permuteTime(x, [5, 2, 0, 4, 1, 3]);
    for (const norm of ['pre', 'post'] as const) {
      const none = transformer({ dModel: 8, heads: 2, ff: 16, positional: 'none', norm }, 4);
      expect(maxAbsDiff(none.predict(x) as tf.Tensor, none.predict(px) as tf.Tensor), norm).to.be.below(1e-5);
      const pos = transformer({ dModel: 8, heads: 2, ff: 16, norm }, 4);
      expect(maxAbsDiff(pos.predict(x) as tf.Tensor, pos.predict(px) as tf.Tensor), norm).to.be.above(1e-3);
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const norm of ['pre', 'post'] as const) {
      it(`trains on the ${backend} backend, ${norm}-norm (loss decreases)`, async function () {
        await useBackend(backend);
        try {
          const m = headClassifier(transformerHead, { type: 'transformer', dModel: 8, heads: 2, ff: 16, norm, dropout: 0.1 }, D, T, 2);
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
  }

  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(transformerSchema, c).length === 0;
    const cfg = { type: 'transformer' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({
      type: 'transformer', dModel: 64, heads: 4, layers: 2, ff: 128, activation: 'relu', dropout: 0.1,
      positional: 'sinusoidal', norm: 'pre', causal: false, output: 'mean',
    });
    expect(validate({ type: 'transformer', norm: 'sandwich' })).to.equal(false);
    expect(validate({ type: 'transformer', layers: 0 })).to.equal(false);
    expect(validate({ type: 'transformer', units: 8 })).to.equal(false);
  });
});
