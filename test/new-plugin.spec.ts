import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * The scaffold's `npm test` (its shared plugin contract test), run as npm would in its folder, with the framework's
 * installed commands (node_modules/.bin: fusion-cli) on PATH as after `npm install -g` or `npm link`.
 */
function npmTest(folder: string): { status: number | null; out: string } {
  const script = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).scripts.test as string;
  expect(script).to.equal('fusion-cli test-plugin');
  const PATH = [path.join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter);
  const r = spawnSync(script, { cwd: folder, shell: true, encoding: 'utf8', timeout: 300000, env: { ...process.env, PATH, FORCE_COLOR: '0' } });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('fusion-cli new-plugin: a working plugin scaffold outside the repository (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-new-plugin-');
    expect(path.relative(ROOT, dir).startsWith('..')).to.equal(true);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['encoder', 'fusion', 'head']) {
    it(`${kind}: the scaffold validates, its model builds (summary) and its plugin contract test passes, with no package installed in its folder`, () => {
      const r = cli(['new-plugin', kind, `my-${kind}`, '--json'], dir);
      expect(r.status, r.stderr).to.equal(0);
      const folder = path.join(dir, `my-${kind}`);
      expect(JSON.parse(r.stdout).files).to.have.members(['index.js', 'test/contract.spec.js', 'spec.json', 'package.json', 'README.md']);
      expect(fs.existsSync(path.join(folder, 'node_modules'))).to.equal(false);
      expect(JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).peerDependencies).to.have.property('@fusion/core');
      const v = cli(['validate', 'spec.json'], folder);
      expect(v.status, v.stderr + v.stdout).to.equal(0);
      const s = cli(['summary', 'spec.json', '--backend', 'cpu', '--json'], folder);
      expect(s.status, s.stderr).to.equal(0);
      expect(JSON.stringify(JSON.parse(s.stdout))).to.contain(`my-${kind}`);
      const t = npmTest(folder);
      expect(t.status, t.out).to.equal(0);
      expect(t.out).to.match(/6 passing/).and.contain(`plugin contract: ${kind} "my-${kind}"`);
      expect(fs.existsSync(path.join(folder, 'node_modules'))).to.equal(false);
    });
  }

  it("the scaffold's contract test fails when the plugin breaks the contract (an options schema that accepts unknown options)", () => {
    expect(cli(['new-plugin', 'head', 'loose-head'], dir).status).to.equal(0);
    const folder = path.join(dir, 'loose-head');
    const file = path.join(folder, 'index.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('additionalProperties: false', 'additionalProperties: true'));
    const t = npmTest(folder);
    expect(t.status, t.out).to.equal(1);
    expect(t.out).to.contain('1 failing').and.contain('an unknown option').and.contain('1 of 6 plugin tests failing');
    // The same from elsewhere, naming the folder.
    const named = cli(['test-plugin', 'loose-head'], dir);
    expect(named.status, named.stderr).to.equal(1);
    expect(named.stdout).to.contain('1 failing');
  });

  it('test-plugin: a folder that is not a plugin (no package.json, no test files) is a named plugin error (exit 1)', () => {
    const none = cli(['test-plugin'], dir);
    expect(none.status, none.stderr).to.equal(1);
    expect(none.stderr).to.contain('not a plugin folder: no package.json');
    const empty = path.join(dir, 'no-tests');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'package.json'), '{}');
    const r = cli(['test-plugin', 'no-tests'], dir);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('no test files: expected test/*.spec.js');
  });

  it('dataset: the scaffold loads its recordings, passes its contract test and trains end to end', () => {
    expect(cli(['new-plugin', 'dataset', 'my-data'], dir).status).to.equal(0);
    const folder = path.join(dir, 'my-data');
    const t = npmTest(folder);
    expect(t.status, t.out).to.equal(0);
    expect(t.out).to.match(/3 passing/);
    const r = cli(['run', 'spec.json', '--workers', '1', '--backend', 'cpu', '--json'], folder);
    expect(r.status, r.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(folder, 'runs', 'my-data-example', 'metrics.json'), 'utf8'));
    expect(m.dataset.name).to.equal('my-data');
    expect(m.dataset.subjects).to.equal(4);
  });

  it('a bad kind or name, or a folder that exists: a usage error (exit 2), nothing written', () => {
    expect(cli(['new-plugin', 'sensor', 'x'], dir).status).to.equal(2);
    const bad = cli(['new-plugin', 'encoder', 'My Encoder'], dir);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('lower-case');
    const again = cli(['new-plugin', 'encoder', 'my-encoder'], dir);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.contain('exists and is not empty');
  });
});
