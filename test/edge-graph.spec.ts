import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import type { BundleManifest } from '@fusion/core';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * Graph specs to the edge: a run whose inputs have their own rates and that has two outputs (test/fixtures/graph-edge.json:
 * 32-Hz BVP, 4-Hz EDA, 1-Hz HR; arousal and valence; training-fold statistics per input) exports a bundle that says
 * what every input and output is, `predict` and `evaluate` read that bundle like the run, `evaluate` scores every
 * output, and `bench` measures the spec with all its inputs and outputs.
 */
const SPEC = path.join(ROOT, 'test', 'fixtures', 'graph-edge.json');

type Row = Record<string, string>;
function readCsv(file: string): Row[] {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

function ok(r: ReturnType<typeof cli>): string {
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
}

interface OutputEval {
  label: string;
  classes: string[];
  classCounts: Record<string, number>;
  lossWeight: number;
  model: { balancedAccuracy: number; auroc: number | null; accuracy: number; macroF1: number };
  majority: { balancedAccuracy: number };
  confusion: number[][];
}

describe('export, evaluate and bench with inputs at their own rates and several outputs (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  let m32: BundleManifest;
  before(() => {
    dir = tmpDir('fusion-edge-graph-');
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify({ type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 3 }));
    fs.writeFileSync(path.join(dir, 'new.json'), JSON.stringify({ type: 'synthetic', participants: 2, minutes: 3, effect: 1, seed: 11 }));
    ok(cli(['run', SPEC, '--out', 'run', '--workers', '1', '--backend', 'cpu', '--json'], dir));
    ok(cli(['export', 'run', '--out', 'b32', '--backend', 'cpu', '--json'], dir));
    m32 = JSON.parse(fs.readFileSync(path.join(dir, 'b32', 'fusion.json'), 'utf8')) as BundleManifest;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fusion.json says per input its sensor, rate, window and hop in samples and statistics, per output its label and classes', () => {
    expect(m32.inputs).to.deep.equal([
      { name: 'bvp', sensor: 'bvp', rate: 32, windowLength: 160, hopLength: 160, maxMissing: 0.2 },
      { name: 'eda', sensor: 'eda', rate: 4, windowLength: 20, hopLength: 20, maxMissing: 0.2 },
      { name: 'hr', sensor: 'hr', rate: 1, windowLength: 5, hopLength: 5, maxMissing: 0.2 },
    ]);
    expect(m32.outputs).to.deep.equal([
      { name: 'arousal', label: 'arousal', classes: ['low', 'high'], lossWeight: 1 },
      { name: 'valence', label: 'valence', classes: ['negative', 'positive'], lossWeight: 0.5 },
    ]);
    expect(m32.classes).to.deep.equal(['low', 'high']);
    if (m32.normalization.mode !== 'train') throw new Error(`normalization ${m32.normalization.mode}`);
    expect(m32.normalization.rule).to.include('per input');
    for (const k of ['1', '2']) {
      const stats = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'models', `fold-${k}`, 'normalization.json'), 'utf8')).stats as { mean: number; sd: number }[];
      expect(m32.normalization.folds[k]).to.deep.equal(stats.map((s, i) => ({ sensor: m32.inputs![i].sensor, input: m32.inputs![i].name, mean: s.mean, sd: s.sd })));
    }
    // the models take one input per entry, as fusion.json says
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'b32', 'fold-1', 'member-1', 'model.json'), 'utf8'));
    expect(model.modelTopology.config.input_layers).to.have.length(3);
  });

  it('its evaluation is the run\'s own per output and fold (float32), and measures what uint8 costs per output', () => {
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'metrics.json'), 'utf8'));
    expect(m32.evaluation.folds.map((f) => f.fold)).to.deep.equal([1, 2]);
    for (const f of m32.evaluation.folds) {
      expect(Object.keys(f.outputs!)).to.deep.equal(['arousal', 'valence']);
      expect(f.outputs!.arousal).to.deep.equal({ windows: f.windows, before: f.before, after: f.after, maxAbsProbDiff: f.maxAbsProbDiff });
      for (const name of ['arousal', 'valence']) {
        const run = metrics.outputs[name].folds[f.fold - 1].model;
        const e = f.outputs![name];
        expect(e.before.balancedAccuracy, `${name} fold ${f.fold}`).to.be.closeTo(run.balancedAccuracy, 1e-9);
        expect(e.before.auroc, `${name} fold ${f.fold}`).to.be.closeTo(run.auroc, 1e-6);
        expect(e.after).to.deep.equal(e.before);
        expect(e.maxAbsProbDiff).to.equal(0);
      }
    }
    expect(Object.keys(m32.evaluation.pooled.outputs!)).to.deep.equal(['arousal', 'valence']);
    // the run's own models/fold-K/fusion.json (the export's writer): the same inputs, outputs and statistics, the run's scores per output
    for (const f of m32.evaluation.folds) {
      const own = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'models', `fold-${f.fold}`, 'fusion.json'), 'utf8')) as BundleManifest;
      expect([own.inputs, own.outputs]).to.deep.equal([m32.inputs, m32.outputs]);
      if (own.normalization.mode !== 'train' || m32.normalization.mode !== 'train') throw new Error('normalization');
      expect(own.normalization.folds[String(f.fold)]).to.deep.equal(m32.normalization.folds[String(f.fold)]);
      for (const name of ['arousal', 'valence']) expect(own.evaluation.pooled.outputs![name].before, `${name} fold ${f.fold}`).to.deep.equal(f.outputs![name].before);
    }
    ok(cli(['export', 'run', '--out', 'b8', '--fold', '1', '--quantize', 'uint8', '--backend', 'cpu', '--json'], dir));
    const m8 = JSON.parse(fs.readFileSync(path.join(dir, 'b8', 'fusion.json'), 'utf8')) as BundleManifest;
    expect(m8.members[0].weightBytes * 4).to.equal(m32.members[0].weightBytes);
    const [e8] = m8.evaluation.folds;
    for (const name of ['arousal', 'valence']) {
      expect(e8.outputs![name].before).to.deep.equal(m32.evaluation.folds[0].outputs![name].before);
      expect(e8.outputs![name].maxAbsProbDiff, name).to.be.greaterThan(0).and.lessThan(0.05);
    }
  });

  it('predict on the bundle gives the run folder\'s probabilities of every output (1e-5)', () => {
    ok(cli(['predict', 'run', 'same.json', '--out', 'run.csv', '--backend', 'cpu', '--json'], dir));
    ok(cli(['predict', 'b32', 'same.json', '--out', 'bundle.csv', '--backend', 'cpu', '--json'], dir));
    const a = readCsv(path.join(dir, 'run.csv'));
    const b = readCsv(path.join(dir, 'bundle.csv'));
    expect(b.length).to.equal(a.length).and.to.be.greaterThan(0);
    const cols = ['p_low', 'p_high', 'valence_p_negative', 'valence_p_positive'];
    a.forEach((x, i) => {
      expect(`${b[i].subject}@${b[i].window_end}`).to.equal(`${x.subject}@${x.window_end}`);
      for (const c of cols) expect(Number(b[i][c]), `${x.subject}@${x.window_end} ${c}`).to.be.closeTo(Number(x[c]), 1e-5);
    });
  });

  it('evaluate of the run and of its bundle: metrics per output, the first output\'s at the top level', () => {
    const fromRun = JSON.parse(ok(cli(['evaluate', 'run', 'new.json', '--backend', 'cpu', '--json'], dir)));
    const fromBundle = JSON.parse(ok(cli(['evaluate', 'b32', 'new.json', '--backend', 'cpu', '--json', '--out', 'eval/b.csv'], dir)));
    for (const r of [fromRun, fromBundle]) {
      expect(Object.keys(r.outputs)).to.deep.equal(['arousal', 'valence']);
      const [ar, va] = [r.outputs.arousal, r.outputs.valence] as OutputEval[];
      expect(ar.model).to.deep.equal(r.model);
      expect(ar.confusion).to.deep.equal(r.confusion);
      expect([va.label, va.lossWeight]).to.deep.equal(['valence', 0.5]);
      expect(va.classes).to.deep.equal(['negative', 'positive']);
      for (const o of [ar, va]) {
        // the confusion matrix is of this output's labels: its rows are the output's class counts
        expect(o.confusion.map((row) => row.reduce((s, v) => s + v, 0))).to.deep.equal(o.classes.map((c) => o.classCounts[c]));
        expect(o.classes.reduce((s, c) => s + o.classCounts[c], 0)).to.equal(r.windows);
        const recall = o.confusion.map((row, k) => row[k] / row.reduce((s, v) => s + v, 0));
        expect(o.model.balancedAccuracy).to.be.closeTo(recall.reduce((s, v) => s + v, 0) / recall.length, 1e-12);
      }
    }
    expect(fromRun.outputs.valence.classCounts).to.not.deep.equal(fromRun.outputs.arousal.classCounts);
    for (const name of ['arousal', 'valence'])
      for (const k of ['accuracy', 'balancedAccuracy', 'macroF1', 'auroc']) expect(fromBundle.outputs[name].model[k], `${name} ${k}`).to.be.closeTo(fromRun.outputs[name].model[k], 1e-9);
    expect(fromRun.outputs.valence.majority.balancedAccuracy).to.equal(0.5);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'eval', 'b.metrics.json'), 'utf8'));
    expect(saved.outputs).to.deep.equal(fromBundle.outputs);
    expect(readCsv(path.join(dir, 'eval', 'b.csv'))[0]).to.include.keys('valence_p_positive');
  });

  it('evaluate scores each output against its own labels: valence\'s confusion is the run\'s valence labels x predict\'s valence columns', () => {
    const ev = JSON.parse(ok(cli(['evaluate', 'run', 'same.json', '--fold', '1', '--backend', 'cpu', '--json'], dir)));
    ok(cli(['predict', 'run', 'same.json', '--fold', '1', '--out', 'fold1.csv', '--backend', 'cpu', '--json'], dir));
    // every window of the run's data is a test window of one fold: predictions-valence.csv holds its valence label
    const truth = new Map(readCsv(path.join(dir, 'run', 'predictions-valence.csv')).map((r) => [`${r.subject}@${r.window_end}`, Number(r.true)]));
    const rows = readCsv(path.join(dir, 'fold1.csv'));
    expect(rows.length).to.equal(truth.size).and.to.equal(ev.windows);
    const confusion = [
      [0, 0],
      [0, 0],
    ];
    for (const r of rows) confusion[truth.get(`${r.subject}@${r.window_end}`)!][Number(r.valence_p_positive) > Number(r.valence_p_negative) ? 1 : 0]++;
    expect(ev.outputs.valence.confusion).to.deep.equal(confusion);
  });

  it('bench of the spec: single-window latency with every input, training windows/s with both outputs, no tensor leaks', () => {
    const r = JSON.parse(ok(cli(['bench', SPEC, '--steps', '1', '--batch', '8', '--json'], dir)));
    expect(r.inputs).to.deep.equal([
      { name: 'bvp', rate: 32, length: 160 },
      { name: 'eda', rate: 4, length: 20 },
      { name: 'hr', rate: 1, length: 5 },
    ]);
    expect(r.sensors).to.equal(3);
    expect(r.outputs).to.deep.equal(['arousal', 'valence']);
    expect(r.trainWindowsPerSec).to.be.greaterThan(0);
    expect(r.inferMsPerWindow).to.be.greaterThan(0);
    expect(r.kernelsPerInference).to.be.greaterThan(0);
    expect(r.leakedTensors).to.deep.equal({ perTrainingEpoch: 0, per1000Inferences: 0 });
    const text = ok(cli(['bench', SPEC, '--steps', '1', '--batch', '8'], dir));
    expect(text).to.include('bvp 160 @ 32 Hz, eda 20 @ 4 Hz, hr 5 @ 1 Hz').and.include('arousal, valence');
  });
});
