import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  createContainer,
  DatasetError,
  getRegistries,
  GraphSpec,
  makeMultiRateWindows,
  multiRateInputs,
  Recording,
  selectBackend,
  SpecValidator,
} from '@fusion/core';
import { benchmarkSpec, predictProbs, trainModel } from '@fusion/runner';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { channelFeatures, fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { ROOT, specIssues } from './helpers';

/** Inputs at their own rates: aligned windows, graph checks of rates and time axes, one model input each, the features node. */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const QUICK = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'strategies', `${name}-quick.json`), 'utf8')) as Record<string, unknown>;
const issuesOf = (s: unknown): { path: string; message: string }[] => specIssues(validator, s);

/** A recording whose every signal is its own sample time (a ramp), at E4 rates, labelled in 20-s intervals. */
function rampRecording(): Recording {
  const t0 = 1000.3;
  const seconds = 120;
  const ramp = (fs: number, channels = 1): { t0: number; fs: number; channels: number; data: Float32Array } => {
    const n = seconds * fs;
    const data = new Float32Array(n * channels);
    // acc: magnitude of (t, 0, 0) is t
    for (let i = 0; i < n; i++) data[i * channels] = i / fs; // relative to t0 (float32 keeps it exact enough)
    return { t0, fs, channels, data };
  };
  const labels = Array.from({ length: 6 }, (_, k) => ({ start: t0 + 20 * k, end: t0 + 20 * (k + 1), values: { arousal: k % 2 ? 4 : 2 } }));
  return { subject: 's1', signals: { bvp: ramp(64), acc: ramp(32, 3), eda: ramp(4), hr: ramp(1) }, labels };
}

describe('inputs at their own rates', () => {
  before(async () => {
    await selectBackend(process.env.FUSION_TEST_BACKEND);
  });

  it('cuts windows of every input over the same seconds: the k-th window of each input ends at the same time', () => {
    const spec = validator.check(QUICK('features-only'), 'features-only-quick.json');
    spec.preprocessing.normalize = 'none';
    spec.preprocessing.hop = 2;
    const rec = rampRecording();
    const inputs = multiRateInputs(spec)!;
    const { windows } = makeMultiRateWindows([{ ...rec, signals: { ...rec.signals, temp: rec.signals.eda } }], inputs, spec.preprocessing);
    const parts = windows.parts!;
    expect(parts.map((q) => [q.name, q.length])).to.deep.equal([['bvp', 160], ['acc', 160], ['eda', 20], ['temp', 20], ['hr', 5]]);
    const row = parts.reduce((a, q) => a + q.length, 0);
    // 20-s label intervals, 5-s windows every 2 s: 8 inside each interval
    expect(windows.y.length).to.equal(6 * 8);
    for (let i = 0; i < windows.y.length; i++) {
      for (const q of parts) {
        const last = windows.x[i * row + q.offset + q.length - 1];
        // the last sample is the mean time of the native samples in its bin [end - 1/rate, end)
        const native = q.sensor === 'bvp' ? 64 : q.sensor === 'acc' ? 32 : q.sensor === 'hr' ? 1 : 4;
        const end = rec.signals.bvp.t0 + last + 1 / q.rate - (native / q.rate - 1) / (2 * native);
        expect(end, `window ${i}, input ${q.name}`).to.be.closeTo(windows.ends[i], 1e-3);
      }
    }
  });

  it('a recording sampled below an input\'s rate (an adapter that declares no rates) is a DatasetError naming the input', () => {
    const spec = validator.check(QUICK('features-only'), 'features-only-quick.json');
    const rec = rampRecording();
    const slow = { ...rec, signals: { ...rec.signals, temp: rec.signals.eda, bvp: { ...rec.signals.bvp, fs: 16, source: 'BVP.csv' } } };
    expect(() => makeMultiRateWindows([slow], multiRateInputs(spec)!, spec.preprocessing)).to.throw(DatasetError, /s1 \(BVP\.csv\): "bvp" is sampled at 16 Hz, below input "bvp"'s rate 32 Hz.*Lower inputs\.bvp\.rate to at most 16/);
  });

  it('refuses rates a sensor cannot give, with the JSON path and the rates it can', () => {
    const s = QUICK('features-only');
    (s.inputs as Record<string, { rate: number }>).bvp.rate = 128;
    (s.inputs as Record<string, { rate: number }>).acc.rate = 12;
    const issues = issuesOf(s);
    const bvp = issues.find((i) => i.path === '/inputs/bvp/rate');
    expect(bvp?.message).to.match(/above the native 64 Hz of "bvp".*Use 64, 32, 16, 8, 4, 2, 1 Hz/);
    expect(issues.find((i) => i.path === '/inputs/acc/rate')?.message).to.match(/does not divide the native 32 Hz/);
  });

  it('refuses a rate whose samples per window are not whole', () => {
    const s = QUICK('features-only');
    (s.preprocessing as { window: number }).window = 2.5;
    (s.preprocessing as { hop: number }).hop = 2.5;
    const issues = issuesOf(s);
    expect(issues.map((i) => i.path)).to.deep.equal(['/inputs/hr/rate']);
    expect(issues[0].message).to.match(/2\.5 samples; each input needs a whole number of samples per window/);
  });

  it('refuses inputs whose time axes do not meet at a node (shape inference), naming the node', () => {
    const s = QUICK('features-only');
    s.nodes = {
      enc: { type: 'tcn', channels: [8], kernelSize: 2, inputs: ['bvp', 'eda'] },
      fuse: { type: 'concat', inputs: ['enc'] },
      head: { type: 'bigru', units: 8, inputs: ['fuse'] },
    };
    s.outputs = { arousal: { node: 'head', label: 'arousal' } };
    (s.inputs as Record<string, unknown>) = { bvp: { sensor: 'bvp', rate: 32 }, eda: { sensor: 'eda', rate: 4 } };
    const issues = issuesOf(s);
    expect(issues.map((i) => i.path)).to.deep.equal(['/nodes/enc/inputs']);
    expect(issues[0].message).to.match(/\[160, 1, 1\], \[20, 1, 1\] cannot be stacked/);
  });

  it('refuses a features node fed by another node (it computes from raw samples, without a gradient)', () => {
    const s = QUICK('hybrid');
    (s.nodes as Record<string, { inputs: string[] }>).feat_bvp.inputs = ['enc_bvp'];
    const issues = issuesOf(s);
    expect(issues.map((i) => i.path)).to.include('/nodes/feat_bvp/inputs/0');
  });

  it('refuses hrv on a pulse wave below 32 Hz', () => {
    const s = QUICK('features-only');
    (s.inputs as Record<string, { rate: number }>).bvp.rate = 16;
    expect(issuesOf(s).find((i) => i.path === '/nodes/feat_bvp/groups')?.message).to.match(/needs pulse waves at >= 32 Hz.*16 Hz/);
  });

  it('gives the model one input per graph input, [batch, rate x window, 1], and it trains through the features node', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const spec = validator.check(QUICK('hybrid'), 'hybrid-quick.json') as GraphSpec;
    const inputs = multiRateInputs(spec)!;
    const rec = rampRecording();
    const { windows } = makeMultiRateWindows([{ ...rec, signals: { ...rec.signals, temp: rec.signals.eda } }], inputs, spec.preprocessing);
    const m = buildModel(spec, registries, { sensors: spec.sensors, length: windows.length, classes: 2, parts: windows.parts }, 1);
    expect(m.inputs.map((i) => [i.name.replace(/\d+$/, ''), ...i.shape])).to.deep.equal([
      ['input_bvp', null, 160, 1],
      ['input_acc', null, 160, 1],
      ['input_eda', null, 20, 1],
      ['input_temp', null, 20, 1],
      ['input_hr', null, 5, 1],
    ]);
    const head = m.getLayer('head_features_stack');
    expect(head.outputShape).to.deep.equal([null, 1, 9 + 5 + 8 + 5 + 5]);
    const before = m.getLayer('head_features_bigru_1').getWeights().map((w) => w.dataSync().slice());
    const res = await trainModel(m, windows, undefined, { ...spec.training, epochs: 1 }, { seed: 1 });
    expect(res.epochsRun).to.equal(1);
    const after = m.getLayer('head_features_bigru_1').getWeights().map((w) => w.dataSync());
    expect(after.some((w, k) => w.some((v, j) => v !== before[k][j])), 'the head after the features node learnt').to.equal(true);
    const probs = await predictProbs(m, windows);
    expect(probs.length).to.equal(windows.y.length * 2);
    m.dispose();
    // no tensor outlives the model (counted against this test's start: other tests in the process keep their own)
    expect(tf.memory().numTensors).to.equal(tensorsBefore);
  });

  // last: the layer names it builds would be taken for the tests above
  it('bench measures a spec whose inputs have their own rates with one input per graph input, leaking no tensor', async () => {
    const spec = validator.check(QUICK('features-only'), 'features-only-quick.json');
    const r = await benchmarkSpec(spec, registries, { backend: tf.getBackend(), batch: 4, trainSteps: 1, inferCalls: 1, leakCalls: 1 });
    expect(r.inputs!.map((q) => [q.name, q.rate, q.length])).to.deep.equal([['bvp', 32, 160], ['acc', 32, 160], ['eda', 4, 20], ['temp', 4, 20], ['hr', 1, 5]]);
    expect(r.inferMsPerWindow).to.be.greaterThan(0);
    expect(r.leakedTensors).to.deep.equal({ perTrainingEpoch: 0, per1000Inferences: 0 });
  });
});

describe('features node: per-window features of one channel', () => {
  const run = (v: number[], rate: number, groups: ('statistics' | 'eda' | 'hrv')[]): number[] => {
    const out = new Float32Array(16);
    const n = channelFeatures(Float32Array.from(v), rate, groups, out, 0);
    return Array.from(out.slice(0, n));
  };

  it('statistics: mean, sd, min, max and the slope per second', () => {
    const [mean, sd, min, max, slope] = run([0, 1, 2, 3, 4, 5, 6, 7], 4, ['statistics']);
    expect([mean, min, max]).to.deep.equal([3.5, 0, 7]);
    expect(sd).to.be.closeTo(Math.sqrt(5.25), 1e-5);
    expect(slope).to.be.closeTo(4, 1e-5); // one unit per sample at 4 Hz
  });

  it('hrv: beats of a 75-bpm pulse wave give a mean IBI of 0.8 s and no variability; a varying one gives RMSSD and pNN50', () => {
    const rate = 64;
    const pulse = (ibis: number[]): number[] => {
      const beats: number[] = [];
      let t = 0.2;
      for (const d of ibis) beats.push((t += d));
      const v: number[] = [];
      for (let i = 0; i < 30 * rate; i++) v.push(Math.max(...beats.map((b) => Math.exp(-(((i / rate - b) / 0.06) ** 2)))));
      return v;
    };
    const [meanIbi, sdnn, rmssd, pnn50] = run(pulse(new Array(30).fill(0.8)), rate, ['hrv']);
    expect(meanIbi).to.be.closeTo(0.8, 0.02);
    expect(sdnn).to.be.below(0.02);
    expect(rmssd).to.be.below(0.02);
    expect(pnn50).to.equal(0);
    const varying = run(pulse(Array.from({ length: 30 }, (_, k) => (k % 2 ? 0.7 : 0.9))), rate, ['hrv']);
    expect(varying[0]).to.be.closeTo(0.8, 0.02);
    expect(varying[2]).to.be.closeTo(0.2, 0.03);
    expect(varying[3]).to.equal(1);
  });

  it('eda: tonic level, phasic level and a count of skin-conductance responses', () => {
    const rate = 4;
    // a slow drift with two responses (1-s rise of 0.5, 4-s decay) at 5 s and 17 s, 30 s at 4 Hz
    const v = Array.from({ length: 120 }, (_, i) => {
      const t = i / rate;
      let x = 2 + 0.01 * t;
      for (const onset of [5, 17]) if (t >= onset) x += t - onset < 1 ? 0.5 * (t - onset) : 0.5 * Math.exp(-(t - onset - 1) / 4);
      return x;
    });
    const [tonic, phasic, scr] = run(v, rate, ['eda']);
    expect(tonic).to.be.closeTo(v.reduce((a, b) => a + b, 0) / v.length, 0.01);
    expect(phasic).to.be.greaterThan(0);
    expect(scr).to.equal(2);
    expect(run(new Array(80).fill(2), rate, ['eda'])).to.deep.equal([2, 0, 0]);
  });
});
