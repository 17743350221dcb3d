import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { hashDataFiles } from '@fusion/runner';
import { cli, tmpDir, writeSpec } from './helpers';

describe('fusion-cli runs and compare; provenance in metrics.json (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  let gitHead: string | null = null;
  before(() => {
    dir = tmpDir('fusion-runs-');
    try {
      // The working folder is a git checkout: the run records its commit.
      const git = (...a: string[]): string => execFileSync('git', a, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      git('init', '-q');
      fs.writeFileSync(path.join(dir, 'README'), 'x\n');
      git('add', 'README');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'init');
      gitHead = git('rev-parse', 'HEAD');
    } catch {
      gitHead = null; // no git on this machine: the commit is recorded as null
    }
    const training = { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 };
    for (const [name, seed] of [['first', 5], ['second', 6]] as const) {
      const r = cli(['run', writeSpec(dir, name, { name, seed, training }), '--workers', '1', '--backend', 'cpu', '--json'], dir);
      expect(r.status, r.stderr).to.equal(0);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every run records its provenance: git commit of the working folder, package versions', () => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'first', 'metrics.json'), 'utf8'));
    expect(m.provenance.gitCommit).to.equal(gitHead);
    expect(m.provenance.packages['@fusion/core']).to.match(/^\d+\.\d+\.\d+/);
    expect(m.provenance.packages['@tensorflow/tfjs']).to.match(/^\d+\.\d+\.\d+/);
    expect(m.provenance.data).to.deep.equal({ root: null, files: [] }); // generated data: no files
  });

  it('hashDataFiles gives the sha256 of each file under a dataset folder', () => {
    const d = path.join(dir, 'data');
    fs.mkdirSync(path.join(d, 'S1'), { recursive: true });
    fs.writeFileSync(path.join(d, 'S1', 'EDA.csv'), '1\n4\n0.5\n');
    fs.writeFileSync(path.join(d, 'a.csv'), 'x');
    const h = hashDataFiles(d);
    expect(h.files.map((f) => f.file)).to.deep.equal(['S1/EDA.csv', 'a.csv']);
    expect(h.files[0].sha256).to.equal(createHash('sha256').update('1\n4\n0.5\n').digest('hex'));
    expect(h.files[1].bytes).to.equal(1);
  });

  it('runs lists the run folders with date, backend, data, headline metrics and the commit (--json and text)', () => {
    const r = cli(['runs', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.runs.map((x: { run: string }) => x.run).sort()).to.deep.equal(['first', 'second']);
    const first = out.runs.find((x: { run: string }) => x.run === 'first');
    expect(first.backend).to.equal('cpu');
    expect(first.data).to.match(/^synthetic/);
    for (const k of ['balancedAccuracy', 'auroc', 'featureBaselineBalancedAccuracy']) expect(first, k).to.have.property(k);
    expect(first.balancedAccuracy).to.be.a('number');
    expect(first.gitCommit).to.equal(gitHead);
    const text = cli(['runs', 'runs'], dir);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.contain('first').and.contain('second').and.contain('feature baseline bal. acc.');
  });

  it('compare prints metrics side by side with the paired per-subject difference (seeded bootstrap) and writes an HTML page', () => {
    const r = cli(['compare', 'runs/first', 'runs/second', '--json', '--out', 'cmp/page.html'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.runs).to.have.length(2);
    const [d] = out.pairedBalancedAccuracy;
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'first', 'metrics.json'), 'utf8')).perSubject;
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'second', 'metrics.json'), 'utf8')).perSubject;
    const subjects = Object.keys(a).filter((s) => s in b);
    expect(d.subjects).to.equal(subjects.length).and.to.be.greaterThan(0);
    const diffs = subjects.map((s) => b[s].model.balancedAccuracy - a[s].model.balancedAccuracy);
    expect(d.mean).to.be.closeTo(diffs.reduce((x, y) => x + y, 0) / diffs.length, 1e-12);
    expect(d.ci95[0]).to.be.at.most(d.mean + 1e-12);
    expect(d.ci95[1]).to.be.at.least(d.mean - 1e-12);
    expect(d.ci95[0]).to.be.at.least(Math.min(...diffs) - 1e-12);
    // Seeded: the same runs give the same interval.
    const again = JSON.parse(cli(['compare', 'runs/first', 'runs/second', '--json'], dir).stdout);
    expect(again.pairedBalancedAccuracy[0].ci95).to.deep.equal(d.ci95);
    // The one implementation of paired statistics (@fusion/core), also behind metrics.json's summary.comparisons.
    expect(d.wilcoxon.p).to.be.within(0, 1);
    expect(d.wilcoxon.n + d.wilcoxon.zeros).to.equal(d.subjects);
    const page = fs.readFileSync(path.join(dir, 'cmp', 'page.html'), 'utf8');
    expect(page).to.match(/^<!doctype html>/).and.contain('second − first').and.not.match(/<script|src=|href=/);
    const text = cli(['compare', 'runs/first', 'runs/second'], dir);
    expect(text.stdout).to.contain('balanced acc.').and.contain('95% bootstrap interval').and.contain('Wilcoxon p');
  });

  it('compare with a folder that is not a run: a usage error (exit 2) naming it', () => {
    const r = cli(['compare', 'runs/first', 'nope', '--json'], dir);
    expect(r.status).to.equal(2);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).error.message).to.contain('nope').and.contain('no metrics.json');
  });
});
