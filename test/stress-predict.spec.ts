import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { requireData } from '@fusion/core';
import { cli, tmpDir } from './helpers';

describe('fusion-cli run on Stress-Predict (end to end, real recordings)', function () {
  this.timeout(600000);
  let dir: string;
  let raw: string;
  before(function () {
    raw = requireData(this, 'stress-predict', 'Raw_data');
    dir = tmpDir('fusion-stress-predict-');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains 4 real subjects by subject and writes metrics with the baselines, and the report', () => {
    const spec = {
      name: 'sp-tiny',
      seed: 3,
      // S01 (set-up press), S17 and S18 (12-h tags) exercise the tag rule; S05 is a plain subject.
      dataset: { type: 'stress-predict', path: raw, subjects: ['S01', 'S05', 'S17', 'S18'] },
      sensors: ['hr', 'eda', 'temp', 'acc'],
      preprocessing: {
        sampleRate: 1,
        window: 60,
        hop: 60,
        label: { target: 'stress', mapping: 'identity', classes: ['non-stress', 'stress'] },
      },
      encoder: { type: 'tcn', channels: [8, 8], kernelSize: 2, dropout: 0.1 },
      fusion: { type: 'concat' },
      head: { type: 'bigru', units: 8 },
      training: { epochs: 2, batchSize: 32, learningRate: 0.01, patience: 2, ensemble: 1, classWeight: 'balanced' },
      evaluation: { type: 'group-kfold', k: 2 },
      output: { dir: 'runs/${name}' },
    };
    const file = path.join(dir, 'sp-tiny.json');
    fs.writeFileSync(file, JSON.stringify(spec, null, 2));
    const r = cli(['run', file, '--json', '--workers', '2'], dir, 540000);
    expect(r.status, r.stderr).to.equal(0);
    const out = path.join(dir, 'runs', 'sp-tiny');
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(m.dataset.subjects).to.equal(4);
    expect(m.dataset.classes).to.deep.equal(['non-stress', 'stress']);
    expect(m.dataset.windows).to.be.greaterThan(150);
    expect(m.dataset.warnings.join('\n')).to.match(/S17: tag #4 .*corrected by \+43200 s/).and.match(/S18: tag #1 .*corrected/).and.contain('S01: tag #1');
    expect(m.folds).to.have.length(2);
    expect(m.folds.flatMap((f: { test: string[] }) => f.test).sort()).to.deep.equal(['S01', 'S05', 'S17', 'S18']);
    for (const k of ['accuracy', 'balancedAccuracy', 'macroF1']) {
      expect(m.summary.model[k], k).to.be.within(0, 1);
      for (const b of ['majority', 'classRatio', 'features']) expect(m.summary.baselines[b][k], `${b}.${k}`).to.be.within(0, 1);
    }
    expect(m.summary.model).to.have.property('auroc');
    expect(m.summary.baselines.majority.balancedAccuracy).to.equal(0.5);
    expect(m.summary.baselines.features).to.have.property('auroc');
    expect(fs.existsSync(path.join(out, 'report.html'))).to.equal(true);
    const rows = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(rows.length - 1).to.equal(m.dataset.windows);
  });
});
