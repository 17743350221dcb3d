import { expect } from 'chai';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { modelCost } from '@fusion/core';
import { FusionResBlock1d, FusionTcnBlock, FusionTcnCasaBlock } from '@fusion/encoders';
import { FusionBiGru, FusionMultiHeadAttention, FusionTransformerFeedForward } from '@fusion/heads';

/**
 * MACs per window and peak activation memory from layer shapes, against counts worked out by hand on small layers
 * (batch 1). The counts must not depend on how a backend computes a layer (the BiGRU's recurrence runs on the host
 * at inference on cpu, which a kernel profile does not see).
 */
async function costOf(inputShape: number[], layer: (x: tf.SymbolicTensor) => tf.SymbolicTensor) {
  const x = tf.input({ shape: inputShape });
  const model = tf.model({ inputs: x, outputs: layer(x) });
  try {
    return await modelCost(model);
  } finally {
    model.dispose();
  }
}
import { cli, tmpDir, writeSpec } from './helpers';

const apply = (l: tf.layers.Layer) => (x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;

describe('MACs per window from layer shapes', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('Dense: in x out per step', async () => {
    const c = await costOf([4, 3], apply(tf.layers.dense({ units: 5 })));
    expect(c.macsPerWindow).to.equal(4 * 3 * 5);
    expect(c.layers[1]).to.include({ className: 'Dense', macs: 60, source: 'shape' });
  });

  it('Conv1D: k x cin x cout x T', async () => {
    const c = await costOf([10, 2], apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same' })));
    expect(c.macsPerWindow).to.equal(3 * 2 * 4 * 10);
  });

  it('tfjs GRU: 3 x (in + units) x units x T; Bidirectional LSTM: 2 directions x 4 gates', async () => {
    expect((await costOf([6, 3], apply(tf.layers.gru({ units: 4 })))).macsPerWindow).to.equal(3 * (3 + 4) * 4 * 6);
    const bi = await costOf([5, 3], apply(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as tf.RNN })));
    expect(bi.macsPerWindow).to.equal(2 * 4 * (3 + 2) * 2 * 5);
  });

  it('FusionBiGru: 3 x (in + units) x units x T x 2 directions, whatever path computes it', async () => {
    const c = await costOf([6, 3], apply(new FusionBiGru({ units: 4 })));
    expect(c.macsPerWindow).to.equal(3 * (3 + 4) * 4 * 6 * 2);
    expect(c.layers[1].source).to.equal('method');
  });

  it('FusionTcnBlock / FusionTcnCasaBlock / FusionResBlock1d: per sensor and step, two k-tap convs and the 1x1 projection', async () => {
    // T 5, 2 sensors, 3 channels in, 4 filters, kernel 2: 5 x 2 x (2*3*4 + 2*4*4 + 3*4)
    const tcn = (await costOf([5, 2, 3], apply(new FusionTcnBlock({ filters: 4, kernelSize: 2 })))).macsPerWindow;
    expect(tcn).to.equal(5 * 2 * (24 + 32 + 12));
    // + per sensor: channel MLP (hidden max(1, 4/16) = 1) on the mean and max pools once, 2 x 3 spatial taps per step
    const casa = await costOf([5, 2, 3], apply(new FusionTcnCasaBlock({ filters: 4, kernelSize: 2, spatialKernel: 3 })));
    expect(casa.macsPerWindow).to.equal(680 + 2 * (2 * 2 * 4 * 1 + 5 * 2 * 3));
    const res = await costOf([5, 2, 3], apply(new FusionResBlock1d({ filters: 4, kernelSize: 3 })));
    expect(res.macsPerWindow).to.equal(5 * 2 * (3 * 3 * 4 + 3 * 4 * 4 + 3 * 4));
  });

  it('attention: projections plus T^2 x d twice; feed-forward: 2 x d x units per step', async () => {
    const mha = await costOf([6, 4], apply(new FusionMultiHeadAttention({ heads: 2 })));
    expect(mha.macsPerWindow).to.equal(6 * 4 * 12 + 2 * 6 * 6 * 4 + 6 * 4 * 4);
    const ff = await costOf([6, 4], apply(new FusionTransformerFeedForward({ units: 8 })));
    expect(ff.macsPerWindow).to.equal(2 * 6 * 4 * 8);
  });

  it('peak activation memory: layer outputs alive at once (a skip connection keeps its input alive)', async () => {
    const chain = await costOf([4, 3], (x) => tf.layers.dense({ units: 2 }).apply(tf.layers.dense({ units: 5 }).apply(x)) as tf.SymbolicTensor);
    expect(chain.peakActivationBytes).to.equal(4 * (12 + 20)); // input and the first dense's output
    const skip = await costOf([4, 3], (x) => tf.layers.add().apply([x, tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor]) as tf.SymbolicTensor);
    expect(skip.peakActivationBytes).to.equal(4 * (12 + 12 + 12)); // at the add: x, dense(x) and the sum
  });

  it('fusion-cli summary prints MACs per layer and window and the activation peak, the BiGRU counted from its shapes', () => {
    const dir = tmpDir('fusion-macs-');
    try {
      const spec = writeSpec(dir, 'tiny');
      const r = cli(['summary', spec, '--json', '--backend', 'cpu'], dir);
      expect(r.status, r.stderr).to.equal(0);
      const s = JSON.parse(r.stdout) as { macsPerWindow: number; peakActivationBytes: number; layers: { className: string; macs: number; outputShape: number[] }[] };
      expect(s.macsPerWindow).to.equal(s.layers.reduce((a, l) => a + l.macs, 0));
      const i = s.layers.findIndex((l) => l.className === 'FusionBiGru');
      const [, t, d] = s.layers[i - 1].outputShape; // tiny: BiGRU of 8 units over the fused sequence
      expect(s.layers[i].macs).to.equal(3 * (d + 8) * 8 * t * 2);
      expect(s.peakActivationBytes).to.be.greaterThan(0);
      const text = cli(['summary', spec, '--backend', 'cpu'], dir);
      expect(text.stdout).to.match(/multiply-accumulates per window: [\d,]+ \(from layer shapes/);
      expect(text.stdout).to.match(/peak activation memory per window: [\d.]+ KiB/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
