import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpDir, writeSpec } from './helpers';

type MeanSd = Record<string, { mean: number | null; sd: number | null }>;
type FoldScores = { fold: number; validation: { balancedAccuracy: number; auroc?: number }; test: Record<string, unknown> };
interface SweepRun {
  summary: unknown;
  folds: { index: number; model: Record<string, unknown>; sweepPoint: number; members: unknown[] }[];
  sweep: {
    points: { index: number; values: Record<string, unknown>; parameters: number }[];
    table: { index: number; values: Record<string, unknown>; validation: MeanSd; test: MeanSd; folds: FoldScores[] }[];
    selected: { fold: number; point: number; values: Record<string, unknown>; validationBalancedAccuracy: number }[];
  };
}

/** Hyper-parameter sweeps: the grid, per-fold selection on validation subjects only, the sweep table. */
describe('sweeps (end to end, real process)', function () {
  this.timeout(240000);
  let dir: string;
  const over = { name: 'swept', training: { epochs: 2, batchSize: 32, learningRate: 0.01, patience: 2, ensemble: 1 }, sweep: { 'training.learningRate': [0.001, 0.03] } };
  let m: SweepRun;
  before(() => {
    dir = tmpDir('fusion-sweep-');
    const r = cli(['run', writeSpec(dir, 'swept', over), '--out', 'swept', '--workers', '1', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    m = JSON.parse(fs.readFileSync(path.join(dir, 'swept', 'metrics.json'), 'utf8'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('expands the grid and writes the sweep table (validation and test, mean and sd over folds, per fold)', () => {
    expect(m.sweep.points.map((p) => p.values)).to.deep.equal([{ 'training.learningRate': 0.001 }, { 'training.learningRate': 0.03 }]);
    expect(m.sweep.table).to.have.length(2);
    for (const row of m.sweep.table) {
      expect(row.folds).to.have.length(2);
      for (const k of ['accuracy', 'balancedAccuracy', 'macroF1']) {
        expect(row.validation[k].mean, k).to.be.a('number');
        expect(row.test[k].mean, k).to.be.a('number');
      }
    }
    expect(m.sweep.selected).to.have.length(2);
    for (const p of [1, 2]) for (const f of [1, 2]) expect(fs.existsSync(path.join(dir, 'swept', 'sweep', `point-${p}`, `fold-${f}`, 'member-1', 'model.json'))).to.equal(true);
  });

  it('chooses each fold\'s point from its validation scores alone, and reports that point\'s test predictions', () => {
    m.sweep.selected.forEach((s, k) => {
      // Recompute the choice from validation only (best balanced accuracy, then AUROC, then the lower index).
      let best = 0;
      for (let i = 1; i < m.sweep.table.length; i++) {
        const a = m.sweep.table[i].folds[k].validation;
        const b = m.sweep.table[best].folds[k].validation;
        if (a.balancedAccuracy > b.balancedAccuracy + 1e-12 || (Math.abs(a.balancedAccuracy - b.balancedAccuracy) <= 1e-12 && (a.auroc ?? -1) > (b.auroc ?? -1) + 1e-12)) best = i;
      }
      expect(s.point, `fold ${k + 1}`).to.equal(best);
      expect(s.validationBalancedAccuracy).to.equal(m.sweep.table[best].folds[k].validation.balancedAccuracy);
      expect(m.folds[k].sweepPoint).to.equal(best);
      // The fold's result is the chosen point's test predictions ...
      expect(m.folds[k].model).to.deep.equal(m.sweep.table[best].folds[k].test);
      // ... and its models are the chosen point's.
      const chosen = path.join(dir, 'swept', 'sweep', `point-${best + 1}`, `fold-${k + 1}`, 'member-1', 'weights.bin');
      expect(fs.readFileSync(path.join(dir, 'swept', 'models', `fold-${k + 1}`, 'member-1', 'weights.bin')).equals(fs.readFileSync(chosen))).to.equal(true);
    });
  });

  it('gives the same sweep with worker processes (jobs carry their point)', () => {
    const r = cli(['run', writeSpec(dir, 'swept', over), '--out', 'swept-2', '--workers', '2', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const m2: SweepRun = JSON.parse(fs.readFileSync(path.join(dir, 'swept-2', 'metrics.json'), 'utf8'));
    expect(m2.sweep).to.deep.equal(m.sweep);
    expect(m2.summary).to.deep.equal(m.summary);
  });

  it('rejects sweeps of options that change the data or the folds, missing options and invalid values, naming the path', () => {
    const bad = writeSpec(dir, 'bad-sweep', { ...over, name: 'bad', sweep: { 'evaluation.k': [3], 'head.nope': [1], 'training.learningRate': [0.01, 20] } });
    const r = cli(['validate', bad], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('/sweep/evaluation.k').and.contain('cannot be swept');
    expect(r.stderr).to.contain('/sweep/head.nope').and.contain('does not exist');
    expect(r.stderr).to.contain('/sweep/training.learningRate/1').and.contain('20');
  });
});
