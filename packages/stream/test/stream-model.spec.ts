import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, from, toArray } from 'rxjs';
import { saveModel, PreprocessingSpec } from '@fusion/core';
import { createCounters, LatencyRecorder, PredictionEvent, Predictor, SampleChunk, StreamModel, streamPipeline } from '../src';

const P: PreprocessingSpec = {
  sampleRate: 2,
  window: 2,
  hop: 1,
  normalize: 'subject',
  maxMissing: 0.25,
  label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] },
  augment: { noise: 0, copies: 0 },
} as PreprocessingSpec;

describe('StreamModel', () => {
  let dir: string;
  const x = Float32Array.from({ length: 3 * 8 }, (_, i) => Math.sin(i));
  /** Each fold model's own probabilities for `x` (3 windows x 2 classes), computed before saving. */
  const direct: Float32Array[] = [];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-stream-model-'));
    for (const fold of [1, 2]) {
      const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 2] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
      const p = m.predict(tf.tensor3d(x, [3, 4, 2])) as tf.Tensor;
      direct.push(p.dataSync() as Float32Array);
      tf.dispose(p);
      await saveModel(m, path.join(dir, 'models', `fold-${fold}`, 'member-1'));
      m.dispose();
    }
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ sensors: ['eda', 'hr'], preprocessing: P }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads a fold or every fold, predicts batches and leaks no tensors', async () => {
    const all = await StreamModel.load(dir);
    const one = await StreamModel.load(dir, { fold: 2 });
    expect(all.members).to.have.length(2);
    expect(one.members).to.have.length(1);
    // every fold: the mean of the fold models' probabilities; one fold: that fold's model alone
    const mean = direct[0].map((v, i) => (v + direct[1][i]) / 2);
    expect(Math.max(...direct[0].map((v, i) => Math.abs(v - direct[1][i]))), 'the two fold models differ').to.be.greaterThan(1e-3);
    const only2 = await one.predict(x, 3);
    Array.from(only2).forEach((v, i) => expect(v, `fold 2, value ${i}`).to.be.closeTo(direct[1][i], 1e-6));
    await all.predict(x, 3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const p = await all.predict(x, 3);
      expect(p).to.have.length(6);
      Array.from(p).forEach((v, j) => expect(v, `ensemble, value ${j}`).to.be.closeTo(mean[j], 1e-6));
    }
    expect(tf.memory().numTensors).to.equal(before);
    all.dispose();
    one.dispose();
  });

  it('names a missing fold and the available ones', async () => {
    let err: Error | undefined;
    await StreamModel.load(dir, { fold: 7 }).catch((e) => (err = e));
    expect(err?.message).to.contain('fold-7').and.contain('available folds: 1, 2');
  });
});

describe('streamPipeline', () => {
  const fake: Predictor = {
    sensors: ['eda', 'hr'],
    classes: ['low', 'high'],
    length: 4,
    // p(high) = mean of the window's first channel squashed into [0, 1]
    predict: async (x, n) => {
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < 4; t++) s += x[i * 8 + t * 2];
        const hi = 1 / (1 + Math.exp(-s / 4));
        out[i * 2] = 1 - hi;
        out[i * 2 + 1] = hi;
      }
      return out;
    },
  };
  const chunks = (stream: string, from_: number, to: number, gapFrom = Infinity, gapTo = -Infinity): SampleChunk[] => {
    const out: SampleChunk[] = [];
    for (let t = from_; t < to; t += 0.5) {
      if (t >= gapFrom && t < gapTo) continue;
      out.push({ stream, sensor: 'eda', times: Float64Array.of(1000 + t), values: Float32Array.of(Math.sin(t)), channels: 1 });
      out.push({ stream, sensor: 'hr', times: Float64Array.of(1000 + t), values: Float32Array.of(60 + t), channels: 1 });
    }
    return out;
  };

  it('predicts every window of every stream, skips gaps and warm-up, counts duplicates and ignored sensors', async () => {
    const counters = createCounters();
    const latency = new LatencyRecorder();
    const a = chunks('a', 0, 20);
    const b = chunks('b', 0, 20, 8, 11);
    const input = [...a.slice(0, 10), ...b, a[3], { ...a[0], sensor: 'temp' }, ...a.slice(10)];
    const events = await lastValueFrom(
      from(input).pipe(streamPipeline({ model: fake, preprocessing: P, rates: { eda: 2, hr: 2 }, warmupSeconds: 3, counters, latency }), toArray())
    );
    const pred = events.filter((e): e is PredictionEvent => 'probs' in e);
    const skipped = events.filter((e) => 'skipped' in e);
    expect(counters.streams).to.equal(2);
    expect(counters.duplicates).to.equal(1);
    expect(counters.ignored).to.equal(1);
    expect(counters.dropped).to.equal(0);
    // windows of 2 s every 1 s from t = 1000: ends 1002..1020 per stream (the last bin may be partial)
    const ends = (s: string): number[] => events.filter((e) => e.stream === s).map((e) => e.windowEnd - 1000);
    expect(ends('a')[0]).to.equal(2);
    expect(ends('a')).to.deep.equal(Array.from({ length: ends('a').length }, (_, i) => i + 2));
    expect(skipped.some((e) => e.stream === 'b' && (e as { skipped: string }).skipped === 'missing')).to.equal(true);
    expect(skipped.filter((e) => (e as { skipped: string }).skipped === 'warmup').length).to.be.greaterThan(0);
    expect(pred.length).to.equal(counters.predicted);
    expect(pred.every((e) => Math.abs(e.probs.low + e.probs.high - 1) < 1e-5)).to.equal(true);
    expect(latency.quantile(0.5)).to.be.a('number');
  });
});
