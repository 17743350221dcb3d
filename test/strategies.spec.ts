import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, createContainer, estimateMemory, getRegistries, GraphSpec, makeMultiRateWindows, modelParts, multiRateInputs, parameterCounts, requireData, selectBackend, SpecValidator } from '@fusion/core';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { cli, ROOT, tmpDir } from './helpers';

/** Fusion strategies in the one graph form: early, intermediate, late (decision), hierarchical, hybrid (deep + features) and features only. */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const STRATEGIES = ['early', 'intermediate', 'late', 'hierarchical', 'hybrid', 'features-only'];
const load = (name: string): GraphSpec => validator.check(JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'strategies', `${name}-quick.json`), 'utf8')), `${name}-quick.json`);
const build = (s: GraphSpec): tf.LayersModel => {
  const p = s.preprocessing;
  return buildModel(s, registries, { sensors: s.sensors, length: Math.round(p.window * p.sampleRate), classes: p.label.classes.length, parts: modelParts(s) }, s.seed);
};
const layer = (m: tf.LayersModel, re: RegExp): tf.layers.Layer[] => m.layers.filter((l) => re.test(l.name));

describe('fusion strategies as graphs', () => {
  before(async () => {
    await selectBackend(process.env.FUSION_TEST_BACKEND);
  });

  it('early: the sensors are the channels of one signal, mixed by the first convolution', () => {
    const m = build(load('early'));
    const kernels = m.getWeights().filter((w) => w.shape.length >= 3);
    // one weight group (not one per sensor) whose taps see kernelSize 2 x 5 sensor channels
    expect(kernels[0].shape).to.deep.equal([1, 2 * 5, 16]);
    m.dispose();
  });

  it('late: a classifier per sensor branch, combined by learnt weights that start as the plain mean', () => {
    const s = load('late');
    const m = build(s);
    expect(layer(m, /^classifier_decision_head_/).map((l) => l.name)).to.have.length(5);
    const x = tf.randomNormal([3, 20, 5], 0, 1, 'float32', 1);
    const branches = tf.model({ inputs: m.inputs, outputs: layer(m, /^classifier_decision_head_/).map((l) => l.output as tf.SymbolicTensor) });
    const probs = branches.predict(x) as tf.Tensor[];
    const out = m.predict(x) as tf.Tensor;
    expect(out.shape).to.deep.equal([3, 2]);
    const mean = tf.addN(probs).div(probs.length);
    expect(Array.from(out.sub(mean).abs().max().dataSync())[0]).to.be.below(1e-5);
    tf.dispose([x, out, mean, ...probs]);
    m.dispose();
  });

  it('late with "mean": the output is the average of the branch probabilities', () => {
    const s = load('late');
    s.nodes!.decision.type = 'mean';
    const m = build(s);
    expect(layer(m, /weighted/)).to.have.length(0);
    const x = tf.randomNormal([2, 20, 5], 0, 1, 'float32', 2);
    const sum = (m.predict(x) as tf.Tensor).sum(1);
    expect(Array.from(sum.dataSync()).map((v) => Math.round(v * 1e5) / 1e5)).to.deep.equal([1, 1]);
    tf.dispose([x, sum]);
    m.dispose();
  });

  it('hierarchical: each group is encoded over its own sensors and the head takes the groups side by side', () => {
    const m = build(load('hierarchical'));
    const stack = layer(m, /^head_stack/)[0];
    // 1-s steps; cardiac: BVP, IBI (4 Hz) and HR (1 Hz), 8 features each; electrodermal: EDA and TEMP; motion: ACC
    expect(stack.outputShape).to.deep.equal([null, 5, 24 + 16 + 8]);
    m.dispose();
  });

  for (const name of STRATEGIES) {
    it(`specs/strategies/${name}-quick.json trains and is evaluated by subject against the baselines`, () => {
      const dir = tmpDir(`fusion-${name}-`);
      const r = cli(['run', path.join(ROOT, 'specs', 'strategies', `${name}-quick.json`), '--json', '--workers', '1', '--out', 'out', '--cache-dir', 'cache'], dir);
      expect(r.status, r.stderr).to.equal(0);
      const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'metrics.json'), 'utf8'));
      expect(metrics.folds).to.have.length(3);
      expect(metrics.summary.model.balancedAccuracy).to.be.within(0, 1);
      expect(Object.keys(metrics.summary.baselines)).to.include.members(['majority', 'features']);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  // The full strategy specs on Stress-Predict (LOSO over 25 subjects is far too long for a test): they validate, and
  // their multi-rate windows are cut from real recordings.
  const FULL = ['early', 'intermediate', 'late', 'hierarchical', 'hybrid', 'features-only'];
  const loadFull = (name: string): GraphSpec => {
    const file = path.join(ROOT, 'specs', 'strategies', `${name}.json`);
    return validator.check(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  };
  for (const name of FULL) {
    it(`specs/strategies/${name}.json is valid: Stress-Predict inputs at 32, 4 and 1 Hz, 60-s windows`, () => {
      const s = loadFull(name);
      expect(s.dataset.type).to.equal('stress-predict');
      // hierarchical's cardiac group has IBI beside BVP and HR: beats held on a 4-Hz grid
      const ibi = name === 'hierarchical' ? [['ibi', 4]] : [];
      expect(multiRateInputs(s)!.map((i) => [i.name, i.rate])).to.deep.equal([['bvp', 32], ['acc', 32], ['eda', 4], ['temp', 4], ['hr', 1], ...ibi]);
      expect(s.evaluation.type).to.equal('loso');
      // shape inference and the size estimate agree with the model built with one input per graph input
      const m = buildModel(s, registries, { sensors: s.sensors, length: 0, classes: 2, parts: modelParts(s) }, s.seed);
      expect(estimateMemory(s, registries).parameters).to.equal(parameterCounts(m).total);
      m.dispose();
    });
  }

  it('the Stress-Predict strategy specs window real recordings at each input\'s rate (2 subjects)', async function () {
    const raw = requireData(this, 'stress-predict', 'Raw_data');
    const s = loadFull('hybrid');
    const ds = await registries.datasets.get('stress-predict').load({ ...s.dataset, path: raw, subjects: ['S01', 'S05'] }, { baseDir: ROOT, cacheDir: tmpDir('fusion-sp-'), sensors: s.sensors, warn: () => undefined });
    const { windows, report } = makeMultiRateWindows(ds.recordings, multiRateInputs(s)!, s.preprocessing);
    expect(windows.parts!.map((q) => q.length)).to.deep.equal([1920, 1920, 240, 240, 60]);
    expect(report.kept.S01).to.be.greaterThan(50);
    expect(report.kept.S05).to.be.greaterThan(50);
    expect(new Set(windows.y)).to.deep.equal(new Set([0, 1]));
  });
});
