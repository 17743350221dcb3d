import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createContainer, getRegistries, SpecValidator } from '@fusion/core';
import { auc, LABEL_ONLY_POOLED_NOTE, RunMetrics, runExperiment, wilcoxonSignedRank } from '../src';
import { fakeModule, fakeSpec } from '@fusion/core/testing';

describe('run metrics: paired comparison with the feature baseline, pooled baselines, AUROC from predictions.csv', function () {
  this.timeout(60000);
  let tmp: string;
  let metrics: RunMetrics;
  let csv: string[][];
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-cmp-'));
    const reg = getRegistries(createContainer(fakeModule));
    const spec = new SpecValidator(reg).check(fakeSpec({ dataset: { type: 'fake', subjects: 5, effect: 0.03 }, training: { epochs: 2, batchSize: 16, learningRate: 0.02 } }));
    const out = path.join(tmp, 'run');
    metrics = (await runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir: out, backend: 'cpu' })).metrics;
    csv = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('summary.comparisons.featureBaseline: per-subject model − feature baseline, its mean, interval and Wilcoxon p', () => {
    const c = metrics.summary.comparisons!.featureBaseline;
    expect(c.reference).to.equal('features');
    const subjects = Object.keys(metrics.perSubject).sort();
    const d = subjects.map((s) => metrics.perSubject[s].model.balancedAccuracy - metrics.perSubject[s].baselines.features.balancedAccuracy);
    expect(c.balancedAccuracy.subjects).to.equal(subjects.length).and.to.be.greaterThan(2);
    expect(Object.values(c.balancedAccuracy.perSubject)).to.deep.equal(d);
    expect(c.balancedAccuracy.mean).to.be.closeTo(d.reduce((a, b) => a + b, 0) / d.length, 1e-12);
    expect(c.balancedAccuracy.ci95![0]).to.be.at.most(c.balancedAccuracy.mean! + 1e-12);
    expect(c.balancedAccuracy.ci95![1]).to.be.at.least(c.balancedAccuracy.mean! - 1e-12);
    expect(c.balancedAccuracy.wilcoxon).to.deep.equal(wilcoxonSignedRank(d));
    const withAuroc = subjects.filter((s) => metrics.perSubject[s].model.auroc !== null);
    expect(c.auroc.subjects).to.equal(withAuroc.length);
    // in metrics.json as written
    expect(JSON.parse(JSON.stringify(metrics)).summary.comparisons.featureBaseline.auroc.subjects).to.equal(withAuroc.length);
  });

  it('pooled figures of the label-only baselines are left out with the reason; the model and the feature baseline keep theirs', () => {
    for (const b of ['majority', 'classRatio'] as const) {
      const p = metrics.summary.baselines[b].pooled;
      expect(p, b).to.include({ balancedAccuracy: null, macroF1: null, auroc: null, leftOut: LABEL_ONLY_POOLED_NOTE });
      expect(p.n).to.equal(metrics.dataset.windows);
      // the per-fold figures stay: what these baselines stand for
      expect(metrics.summary.baselines[b].balancedAccuracy).to.be.a('number');
    }
    expect(metrics.summary.baselines.majority.auroc).to.equal(0.5);
    for (const s of [metrics.summary.model, metrics.summary.baselines.features]) {
      expect(s.pooled.balancedAccuracy).to.be.a('number');
      expect(s.pooled.auroc).to.be.a('number');
      expect(s.pooled.leftOut).to.equal(undefined);
    }
  });

  it('each fold’s AUROC is recomputed from predictions.csv (the probabilities written)', () => {
    const head = csv[0];
    const col = (n: string): number => head.indexOf(n);
    const aurocs: (number | null)[] = [];
    for (const f of metrics.folds) {
      const rows = csv.slice(1).filter((r) => Number(r[col('fold')]) === f.index);
      const fromCsv = auc(rows.map((r) => Number(r[col('p_high')])), rows.map((r) => r[col('true')] === '1')) ?? null;
      if (f.model.auroc === null) expect(fromCsv).to.equal(null);
      else expect(fromCsv, `fold ${f.index}`).to.be.closeTo(f.model.auroc, 1e-12);
      aurocs.push(f.model.auroc);
    }
    // a hard enough task that the ranks matter (AUROC 1 would survive any rounding of the file)
    expect(aurocs.some((a) => a !== null && a > 0.05 && a < 0.95), String(aurocs)).to.equal(true);
  });
});
