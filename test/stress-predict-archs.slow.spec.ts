import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { requireData } from '@fusion/core';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * The long runs (npm run test:slow, not part of npm test): every architecture on the real Stress-Predict recordings,
 * as in the README's results table, and the leave-one-subject-out quick twin. Each must clearly beat the majority
 * baseline's balanced accuracy (0.5) on held-out subjects. About 15 minutes on 2 cores.
 */
describe('Stress-Predict: every architecture beats the majority baseline on held-out subjects (slow)', function () {
  this.timeout(3600000);
  let dir: string;
  before(function () {
    requireData(this, 'stress-predict', 'Raw_data');
    dir = tmpDir('fusion-slow-');
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const specs = ['stress-predict-quick.json', ...fs.readdirSync(path.join(ROOT, 'specs', 'stress-predict')).map((f) => path.join('stress-predict', f))];
  for (const rel of specs) {
    it(rel, () => {
      const r = cli(['run', path.join(ROOT, 'specs', rel), '--json', '--out', rel.replace(/[/.]/g, '_')], dir, 3600000);
      expect(r.status, r.stderr).to.equal(0);
      const s = JSON.parse(r.stdout).summary;
      expect(s.baselines.majority.balancedAccuracy).to.equal(0.5);
      expect(s.model.balancedAccuracy).to.be.greaterThan(0.6);
      expect(s.model.auroc).to.be.greaterThan(0.7);
    });
  }
});
