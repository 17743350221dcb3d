import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, ROOT, tmpDir, writeSpec } from './helpers';

describe('fusion-cli run (end to end, real process)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => {
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains a tiny spec by subject and writes metrics, predictions, models and the spec', () => {
    const spec = writeSpec(dir, 'tiny');
    const r = cli(['run', spec, '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.backend).to.be.oneOf(['node-gpu', 'node', 'wasm', 'cpu']);
    const out = path.join(dir, 'runs', 'tiny');
    expect(printed.outDir).to.equal(out);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    for (const k of ['accuracy', 'balancedAccuracy', 'macroF1']) {
      expect(m.summary.model[k], k).to.be.a('number');
      expect(m.summary.baselines.majority[k], k).to.be.a('number');
      expect(m.summary.baselines.classRatio[k], k).to.be.a('number');
    }
    expect(m.summary.model).to.have.property('auroc');
    expect(m.folds).to.have.length(2);
    expect(m.seed).to.equal(5);
    expect(m.backend).to.equal(printed.backend);
    // Local worker processes share the cores: each worker's wasm backend runs one thread.
    if (m.backend === 'wasm') expect(m.backendThreads).to.equal(1);
    const tested = m.folds.flatMap((f: { test: string[] }) => f.test).sort();
    expect(tested).to.deep.equal(['1', '2', '3', '4'].sort());
    expect(fs.existsSync(path.join(out, 'models', 'fold-2', 'member-2', 'model.json'))).to.equal(true);
    expect(fs.existsSync(path.join(out, 'models', 'fold-2', 'member-2', 'weights.bin'))).to.equal(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'spec.json'), 'utf8')).training.patience).to.equal(2);
    const rows = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(rows.length - 1).to.equal(m.dataset.windows);
  });

  it('prints progress and a table without --json, and names the backend', () => {
    const spec = writeSpec(dir, 'tiny2', { name: 'tiny2', training: { epochs: 1, ensemble: 1 }, evaluation: { type: 'group-kfold', k: 2 } });
    const r = cli(['run', spec, '--backend', 'cpu'], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('backend: cpu');
    expect(r.stdout).to.contain('balanced acc.').and.contain('majority baseline').and.contain('class-ratio baseline');
    expect(r.stdout).to.contain('model − feature baseline, per subject').and.contain('95% bootstrap interval').and.contain('Wilcoxon p');
  });

  it('same seed, same metrics', () => {
    const a = cli(['run', writeSpec(dir, 'same', { name: 'same', training: { epochs: 2, ensemble: 1 } }), '--json', '--out', 'same-a'], dir);
    const b = cli(['run', writeSpec(dir, 'same', { name: 'same', training: { epochs: 2, ensemble: 1 } }), '--json', '--out', 'same-b'], dir);
    expect(a.status, a.stderr).to.equal(0);
    expect(b.status, b.stderr).to.equal(0);
    const ma = JSON.parse(fs.readFileSync(path.join(dir, 'same-a', 'metrics.json'), 'utf8'));
    const mb = JSON.parse(fs.readFileSync(path.join(dir, 'same-b', 'metrics.json'), 'utf8'));
    expect(ma.folds.map((f: { model: unknown }) => f.model)).to.deep.equal(mb.folds.map((f: { model: unknown }) => f.model));
    expect(ma.summary).to.deep.equal(mb.summary);
  });

  it('runs the example third-party plugin without any change to the packages', () => {
    const r = cli(['run', path.join(ROOT, 'examples', 'csv-folder-adapter', 'spec.json'), '--json', '--out', 'plugin-run'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'plugin-run', 'metrics.json'), 'utf8'));
    expect(m.dataset.name).to.equal('csv-folder:data');
    expect(m.folds).to.have.length(4);
    expect(m.dataset.classes).to.deep.equal(['calm', 'stress']);
  });
});
