import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpDir, writeSpec } from './helpers';

describe('fusion-cli run with evaluation.calibration (real process, synthetic data)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-calib-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the personalised figures as their own table and draws the curve in the report', () => {
    const spec = writeSpec(dir, 'calib', { name: 'calib', training: { epochs: 1, ensemble: 1 }, evaluation: { type: 'group-kfold', k: 2, calibration: { minutes: [0, 1, 2] } } });
    const r = cli(['run', spec, '--backend', 'cpu'], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain("each test subject's first N minutes calibrate it");
    const [main, perso] = r.stdout.split("each test subject's first N minutes calibrate it");
    expect(main).to.contain('majority baseline').and.not.contain('adapted');
    expect(perso).to.contain('personalised (per-subject threshold)').and.contain('first 0 min: adapted').and.contain('first 2 min: adapted');
    expect(perso.match(/same windows, not adapted/g)).to.have.length(3);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'calib', 'metrics.json'), 'utf8'));
    expect(m.summary.personalised.map((p: { minutes: number }) => p.minutes)).to.deep.equal([0, 1, 2]);
    const html = fs.readFileSync(path.join(dir, 'runs', 'calib', 'report.html'), 'utf8');
    expect(html).to.contain('<section id="personalised">').and.contain('id="chart-personalised"');
    expect(html.match(/<section id="personalised">[\s\S]*?<\/section>/)![0]).to.contain('<svg');
  });
});
