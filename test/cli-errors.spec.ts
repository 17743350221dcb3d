import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, ROOT, tmpDir, writeSpec } from './helpers';

describe('fusion-cli on bad input (real process)', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const noOutput = (name: string): void => {
    expect(fs.existsSync(path.join(dir, 'runs', name)), 'output folder').to.equal(false);
    const leftovers = fs.existsSync(path.join(dir, 'runs')) ? fs.readdirSync(path.join(dir, 'runs')).filter((n) => n.includes('staging')) : [];
    expect(leftovers, 'staging folders').to.deep.equal([]);
  };

  it('a malformed spec: the line and column, exit 2', () => {
    const f = path.join(dir, 'broken.json');
    fs.writeFileSync(f, '{\n  "name": "x",\n  "seed": 1,,\n}');
    const r = cli(['run', f], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('broken.json').and.match(/line 3/);
    noOutput('x');
  });

  it('an invalid spec: every error with its JSON path, what was found and what is allowed', () => {
    const f = writeSpec(dir, 'invalid', { name: 'invalid', head: { type: 'lstm' }, training: { epochs: 0 }, sensors: ['hr', 'gsr'] });
    const r = cli(['validate', f], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('at /head').and.contain('unknown head "lstm"').and.contain('bigru');
    expect(r.stderr).to.contain('at /training/epochs').and.contain('found 0');
    expect(r.stderr).to.contain('at /sensors/1').and.contain('"gsr"');
    const run = cli(['run', f], dir);
    expect(run.status).to.equal(2);
    noOutput('invalid');
  });

  it('a missing spec file and a missing dataset folder: named, non-zero, nothing written', () => {
    const r = cli(['run', 'nope.json'], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('spec file not found');
    const f = writeSpec(dir, 'missing', { name: 'missing', dataset: { type: 'kemocon', path: 'no/such/folder' } });
    const r2 = cli(['run', f], dir);
    expect(r2.status).to.equal(1);
    expect(r2.stderr).to.contain(path.join(dir, 'no', 'such', 'folder'));
    noOutput('missing');
  });

  it('a CSV with a wrong header, garbage rows, NaN or an empty file: file and line, nothing written', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'csv-folder-adapter', 'spec.json'), 'utf8'));
    const cases: [string, string, RegExp][] = [
      ['header', 'time,hr,gsr,stress\n0,1,2,0\n1,1,2,0\n', /S1\.csv:1: header/],
      ['garbage', 'time,hr,eda,stress\n0,70,1,0\n1,seventy,1,0\n2,70,1,0\n', /S1\.csv:3: column "hr" is "seventy"/],
      ['nan', 'time,hr,eda,stress\n0,70,1,0\n1,70,NaN,0\n2,70,1,0\n', /S1\.csv:3: column "eda" is "NaN"/],
      ['empty', '', /S1\.csv:1: expected a header/],
    ];
    for (const [name, text, pattern] of cases) {
      const d = path.join(dir, `csv-${name}`);
      fs.mkdirSync(path.join(d, 'data'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'examples', 'csv-folder-adapter', 'data', 'S2.csv'), path.join(d, 'data', 'S2.csv'));
      fs.writeFileSync(path.join(d, 'data', 'S1.csv'), text);
      const f = path.join(d, 'spec.json');
      fs.writeFileSync(f, JSON.stringify({ ...spec, name: `csv-${name}`, plugins: [path.join(ROOT, 'examples', 'csv-folder-adapter', 'index.js')] }));
      const r = cli(['run', f], d);
      expect(r.status, name).to.equal(1);
      expect(r.stderr, name).to.match(pattern);
      expect(fs.existsSync(path.join(d, 'runs')), name).to.equal(false);
    }
  });

  it('a failed run never overwrites an earlier result', () => {
    const ok = writeSpec(dir, 'keep', { name: 'keep', training: { epochs: 1, ensemble: 1 } });
    expect(cli(['run', ok, '--json'], dir).status).to.equal(0);
    const before = fs.readFileSync(path.join(dir, 'runs', 'keep', 'metrics.json'), 'utf8');
    const bad = writeSpec(dir, 'keep-bad', { name: 'keep', sensors: ['hr'], preprocessing: { label: { target: 'nonexistent' } } });
    // --overwrite: a run that finished would replace runs/keep; a failed one leaves it as it was.
    const r = cli(['run', bad, '--overwrite'], dir);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('no labelled windows');
    expect(fs.readFileSync(path.join(dir, 'runs', 'keep', 'metrics.json'), 'utf8')).to.equal(before);
    expect(fs.readdirSync(path.join(dir, 'runs')).filter((n) => n.startsWith('keep') || n.startsWith('.keep'))).to.deep.equal(['keep']);
  });
});
