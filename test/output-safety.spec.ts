import { spawn, spawnSync } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, CLI, tmpDir, writeSpec } from './helpers';

/**
 * `fusion-cli run` never destroys what fusion did not create (real processes, temp folders). Every refusal happens
 * before any data is loaded: the synthetic dataset is never generated (no .fusion-cache folder appears).
 */
describe('fusion-cli run: output folder safety', function () {
  this.timeout(120000);
  let root: string;
  let n = 0;
  /** A fresh working folder for one case. */
  let dir: string;
  const quick = { training: { epochs: 1, ensemble: 1, batchSize: 32, learningRate: 0.01, patience: 1 } };
  before(() => {
    root = tmpDir('fusion-safety-');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    dir = path.join(root, `case-${++n}`);
    fs.mkdirSync(dir);
  });

  const spec = (over: Record<string, unknown> = {}): string => writeSpec(dir, 'spec', { name: 'safe', ...quick, ...over });
  const run = (args: string[], cwd = dir) => cli(['run', ...args, '--workers', '1'], cwd);
  const marker = (d: string): { runId: string } => JSON.parse(fs.readFileSync(path.join(d, '.fusion-run.json'), 'utf8'));
  /** The refusal came before the data was loaded, left no lock, partial or staging folder, and exited 2. */
  const refused = (r: ReturnType<typeof cli>, fragment: string | RegExp, code = 2): void => {
    expect(r.status, r.stderr).to.equal(code);
    if (typeof fragment === 'string') expect(r.stderr).to.contain(fragment);
    else expect(r.stderr).to.match(fragment);
    expect(r.stderr, 'not a bug').to.not.contain('unexpected failure');
    expect(fs.existsSync(path.join(dir, '.fusion-cache')), 'no data was loaded').to.equal(false);
    const runs = path.join(dir, 'runs');
    const left = fs.existsSync(runs) ? fs.readdirSync(runs).filter((f) => /\.(lock|partial)$|\.staging-/.test(f)) : [];
    expect(left, 'no lock, partial or staging folder left').to.deep.equal([]);
  };

  it('a folder fusion did not make (no marker) is left untouched, exit 2, naming /output/dir', () => {
    const mine = path.join(dir, 'runs', 'safe');
    fs.mkdirSync(mine, { recursive: true });
    fs.writeFileSync(path.join(mine, 'thesis.tex'), 'years of work');
    const r = run([spec()]);
    refused(r, 'at /output/dir');
    expect(r.stderr).to.contain('runs/safe is an existing folder that fusion did not make');
    expect(fs.readdirSync(mine)).to.deep.equal(['thesis.tex']);
    expect(fs.readFileSync(path.join(mine, 'thesis.tex'), 'utf8')).to.equal('years of work');
    expect(fs.readdirSync(path.join(dir, 'runs'))).to.deep.equal(['safe']);
  });

  it('a file as the output is refused and left untouched', () => {
    fs.writeFileSync(path.join(dir, 'results'), 'not a folder');
    const r = run([spec(), '--out', 'results']);
    refused(r, '--out: results is a file, not a folder');
    expect(fs.readFileSync(path.join(dir, 'results'), 'utf8')).to.equal('not a folder');
  });

  it('the working folder as the output is refused', () => {
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'k');
    const r = run([spec(), '--out', '.']);
    refused(r, 'is the working folder or a folder above it');
    expect(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8')).to.equal('k');
  });

  it('a folder above the working folder as the output is refused', () => {
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    const r = cli(['run', spec(), '--out', '..'], sub);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('is the working folder or a folder above it');
    expect(fs.existsSync(path.join(sub, '.fusion-cache'))).to.equal(false);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['spec.json', 'sub']);
  });

  it('the home folder as the output is refused', () => {
    // A home folder of its own (HOME), so that nothing outside the temp folder is at stake.
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const r = spawnSync(process.execPath, [CLI, 'run', spec(), '--out', home, '--workers', '1'], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: home, FORCE_COLOR: '0' } });
    refused(r, `--out: ${path.join('home')} is the home folder`);
    expect(fs.readdirSync(home)).to.deep.equal([]);
  });

  it('"name": ".." is an invalid spec at /name', () => {
    const r = run([spec({ name: '..', output: { dir: '${name}' } })]);
    refused(r, 'at /name: found ".."');
  });

  it('"name" with a slash or a backslash is an invalid spec at /name', () => {
    for (const name of ['a/../..', 'a\\b']) {
      const r = run([spec({ name })]);
      refused(r, `at /name: found ${JSON.stringify(name)}`);
    }
  });

  it('a finished run is kept: the next run goes to a new folder beside it, said in the output', () => {
    const first = run([spec(), '--json']);
    expect(first.status, first.stderr).to.equal(0);
    const old = path.join(dir, 'runs', 'safe');
    const before = { marker: marker(old), metrics: fs.readFileSync(path.join(old, 'metrics.json'), 'utf8') };
    const second = run([spec(), '--json']);
    expect(second.status, second.stderr).to.equal(0);
    const printed = JSON.parse(second.stdout);
    expect(printed.outDir).to.equal(path.join(fs.realpathSync(dir), 'runs', 'safe-2'));
    expect(printed.requestedOutDir).to.equal(path.join(fs.realpathSync(dir), 'runs', 'safe'));
    expect(printed.newFolderBecause).to.contain('runs/safe holds a finished run').and.contain('runs/safe-2');
    expect(printed.replaced).to.equal(false);
    expect(marker(old)).to.deep.equal(before.marker);
    expect(fs.readFileSync(path.join(old, 'metrics.json'), 'utf8')).to.equal(before.metrics);
    expect(marker(path.join(dir, 'runs', 'safe-2')).runId).to.not.equal(before.marker.runId);
    const third = run([spec()]);
    expect(third.status, third.stderr).to.equal(0);
    expect(third.stdout).to.contain('written: runs/safe-3/').and.contain('note: runs/safe holds a finished run');
    expect(fs.readdirSync(path.join(dir, 'runs')).sort()).to.deep.equal(['safe', 'safe-2', 'safe-3']);
  });

  it('--overwrite replaces a fusion run folder, and refuses a folder fusion did not make', () => {
    const first = run([spec(), '--out', 'out']);
    expect(first.status, first.stderr).to.equal(0);
    const old = marker(path.join(dir, 'out'));
    const again = run([spec(), '--out', 'out', '--overwrite', '--json']);
    expect(again.status, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout)).to.include({ replaced: true, newFolderBecause: null });
    expect(marker(path.join(dir, 'out')).runId).to.not.equal(old.runId);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['.fusion-cache', 'out', 'spec.json']);

    fs.mkdirSync(path.join(dir, 'mine'));
    fs.writeFileSync(path.join(dir, 'mine', 'data.csv'), '1,2\n');
    fs.rmSync(path.join(dir, '.fusion-cache'), { recursive: true });
    const r = run([spec(), '--out', 'mine', '--overwrite']);
    refused(r, '--out: mine is an existing folder that fusion did not make');
    expect(fs.readdirSync(path.join(dir, 'mine'))).to.deep.equal(['data.csv']);
  });

  it('a lock held by a live process is refused, naming the process', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(path.join(dir, 'runs'));
      const lock = path.join(dir, 'runs', '.safe.lock');
      const text = JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'held' });
      fs.writeFileSync(lock, text);
      const r = run([spec()]);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(`in use by another run: process ${holder.pid} on ${os.hostname()}`);
      expect(fs.readFileSync(lock, 'utf8'), 'the lock is left to its holder').to.equal(text);
      expect(fs.existsSync(path.join(dir, 'runs', 'safe'))).to.equal(false);
      expect(fs.existsSync(path.join(dir, 'runs', '.safe.partial'))).to.equal(false);
      expect(fs.existsSync(path.join(dir, '.fusion-cache')), 'no data was loaded').to.equal(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a stale lock of a process that no longer runs is taken over with a warning, and released at the end', async () => {
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.on('exit', resolve));
    fs.mkdirSync(path.join(dir, 'runs'));
    fs.writeFileSync(path.join(dir, 'runs', '.safe.lock'), JSON.stringify({ pid: dead.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'stale' }));
    const r = run([spec()]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain(`warning: took over the lock of ${path.join(fs.realpathSync(dir), 'runs', 'safe')} from process ${dead.pid}, which no longer runs`);
    expect(fs.readdirSync(path.join(dir, 'runs'))).to.deep.equal(['safe']);
  });

  it('a second run on the same output while one runs is refused, naming the running process', async () => {
    const file = spec({ training: { ...quick.training, epochs: 200, patience: 200 } });
    const first = spawn(process.execPath, [CLI, 'run', file, '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => first.on('exit', resolve));
    try {
      const lock = path.join(dir, 'runs', '.safe.lock');
      // The first run is training once its partial folder holds the run state.
      while (!fs.existsSync(path.join(dir, 'runs', '.safe.partial', 'run-state.json'))) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).to.equal(first.pid);
      const second = run([spec()]);
      expect(second.status, second.stderr).to.equal(1);
      expect(second.stderr).to.contain(`in use by another run: process ${first.pid}`);
      const resumed = cli(['run', '--resume', 'runs/safe'], dir);
      expect(resumed.status, resumed.stderr).to.equal(1);
      expect(resumed.stderr).to.contain(`in use by another run: process ${first.pid}`);
    } finally {
      first.kill('SIGINT');
      await exited;
    }
    expect(fs.existsSync(path.join(dir, 'runs', '.safe.lock')), 'released on interruption').to.equal(false);
  });

  it('an interrupted run\'s partial folder is not discarded by a fresh run: refused with the --resume hint', () => {
    const partial = path.join(dir, 'runs', '.safe.partial');
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, 'run-state.json'), '{}');
    const r = run([spec()]);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('an interrupted run of runs/safe waits in runs/.safe.partial').and.contain('fusion-cli run --resume runs/safe').and.contain('--overwrite');
    // Without the marker, --overwrite does not remove it either.
    const o = run([spec(), '--overwrite']);
    expect(o.status, o.stderr).to.equal(2);
    expect(o.stderr).to.contain('runs/.safe.partial has no .fusion-run.json');
    expect(fs.readdirSync(partial)).to.deep.equal(['run-state.json']);
    expect(fs.readdirSync(path.join(dir, 'runs'))).to.deep.equal(['.safe.partial']);
    expect(fs.existsSync(path.join(dir, '.fusion-cache')), 'no data was loaded').to.equal(false);
  });

  it('--overwrite discards an interrupted run\'s partial folder that fusion made', () => {
    const partial = path.join(dir, 'runs', '.safe.partial');
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, '.fusion-run.json'), JSON.stringify({ fusionRun: 'a folder made by fusion-cli run', runId: 'old' }));
    fs.writeFileSync(path.join(partial, 'run-state.json'), '{}');
    const r = run([spec(), '--overwrite']);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readdirSync(path.join(dir, 'runs'))).to.deep.equal(['safe']);
    expect(marker(path.join(dir, 'runs', 'safe')).runId).to.not.equal('old');
  });
});
