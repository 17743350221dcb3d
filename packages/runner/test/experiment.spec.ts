import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createContainer, getRegistries, loadModel, OutputError, SpecValidator, TrainingError } from '@fusion/core';
import { argmaxRows, computeMetrics, isFusionRunDir, parsePredictionsCsv, RunEvent, runExperiment, RunMetrics, StagedOutput } from '../src';
import { fakeModule, fakeSpec } from '@fusion/core/testing';

async function run(over: Record<string, unknown>, outDir: string, events: RunEvent[] = []) {
  const reg = getRegistries(createContainer(fakeModule));
  const spec = new SpecValidator(reg).check(fakeSpec(over));
  return runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir, backend: 'cpu', reporter: (e) => events.push(e) });
}

describe('runExperiment (core with fake plugins)', function () {
  this.timeout(60000);
  let tmp: string;
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-core-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains by subject, writes metrics, predictions, models and the spec, and does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    const events: RunEvent[] = [];
    const out = path.join(tmp, 'a');
    const { metrics } = await run({ training: { epochs: 4, batchSize: 16, learningRate: 0.02, ensemble: 2 } }, out, events);
    expect(tf.memory().numTensors).to.equal(before);
    expect(fs.readdirSync(out).sort()).to.deep.equal(['.fusion-run.json', 'metrics.json', 'models', 'predictions.csv', 'spec.json']);
    expect(metrics.folds).to.have.length(4);
    for (const f of metrics.folds) {
      expect(f.train).to.not.include(f.test[0]);
      expect(f.validation).to.not.include(f.test[0]);
      expect(f.members).to.have.length(2);
    }
    expect(metrics.summary.model.balancedAccuracy).to.be.a('number');
    expect(metrics.summary.baselines.majority.balancedAccuracy).to.equal(0.5);
    const csv = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal('fold,subject,window_end,true,pred,p_low,p_high,majority_pred,class_ratio_pred,features_pred,features_p_low,features_p_high');
    expect(csv.length - 1).to.equal(metrics.dataset.windows);
    const model = await loadModel(path.join(out, 'models', 'fold-1', 'member-2'));
    expect(model.inputs[0].shape).to.deep.equal([null, 20, 2]);
    model.dispose();
    expect(events.filter((e) => e.type === 'epoch').length).to.be.greaterThan(0);
  });

  it('predictions.csv holds the probabilities at full precision: every fold\'s AUROC and balanced accuracy recompute exactly from it', async () => {
    const out = path.join(tmp, 'exact');
    await run({ training: { epochs: 2, batchSize: 16, learningRate: 0.02, ensemble: 3 } }, out);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as RunMetrics;
    const classes = metrics.dataset.classes;
    const C = classes.length;
    const rows = parsePredictionsCsv(fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8'), classes);
    expect(rows).to.have.length(metrics.dataset.windows);
    // The ensemble's and the feature baseline's probabilities are float32 values: read back, each is one exactly.
    const cells = rows.flatMap((r) => [...r.probs, ...r.featureProbs!]);
    expect(cells.filter((x) => Math.fround(x) !== x), 'probabilities that are not the float32 written').to.deep.equal([]);
    const recompute = (rs: typeof rows, probsOf: (r: (typeof rows)[number]) => number[]) => {
      const probs = rs.flatMap(probsOf);
      return computeMetrics(rs.map((r) => r.trueClass), argmaxRows(probs, C), C, probs);
    };
    for (const f of metrics.folds) {
      const of = rows.filter((r) => r.fold === f.index);
      expect(of).to.have.length(f.testWindows);
      expect(of.map((r) => r.pred)).to.deep.equal(Array.from(argmaxRows(of.flatMap((r) => r.probs), C)));
      const m = recompute(of, (r) => r.probs);
      expect(m.auroc, `fold ${f.index} AUROC`).to.equal(f.model.auroc);
      expect(m.balancedAccuracy, `fold ${f.index} balanced accuracy`).to.equal(f.model.balancedAccuracy);
      const feat = recompute(of, (r) => r.featureProbs!);
      expect(feat.auroc, `fold ${f.index} feature baseline AUROC`).to.equal(f.baselines.features.auroc);
    }
    const pooled = recompute(rows, (r) => r.probs);
    expect(pooled.auroc).to.equal(metrics.summary.model.pooled.auroc);
    expect(pooled.balancedAccuracy).to.equal(metrics.summary.model.pooled.balancedAccuracy);
  });

  it('builds one encoder per sensor from an "encoders" map', async () => {
    const raw = fakeSpec({ encoders: { hr: { type: 'flat', units: 3 }, eda: { type: 'flat', units: 3 } }, training: { epochs: 1, batchSize: 16 } });
    delete raw.encoder;
    const reg = getRegistries(createContainer(fakeModule));
    const spec = new SpecValidator(reg).check(raw);
    const { metrics } = await runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir: path.join(tmp, 'per-sensor'), backend: 'cpu' });
    expect(metrics.folds).to.have.length(4);
    const model = await loadModel(path.join(tmp, 'per-sensor', 'models', 'fold-1', 'member-1'));
    expect(model.layers.map((l) => l.name)).to.include.members(['encoder_select_hr', 'encoder_select_eda', 'encoder_stack']);
    model.dispose();
  });

  it('gives the same metrics for the same seed', async () => {
    const a = await run({}, path.join(tmp, 'b1'));
    const b = await run({}, path.join(tmp, 'b2'));
    expect(a.metrics.folds.map((f) => f.model)).to.deep.equal(b.metrics.folds.map((f) => f.model));
    expect(a.metrics.folds.map((f) => f.members[0].history)).to.deep.equal(b.metrics.folds.map((f) => f.members[0].history));
  });

  it('a failed run leaves no folder and an earlier result intact', async () => {
    const out = path.join(tmp, 'c');
    await run({}, out);
    const before = fs.readFileSync(path.join(out, 'metrics.json'), 'utf8');
    let err: unknown;
    try {
      // A NaN inside the model makes the loss NaN: training must stop with a named error.
      await run({ encoder: { type: 'flat', poison: true } }, out);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TrainingError);
    expect((err as Error).message).to.match(/fold 1 .*epoch 1: the training loss is NaN/);
    const after = fs.readFileSync(path.join(out, 'metrics.json'), 'utf8');
    expect(after).to.equal(before);
    // Neither the resumable partial folder (`.c.partial`) nor any other hidden folder of the run stays beside it.
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('.c.')), 'hidden folders of the failed run').to.deep.equal([]);
  });

  it('staged output is invisible until committed', () => {
    const target = path.join(tmp, 'staged');
    const s = new StagedOutput(target);
    s.writeJson('x.json', { a: 1 });
    expect(fs.existsSync(target)).to.equal(false);
    s.commit();
    expect(JSON.parse(fs.readFileSync(path.join(target, 'x.json'), 'utf8'))).to.deep.equal({ a: 1 });
  });

  it('staged output carries the run marker and never replaces or discards a folder fusion did not make', () => {
    const target = path.join(tmp, 'guarded');
    const first = new StagedOutput(target, { resumable: true });
    expect(isFusionRunDir(first.staging)).to.equal(true);
    first.commit();
    expect(isFusionRunDir(target)).to.equal(true);
    // A finished run is replaced only with overwrite.
    const again = new StagedOutput(target, { resumable: true });
    expect(() => again.commit()).to.throw(OutputError, /holds a finished run, so it is not replaced/);
    expect(isFusionRunDir(target)).to.equal(true);
    // An interrupted run's partial folder is not discarded by a fresh run, nor by overwrite without the marker.
    expect(() => new StagedOutput(target, { resumable: true })).to.throw(OutputError, /it is not discarded/);
    fs.rmSync(path.join(again.staging, '.fusion-run.json'));
    expect(() => new StagedOutput(target, { resumable: true, overwrite: true })).to.throw(OutputError, /fusion did not make/);
    again.discard();
    // A folder without the marker at the target is never replaced, even with overwrite.
    const mine = path.join(tmp, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'keep');
    const over = new StagedOutput(mine, { resumable: true, overwrite: true });
    expect(() => over.commit()).to.throw(OutputError, /fusion did not make it/);
    expect(fs.readdirSync(mine)).to.deep.equal(['notes.txt']);
    over.discard();
  });
});
