import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  createContainer,
  getRegistries,
  GraphSpec,
  makeWindows,
  Recording,
  selectBackend,
  selectWindows,
  SpecValidator,
  trainOutputs,
  WindowSet,
  withOutputLabels,
} from '@fusion/core';
import { outputsCrossEntropy, predictOutputProbs, trainModel } from '@fusion/runner';
import { generateSynthetic, sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { cli, ROOT, specIssues, tmpDir } from './helpers';

/** Several outputs (multi-task): checks, labels per output, the weighted loss, per-output evaluation and files. */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const TINY = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8')) as Record<string, unknown>;
const QUICK = path.join(ROOT, 'specs', 'strategies', 'multitask-quick.json');
const KEMOCON = path.join(ROOT, 'specs', 'kemocon-multitask.json');

/** tiny.json as a two-output graph (arousal, valence) on one shared head. */
function twoOutputs(outputs?: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const s = structuredClone(TINY);
  for (const k of ['encoder', 'fusion', 'head', 'sensors']) delete s[k];
  return {
    ...s,
    inputs: { hr: { sensor: 'hr' }, eda: { sensor: 'eda' } },
    nodes: {
      enc: { type: 'tcn', channels: [4], kernelSize: 2, dropout: 0, inputs: ['hr', 'eda'] },
      fuse: { type: 'concat', inputs: ['enc'] },
      gru: { type: 'bigru', units: 4, inputs: ['fuse'] },
    },
    outputs: outputs ?? { arousal: { node: 'gru', label: 'arousal' }, valence: { node: 'gru', label: 'valence', classes: ['neg', 'pos'], lossWeight: 0.5 } },
    ...over,
  };
}

describe('several outputs (multi-task)', () => {
  before(async () => {
    await selectBackend(process.env.FUSION_TEST_BACKEND);
  });

  const refused = [
    { name: 'an output without a label', outputs: { arousal: { node: 'gru', label: 'arousal' }, valence: { node: 'gru' } }, path: '/outputs/valence', text: 'has no label. Add "label"' },
    {
      name: 'a label the dataset adapter cannot provide',
      outputs: { arousal: { node: 'gru', label: 'arousal' }, stress: { node: 'gru', label: 'stress' } },
      path: '/outputs/stress/label',
      text: 'dataset "synthetic" has no label "stress"; it provides arousal, valence. Fix the label',
    },
    {
      name: 'two outputs of one label',
      outputs: { arousal: { node: 'gru', label: 'arousal' }, again: { node: 'gru', label: 'arousal' } },
      path: '/outputs/again/label',
      text: 'outputs "arousal" and "again" both predict label "arousal"',
    },
    {
      name: 'output names equal but for case (their predictions files would collide)',
      outputs: { arousal: { node: 'gru', label: 'arousal' }, Arousal: { node: 'gru', label: 'valence' } },
      path: '/outputs/Arousal',
      text: 'differs from output "arousal" only in case',
    },
    { name: 'a loss weight of 0', outputs: { arousal: { node: 'gru', label: 'arousal' }, valence: { node: 'gru', label: 'valence', lossWeight: 0 } }, path: '/outputs/valence/lossWeight', text: 'expected a number > 0' },
    { name: 'a negative loss weight', outputs: { arousal: { node: 'gru', label: 'arousal' }, valence: { node: 'gru', label: 'valence', lossWeight: -1 } }, path: '/outputs/valence/lossWeight', text: 'loss weight -1' },
    {
      name: 'three classes under threshold mapping',
      outputs: { arousal: { node: 'gru', label: 'arousal' }, valence: { node: 'gru', label: 'valence', classes: ['a', 'b', 'c'] } },
      path: '/outputs/valence/classes',
      text: 'threshold mapping (preprocessing.label.mapping) gives 2 classes, found 3',
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with its JSON path and a fix`, () => {
      const issues = specIssues(validator, twoOutputs(c.outputs));
      expect(issues.map((i) => i.path)).to.deep.equal([c.path]);
      expect(issues[0].message).to.contain(c.text);
    });
  }

  it('an adapter that declares no labels (e4, which predict checks a run\'s spec with) accepts any output label', () => {
    // `fusion-cli predict` validates the run's spec with the new recordings' dataset: a graph-form run must pass.
    expect(specIssues(validator, twoOutputs(undefined, { dataset: { type: 'e4', path: 'x' } }))).to.deep.equal([]);
  });

  it('fusion-cli validate refuses two outputs of the same name (a duplicate JSON key) and prints both outputs of a good spec', () => {
    const dir = tmpDir('fusion-mt-validate-');
    const text = JSON.stringify(twoOutputs(), null, 2).replace('"valence": {\n      "node"', '"arousal": {\n      "node"');
    fs.writeFileSync(path.join(dir, 'dup.json'), text);
    const bad = cli(['validate', 'dup.json', '--json'], dir);
    expect(bad.status, bad.stderr).to.equal(2);
    const err = JSON.parse(bad.stdout.trim().split('\n').pop()!).error;
    expect(err.path).to.equal('/outputs/arousal');
    expect(err.message).to.contain('duplicate key "arousal"');
    const ok = cli(['validate', QUICK], dir);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain('-> output arousal (label arousal, 2 classes: low, high)');
    expect(ok.stdout).to.contain('-> output valence (label valence, 2 classes: negative, positive, loss weight 0.5)');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('specs/kemocon-multitask.json validates (EmoHEAL encoders, K-EmoCon layout): arousal and valence from one head', () => {
    const dir = tmpDir('fusion-mt-kemocon-');
    const r = cli(['validate', KEMOCON, '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.spec.dataset.type).to.equal('kemocon');
    expect(out.graph.nodes.encoder.config.type).to.equal('tcn-casa');
    expect(Object.values(out.graph.outputs).map((o) => (o as { label: string }).label)).to.deep.equal(['arousal', 'valence']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('windows are kept only where the label of every output is known, each output with its own classes', () => {
    const s = validator.check(twoOutputs(), 'x.json');
    const fs4 = 4;
    const signal = (): Recording['signals'][string] => ({ t0: 0, fs: fs4, channels: 1, data: Float32Array.from({ length: 60 * fs4 }, (_, i) => Math.sin(i)) });
    // 12 intervals of 5 s; valence is missing in intervals 2 and 7, arousal in interval 9.
    const labels = Array.from({ length: 12 }, (_, k) => {
      const values: Record<string, number> = { arousal: k % 2 ? 4 : 1, valence: k % 3 ? 2 : 5 };
      if (k === 2 || k === 7) delete values.valence;
      if (k === 9) delete values.arousal;
      return { start: 5 * k, end: 5 * k + 5, values };
    });
    const recs: Recording[] = [{ subject: 's1', signals: { hr: signal(), eda: signal() }, labels }];
    const made = makeWindows(recs, s.sensors, s.preprocessing);
    expect(made.windows.y.length).to.equal(11);
    const { windows, report } = withOutputLabels(made, recs, s);
    const kept = [0, 1, 3, 4, 5, 6, 8, 10, 11];
    expect(Array.from(windows.ends)).to.deep.equal(kept.map((k) => 5 * k + 5));
    expect(Array.from(windows.ys!.arousal)).to.deep.equal(kept.map((k) => (k % 2 ? 1 : 0)));
    expect(Array.from(windows.ys!.valence)).to.deep.equal(kept.map((k) => (k % 3 ? 0 : 1)));
    expect(windows.y).to.deep.equal(windows.ys!.arousal);
    expect(report.kept.s1).to.equal(9);
    expect(report.dropped.unlabelled).to.equal(3);
    expect(report.warnings.join('\n')).to.contain('2 window(s) dropped: output "valence" has no "valence" label there');
    // The labels follow the windows through selection.
    expect(Array.from(selectWindows(windows, [2, 0]).ys!.valence)).to.deep.equal([windows.ys!.valence[2], windows.ys!.valence[0]]);
  });

  it('the training loss is the weighted sum of the outputs\' cross-entropies', () => {
    const p = [tf.tensor2d([[0.2, 0.8], [0.6, 0.4]]), tf.tensor2d([[0.9, 0.1], [0.3, 0.7]])];
    const y = [tf.tensor2d([[0, 1], [1, 0]]), tf.tensor2d([[0, 1], [0, 1]])];
    const got = outputsCrossEntropy(p, y, [
      { name: 'a', classes: 2, lossWeight: 1 },
      { name: 'v', classes: 2, lossWeight: 0.25 },
    ]).dataSync()[0];
    const ce = (a: number, b: number): number => -(Math.log(a + 1e-7) + Math.log(b + 1e-7)) / 2;
    expect(got).to.be.closeTo(ce(0.8, 0.6) + 0.25 * ce(0.1, 0.7), 1e-5);
    tf.dispose([...p, ...y]);
  });

  it('training watches the weighted validation loss and weighs each output\'s classes by its own counts', async () => {
    const s = validator.check(twoOutputs(undefined, { training: { epochs: 1, batchSize: 64, learningRate: 1e-9, classWeight: 'balanced', restoreBest: false } }), 'x.json') as GraphSpec;
    const n = 40;
    const length = 20;
    const r = (i: number): number => Math.sin(i * 12.9898) * 0.5;
    // arousal: 30 of 40 windows class 1; valence: 10 of 40 class 1 (different class balance per output)
    const arousal = Int32Array.from({ length: n }, (_, i) => (i % 4 ? 1 : 0));
    const valence = Int32Array.from({ length: n }, (_, i) => (i % 4 ? 0 : 1));
    const w: WindowSet = {
      x: Float32Array.from({ length: n * length * 2 }, (_, i) => r(i)),
      y: arousal,
      ys: { arousal, valence },
      subjects: new Array(n).fill('s'),
      ends: new Float64Array(n),
      length,
      sensors: ['hr', 'eda'],
      classes: ['low', 'high'],
    };
    const model = buildModel(s, registries, { sensors: s.sensors, length, classes: 2 }, 7);
    const before = await predictOutputProbs(model, w);
    const outputs = trainOutputs(s)!;
    const res = await trainModel(model, w, w, s.training, { seed: 1, outputs });
    const after = await predictOutputProbs(model, w);
    model.dispose();
    const ce = (probs: Float32Array, y: Int32Array, weights: number[]): number => {
      let num = 0;
      let den = 0;
      y.forEach((c, i) => {
        num -= weights[c] * Math.log(probs[i * 2 + c] + 1e-7);
        den += weights[c];
      });
      return num / den;
    };
    const balanced = (y: Int32Array): number[] => [0, 1].map((c) => y.length / (2 * y.filter((v) => v === c).length));
    // One batch, a vanishing learning rate: the epoch's loss is the loss at the initial weights.
    expect(res.history[0].loss).to.be.closeTo(ce(before[0], arousal, balanced(arousal)) + 0.5 * ce(before[1], valence, balanced(valence)), 1e-4);
    expect(res.history[0].valLoss!).to.be.closeTo(ce(after[0], arousal, [1, 1]) + 0.5 * ce(after[1], valence, [1, 1]), 1e-4);
  });

  it('specs/strategies/multitask-quick.json runs: metrics, baselines and predictions per output; evaluate, export and bench take it', function () {
    const dir = tmpDir('fusion-mt-run-');
    const r = cli(['run', QUICK, '--workers', '2', '--out', 'out', '--cache-dir', 'cache'], dir);
    expect(r.status, r.stderr).to.equal(0);
    // a table per output in the printed summary
    expect(r.stdout).to.match(/output arousal \(label arousal: low, high\)\n┌/);
    expect(r.stdout).to.match(/output valence \(label valence: negative, positive\)\n┌/);
    expect(r.stdout).to.contain('predictions.csv, predictions-valence.csv');
    const out = path.join(dir, 'out');
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    // The first output keeps the top-level fields; `outputs` holds every output.
    expect(Object.keys(m.outputs)).to.deep.equal(['arousal', 'valence']);
    expect(m.outputs.arousal.summary).to.deep.equal(m.summary);
    expect(m.dataset.classes).to.deep.equal(['low', 'high']);
    const v = m.outputs.valence;
    expect(v).to.include({ label: 'valence', lossWeight: 0.5 });
    expect(v.classes).to.deep.equal(['negative', 'positive']);
    expect(v.folds).to.have.length(3);
    expect(Object.keys(v.summary.baselines)).to.deep.equal(['majority', 'classRatio', 'features']);
    expect(v.summary.model.balancedAccuracy).to.be.within(0, 1);
    expect(v.summary.model.pooled.n).to.equal(m.dataset.windows);
    expect((v.classCounts.negative as number) + v.classCounts.positive).to.equal(m.dataset.windows);
    // valence's predictions in predictions.csv's format, one row per test window
    const csv = fs.readFileSync(path.join(out, 'predictions-valence.csv'), 'utf8').trim().split('\n');
    const first = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal(first[0].replace(/_low/g, '_negative').replace(/_high/g, '_positive'));
    expect(csv.length).to.equal(first.length);
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).to.deep.equal(first.slice(1).map((l) => l.split(',').slice(0, 3).join(',')));
    const trueV = csv.slice(1).map((l) => Number(l.split(',')[3]));
    expect(trueV.filter((c) => c === 0).length).to.equal(v.classCounts.negative);
    const report = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(report).to.contain('Output valence');
    // The run's models have two outputs: evaluate scores each, export describes and measures each, bench trains both
    // (edge-graph.spec checks the values); predict and stream serve every output (multitask-serve.spec).
    fs.writeFileSync(path.join(dir, 'ds.json'), JSON.stringify(JSON.parse(fs.readFileSync(QUICK, 'utf8')).dataset));
    const ev = cli(['evaluate', 'out', 'ds.json', '--cache-dir', 'cache', '--json'], dir);
    expect(ev.status, ev.stderr).to.equal(0);
    expect(Object.keys(JSON.parse(ev.stdout).outputs)).to.deep.equal(['arousal', 'valence']);
    const ex = cli(['export', 'out', '--out', 'bundle', '--fold', '1', '--cache-dir', 'cache', '--json'], dir);
    expect(ex.status, ex.stderr).to.equal(0);
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, 'bundle', 'fusion.json'), 'utf8'));
    expect(bundle.outputs.map((o: { name: string }) => o.name)).to.deep.equal(['arousal', 'valence']);
    expect(Object.keys(bundle.evaluation.pooled.outputs)).to.deep.equal(['arousal', 'valence']);
    const bench = cli(['bench', QUICK, '--steps', '1', '--json'], dir);
    expect(bench.status, bench.stderr).to.equal(0);
    expect(JSON.parse(bench.stdout).outputs).to.deep.equal(['arousal', 'valence']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('specs/kemocon-multitask.json trains on a K-EmoCon folder (the kemocon adapter gives arousal and valence)', () => {
    const dir = tmpDir('fusion-mt-kemocon-run-');
    // A K-EmoCon-layout folder (the synthetic generator writes the real layout; the real data is not in ../shared).
    generateSynthetic(path.join(dir, 'kemocon'), { participants: 4, minutes: 2, seed: 5 });
    const spec = JSON.parse(fs.readFileSync(KEMOCON, 'utf8'));
    spec.dataset = { ...spec.dataset, path: 'kemocon', participants: [1, 2, 3, 4] };
    spec.evaluation = { type: 'group-kfold', k: 2 };
    spec.training = { ...spec.training, epochs: 1, ensemble: 1 };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    const r = cli(['run', 'spec.json', '--workers', '1', '--json', '--out', 'out'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'metrics.json'), 'utf8'));
    expect(m.dataset.name).to.not.contain('synthetic');
    expect(Object.keys(m.outputs)).to.deep.equal(['arousal', 'valence']);
    expect(m.outputs.valence.folds).to.have.length(2);
    expect(fs.existsSync(path.join(dir, 'out', 'predictions-valence.csv'))).to.equal(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
