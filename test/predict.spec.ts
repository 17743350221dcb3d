import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { requireData } from '@fusion/core';
import { cli, tmpDir, writeSpec } from './helpers';

const E4_PARTS = ['e4-sample', 'test', 'wearable-data', 'empatica'];

function readCsv(file: string): Record<string, string>[] {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

describe('fusion-cli predict and evaluate on new recordings (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  const dataset = { type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 3 };
  before(() => {
    dir = tmpDir('fusion-predict-');
    const r = cli(['run', writeSpec(dir, 'trained', { name: 'trained', dataset, training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 } }), '--workers', '1', '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('predict on the run\'s own data with --fold K gives the probabilities evaluation gave fold K\'s test subjects', () => {
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify(dataset));
    const r = cli(['predict', 'runs/trained', 'same.json', '--fold', '1', '--out', 'same.csv', '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const mine = new Map(readCsv(path.join(dir, 'same.csv')).map((x) => [`${x.subject}@${x.window_end}`, x]));
    const evaluated = readCsv(path.join(dir, 'runs', 'trained', 'predictions.csv')).filter((x) => x.fold === '1');
    expect(evaluated.length).to.be.greaterThan(0);
    for (const e of evaluated) {
      const m = mine.get(`${e.subject}@${e.window_end}`);
      expect(m, `${e.subject}@${e.window_end}`).to.not.equal(undefined);
      expect(Number(m!.p_high)).to.be.closeTo(Number(e.p_high), 2e-5);
      expect(m!.true).to.equal(['low', 'high'][Number(e.true)]);
    }
  });

  it('predict on a folder of an E4 export (no labels) writes a row per window with probabilities', function () {
    const E4_EXPORT = requireData(this, ...E4_PARTS);
    const r = cli(['predict', 'runs/trained', E4_EXPORT, '--out', 'out/e4.csv', '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const rows = readCsv(path.join(dir, 'out', 'e4.csv'));
    expect(rows.length).to.equal(JSON.parse(r.stdout).windows).and.to.be.greaterThan(0);
    for (const x of rows) {
      expect(Number(x.p_low) + Number(x.p_high)).to.be.closeTo(1, 1e-4);
      expect(x.pred).to.be.oneOf(['low', 'high']);
      expect(x.true).to.equal('');
    }
  });

  it('evaluate: balanced accuracy, macro-F1 and AUROC on new labelled recordings next to the majority class', () => {
    fs.writeFileSync(path.join(dir, 'new.json'), JSON.stringify({ ...dataset, participants: 2, seed: 11 }));
    const r = cli(['evaluate', 'runs/trained', 'new.json', '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.subjects).to.equal(2);
    for (const k of ['balancedAccuracy', 'macroF1', 'auroc']) {
      expect(out.model, k).to.have.property(k);
      expect(out.majority, k).to.have.property(k);
    }
    expect(out.majority.balancedAccuracy).to.equal(0.5);
    expect(out.majority.auroc).to.equal(0.5);
    const n = out.confusion.flat().reduce((a: number, b: number) => a + b, 0);
    expect(n).to.equal(out.windows);
  });

  it('evaluate on recordings without labels: DatasetError (exit 1) pointing to predict', function () {
    const E4_EXPORT = requireData(this, ...E4_PARTS);
    const r = cli(['evaluate', 'runs/trained', E4_EXPORT, '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(1);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!).error;
    expect(err.code).to.equal('DatasetError');
    expect(err.message).to.contain('no labelled windows').and.contain('fusion-cli predict');
  });

  it('a dataset spec with a bad option: SpecValidationError (exit 2) at its JSON path', function () {
    const E4_EXPORT = requireData(this, ...E4_PARTS);
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ type: 'e4', path: E4_EXPORT, speed: 3 }));
    const r = cli(['predict', 'runs/trained', 'bad.json', '--out', 'x.csv', '--backend', 'cpu', '--json'], dir);
    expect(r.status, r.stderr).to.equal(2);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).error.path).to.match(/^\/dataset/);
  });
});
