import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import * as fs from 'fs';
import * as path from 'path';
import {
  FusionMLstm,
  FusionSLstm,
  FusionXLstmReadout,
  mLstmForward,
  sLstmForward,
  xLstmHeadNorm,
  XLstmHeadConfig,
  xlstmHead,
  xlstmSchema,
} from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

const D = 3;
const T = 6;

function headModel(config: Partial<XLstmHeadConfig>, seed = 1, length: number | null = T, features = D): tf.LayersModel {
  const input = tf.input({ shape: [length, features] });
  return tf.model({ inputs: input, outputs: xlstmHead.apply(input, { type: 'xlstm', ...config }, testContext(1, T, seed)) });
}

describe('xlstm head', () => {
  before(() => useBackend('cpu'));

  it('gives [B, units] (last, mean) and [B, 2·units] when bidirectional', () => {
    expect(headModel({ units: 8, heads: 2 }).outputs[0].shape).to.deep.equal([null, 8]);
    expect(headModel({ units: 8, heads: 2, output: 'mean' }).outputs[0].shape).to.deep.equal([null, 8]);
    const bi = headModel({ units: 8, heads: 2, bidirectional: true, blocks: ['s', 'm', 's'] });
    expect(bi.outputs[0].shape).to.deep.equal([null, 16]);
    expect((bi.predict(tf.ones([2, T, D])) as tf.Tensor).shape).to.deep.equal([2, 16]);
    const free = headModel({ units: 8, heads: 2 }, 1, null);
    expect((free.predict(tf.randomNormal([2, 11, D])) as tf.Tensor).shape).to.deep.equal([2, 8]);
    expect(() => headModel({ units: 6, heads: 4 })).to.throw(RangeError, /heads 4 does not divide units 6/);
  });

  it('trains with model.fit on a length-1 sequence (tfjs #8255 affects unstack of one step)', async () => {
    const m = headModel({ units: 4, heads: 2, bidirectional: true, blocks: ['m', 's'] }, 1, 1);
    const clf = tf.model({ inputs: m.inputs, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(m.outputs[0]) as tf.SymbolicTensor });
    clf.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const h = await clf.fit(tf.randomNormal([8, 1, D], 0, 1, 'float32', 1), tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2), { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history['loss'][0] as number)).to.equal(true);
    const x = tf.randomNormal([2, 1, D], 0, 1, 'float32', 2) as tf.Tensor3D;
    const rec = new FusionMLstm({ units: 4, heads: 2, mode: 'recurrent' });
    rec.apply(x);
    expect(tf.grad((a: tf.Tensor) => tf.sum(rec.apply(a) as tf.Tensor))(x).shape).to.deep.equal([2, 1, D]);
  });

  it('builds the documented stack and parameter count (units 64, blocks [m, s], 125 features)', () => {
    const m = headModel({}, 1, 20, 125);
    expect(m.layers.slice(1).map((l) => l.getClassName())).to.deep.equal([
      'Dense', 'FusionLayerNorm', 'FusionMLstm', 'Dense', 'Add',
      'FusionLayerNorm', 'FusionSLstm', 'Dense', 'Add', 'FusionLayerNorm', 'FusionXLstmReadout',
    ]);
    // in 125·64+64; m: LN 128 + cell 64·264+264 + norm 64 + proj 4160; s: LN 128 + cell 64·256+256+4·16·64 + 64 + 4160; LN 128
    expect(m.countParams()).to.equal(8064 + (128 + 17160 + 64 + 4160) + (128 + 20736 + 64 + 4160) + 128);
    expect(m.countParams()).to.equal(54792);
  });

  it('wires LN -> cell (+ head norm) -> Dense -> + skip -> LN -> readout; the backward stack reads the reversed sequence', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 3);
    const m = headModel({ units: 4, heads: 2, blocks: ['s'], bidirectional: true, output: 'last' }, 5);
    // layers in creation order (names end in the context's counter)
    const byOrder = [...m.layers.slice(1)].sort((a, b) => Number(a.name.split('_').pop()) - Number(b.name.split('_').pop()));
    expect(byOrder.map((l) => l.getClassName())).to.deep.equal([
      'Dense', 'FusionLayerNorm', 'FusionSLstm', 'Dense', 'Add', 'FusionLayerNorm', 'FusionXLstmReadout',
      'FusionXLstmReverse', 'Dense', 'FusionLayerNorm', 'FusionSLstm', 'Dense', 'Add', 'FusionLayerNorm', 'FusionXLstmReadout',
      'Concatenate',
    ]);
    const manual = (input: tf.Tensor, first: number): tf.Tensor => {
      const [inp, ln1, cell, proj, , ln2] = byOrder.slice(first, first + 6);
      const a = inp.apply(input) as tf.Tensor;
      const c = xLstmHeadNorm(sLstmForward(ln1.apply(a) as tf.Tensor3D, (cell as FusionSLstm).weightsNow(), { heads: 2 }), 2, tf.ones([4]) as tf.Tensor1D);
      const out = ln2.apply(tf.add(a, proj.apply(c) as tf.Tensor)) as tf.Tensor;
      return tf.squeeze(tf.slice(out, [0, T - 1, 0], [2, 1, 4]), [1]);
    };
    const y = m.predict(x) as tf.Tensor;
    expect(maxAbsDiff(tf.slice(y, [0, 0], [2, 4]), manual(x, 0))).to.be.below(1e-5);
    expect(maxAbsDiff(tf.slice(y, [0, 4], [2, 4]), manual(tf.reverse(x, 1), 8))).to.be.below(1e-5);
    expect(maxAbsDiff(tf.slice(y, [0, 4], [2, 4]), manual(x, 8))).to.be.above(1e-3);
    const seq = tf.randomNormal([2, T, 3]);
    expect(maxAbsDiff(new FusionXLstmReadout({ mode: 'mean' }).apply(seq) as tf.Tensor, tf.mean(seq, 1))).to.be.below(1e-6);
  });

  it('loads a model saved with the former FusionXLstmLayerNorm class as FusionLayerNorm, predicting the same values', async () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'xlstm-old-layernorm.json'), 'utf8'));
    expect(fixture.classes).to.include('FusionXLstmLayerNorm');
    const bytes = Buffer.from(fixture.weightData, 'base64');
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: fixture.modelTopology, weightSpecs: fixture.weightSpecs, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
    );
    const classes = loaded.layers.map((l) => l.getClassName());
    expect(classes.filter((c) => c === 'FusionLayerNorm')).to.have.length(3);
    expect(classes).to.not.include('FusionXLstmLayerNorm');
    const y = loaded.predict(tf.randomNormal([2, 4, 3], 0, 1, 'float32', 9)) as tf.Tensor;
    expect(Array.from(y.dataSync())).to.deep.equal(fixture.predictions);
  });

  it('gives identical initial weights for the same seed and others for another seed', () => {
    const cfg = { units: 4, heads: 2, bidirectional: true };
    const model = headModel(cfg, 7);
    const a = model.getWeights();
    const b = headModel(cfg, 7).getWeights();
    const c = headModel(cfg, 8).getWeights();
    a.forEach((w, i) => expect(maxAbsDiff(w, b[i])).to.equal(0));
    // kernels are seeded draws; LayerNorm parameters, biases and norm scales are fixed
    const names = model.weights.map((w) => w.originalName);
    const differing = names.filter((_, i) => maxAbsDiff(a[i], c[i]) > 0);
    expect(differing).to.have.length(12);
    expect(differing.every((n) => /kernel$/.test(n))).to.equal(true);
  });

  it('initialises the forget gates as documented', () => {
    const cellOf = (gate: 'exp' | 'sigmoid'): [FusionMLstm, FusionSLstm] => {
      const m = headModel({ units: 4, heads: 2, forgetGate: gate });
      return [m.layers.find((l) => l instanceof FusionMLstm) as FusionMLstm, m.layers.find((l) => l instanceof FusionSLstm) as FusionSLstm];
    };
    const [mSig, sSig] = cellOf('sigmoid');
    expect(Array.from(mSig.weightsNow().bias.dataSync()).slice(-4)).to.deep.equal([0, 0, 3, 6]); // [ĩ ĩ f̃ f̃]
    // sLSTM bias columns per head [i i f f z z o o]: forget biases linspace(3, 6) over the 4 units
    const sb = Array.from(sSig.weightsNow().bias.dataSync());
    expect([sb[2], sb[3], sb[10], sb[11]]).to.deep.equal([3, 4, 5, 6]);
    expect(Array.from(cellOf('exp')[1].weightsNow().bias.dataSync()).every((v) => v === 0)).to.equal(true);
  });

  it('uses dropout only when training, reproducibly', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 4);
    const outs = [1, 2].map(() => {
      const m = headModel({ units: 4, heads: 2, dropout: 0.5 });
      return [m.apply(x, { training: true }), m.apply(x, { training: true }), m.predict(x), m.predict(x)] as tf.Tensor[];
    });
    expect(maxAbsDiff(outs[0][0], outs[1][0])).to.equal(0);
    expect(maxAbsDiff(outs[0][0], outs[0][1])).to.be.above(0);
    expect(maxAbsDiff(outs[0][2], outs[0][3])).to.equal(0);
  });

  it('mLSTM parallel and recurrent layers give the same outputs', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 6) as tf.Tensor3D;
    const par = new FusionMLstm({ units: 4, heads: 2, seed: 3 });
    const rec = new FusionMLstm({ units: 4, heads: 2, seed: 3, mode: 'recurrent' });
    expect(maxAbsDiff(par.apply(x) as tf.Tensor, rec.apply(x) as tf.Tensor)).to.be.below(1e-5);
    const w = par.weightsNow();
    expect(maxAbsDiff(mLstmForward(x, w, { heads: 2 }, 'parallel'), mLstmForward(x, w, { heads: 2 }, 'recurrent'))).to.be.below(1e-5);
  });

  function classifier(seed: number, config: Partial<XLstmHeadConfig> = {}): tf.LayersModel {
    const input = tf.input({ shape: [T, D] });
    const h = xlstmHead.apply(input, { type: 'xlstm', units: 8, heads: 2, dropout: 0.1, ...config }, testContext(1, T, seed));
    const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(h);
    return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  }
  function toy(): { xs: tf.Tensor; ys: tf.Tensor } {
    return tf.tidy(() => {
      const xs = tf.randomNormal([16, T, D], 0, 1, 'float32', 5);
      const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, 0, 0], [16, 2, 1]), [1, 2]), 0), 'int32') as tf.Tensor1D;
      return { xs, ys: tf.oneHot(label, 2) };
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        const m = classifier(2, { forgetGate: backend === 'cpu' ? 'exp' : 'sigmoid' });
        const { xs, ys } = toy();
        const opt = tf.train.adam(2e-2);
        const l0 = evalLoss(m, xs, ys);
        const before = tf.memory().numTensors;
        for (let i = 0; i < 15; i++) trainStep(m, opt, xs, ys);
        expect(tf.getBackend()).to.equal(backend);
        const l1 = evalLoss(m, xs, ys);
        expect(Number.isFinite(l1)).to.equal(true);
        expect(l1).to.be.below(l0 * 0.9);
        // only the optimizer's slots (two per weight for Adam, created on the first step) are new
        expect(tf.memory().numTensors - before).to.equal(2 * m.trainableWeights.length);
      } finally {
        await useBackend('cpu');
      }
    });
  }
});

describe('xlstm schema and configs', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(xlstmSchema, c).length === 0;
    const cfg = { type: 'xlstm' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'xlstm', units: 64, blocks: ['m', 's'], heads: 4, bidirectional: false, dropout: 0, output: 'last', forgetGate: 'exp' });
    expect(validate({ type: 'xlstm', blocks: ['m', 'x'] })).to.equal(false);
    expect(validate({ type: 'xlstm', blocks: [] })).to.equal(false);
    expect(validate({ type: 'xlstm', output: 'first' })).to.equal(false);
    expect(validate({ type: 'xlstm', layers: 2 })).to.equal(false);
  });

  it('the layer configs are complete', () => {
    const s = new FusionSLstm({ units: 6, heads: 3, forgetGate: 'sigmoid', headNorm: false, dropout: 0.25, seed: 9 });
    expect(FusionSLstm.fromConfig(FusionSLstm, s.getConfig()).getConfig()).to.deep.equal(s.getConfig());
    expect(s.getConfig()).to.include({ units: 6, heads: 3, forgetGate: 'sigmoid', headNorm: false, dropout: 0.25, seed: 9 });
    const m = new FusionMLstm({ units: 6, heads: 2, mode: 'recurrent', seed: 4 });
    expect(FusionMLstm.fromConfig(FusionMLstm, m.getConfig()).getConfig()).to.deep.equal(m.getConfig());
    expect(m.getConfig()).to.include({ units: 6, heads: 2, forgetGate: 'exp', headNorm: true, mode: 'recurrent', dropout: 0, seed: 4 });
    expect(() => new FusionSLstm({ units: 6, heads: 4 })).to.throw(RangeError, /divides units/);
  });
});
