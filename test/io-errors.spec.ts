import { expect } from 'chai';
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, cli, ROOT, tmpDir } from './helpers';

/**
 * I/O failures of a run through the real CLI: a read-only or unwritable output folder, a full disk, a busy mount
 * point, a damaged partial folder. Each is exit 1 with what happened and what to do (never exit 3), and a full disk
 * or a busy target can be continued with --resume once fixed. Disks are real: small tmpfs mounts (skipped, with a
 * notice, where this process may not mount).
 */

const TINY = (): Record<string, unknown> => {
  const s = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8'));
  return { ...s, training: { ...s.training, epochs: 1 } };
};

function mountTmpfs(dir: string, opts: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]).status === 0;
}

function umount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

const readJson = (f: string): { execution: { resumedJobs: number; jobs: number } } => JSON.parse(fs.readFileSync(f, 'utf8'));

describe('I/O failures of a run: named, exit 1, resumable where it makes sense (real process, real mounts)', function () {
  this.timeout(300000);
  let dir: string;
  const mounts: string[] = [];
  let canMount = false;
  before(() => {
    dir = tmpDir('fusion-io-');
    fs.writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(TINY()));
    const probe = path.join(dir, 'probe');
    canMount = mountTmpfs(probe, 'size=64k');
    if (canMount) umount(probe);
    else console.log('      (notice: cannot mount tmpfs here, so the read-only, full-disk and busy-mount cases are skipped)');
  });
  after(() => {
    for (const m of mounts) umount(m);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const mount = (name: string, opts: string): string => {
    const m = path.join(dir, name);
    if (!mountTmpfs(m, opts)) throw new Error(`mount ${m} failed`);
    mounts.push(m);
    return m;
  };

  it('a read-only output disk (EROFS): exit 1, says it is read-only and how to fix it', function () {
    if (!canMount) this.skip();
    const m = mount('ro', 'size=1m');
    expect(spawnSync('mount', ['-o', 'remount,ro', m]).status).to.equal(0);
    const r = cli(['run', 'tiny.json', '-w', '1', '--out', path.join(m, 'tiny')], dir);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('EROFS').and.contain('read-only').and.contain('--out').and.contain(m);
  });

  it('an output folder this user may not write (EACCES): exit 1, says so and how to fix it', () => {
    const parent = path.join(dir, 'locked');
    fs.mkdirSync(parent);
    fs.chmodSync(parent, 0o555);
    fs.chmodSync(dir, 0o755);
    // root may write anywhere: run the CLI as nobody then.
    const asRoot = process.getuid?.() === 0;
    const cache = path.join(dir, 'cache-for-all');
    fs.mkdirSync(cache, { mode: 0o777 });
    fs.chmodSync(cache, 0o777);
    const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, 'run', 'tiny.json', '-w', '1', '--cache-dir', cache, '--out', path.join(parent, 'tiny')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', HOME: dir },
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr, r.stderr).to.contain("EACCES").and.contain('permission denied').and.contain(parent);
  });

  it('a full disk (ENOSPC) mid-run: exit 1 with the resume command; after freeing space --resume finishes the run', async function () {
    if (!canMount) this.skip();
    const m = mount('small', 'size=1m');
    const out = path.join(m, 'tiny');
    const child = spawn(process.execPath, [CLI, 'run', 'tiny.json', '-w', '1', '--out', out], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Once the first job is recorded, stop the run, fill the disk, and let it go on into the full disk.
    const jobs = path.join(m, '.tiny.partial', 'jobs');
    while (!(fs.existsSync(jobs) && fs.readdirSync(jobs).some((f) => f.endsWith('.json')))) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGSTOP');
    const ballast = path.join(m, 'ballast');
    const fd = fs.openSync(ballast, 'w');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).to.equal('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    child.kill('SIGCONT');
    const code = await exited;
    expect(code, stderr).to.equal(1);
    expect(stderr, stderr).to.contain("ENOSPC").and.contain('no space left').and.contain(`fusion-cli run --resume ${path.relative(dir, out)}`).and.contain(`saving the model of`);
    expect(fs.existsSync(out), 'no half-written result').to.equal(false);
    fs.rmSync(ballast);
    const r = cli(['run', '--resume', out, '-w', '1'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const metrics = readJson(path.join(out, 'metrics.json'));
    expect(metrics.execution.resumedJobs).to.be.at.least(1);
  });

  it('a busy mount point as the output folder (EBUSY): exit 1, the partial run kept; --resume elsewhere-free finishes it', function () {
    if (!canMount) this.skip();
    const target = mount(path.join('busy', 'tiny'), 'size=64k');
    // fusion replaces only a run folder it made (--overwrite): mark the mount point as one, so the run reaches the
    // final move, which the mount point refuses (EBUSY).
    fs.writeFileSync(path.join(target, '.fusion-run.json'), JSON.stringify({ fusionRun: 'a folder made by fusion-cli run', runId: 'earlier', createdAt: new Date().toISOString(), fusionVersion: '0', host: 'h' }));
    const r = cli(['run', 'tiny.json', '-w', '1', '--overwrite', '--out', target], dir);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('EBUSY').and.contain('busy').and.contain(target);
    umount(target);
    mounts.splice(mounts.indexOf(target), 1);
    fs.rmdirSync(target); // the empty mount point is not a run folder: the user removes it (or keeps --overwrite away)
    const again = cli(['run', '--resume', target, '-w', '1'], dir);
    expect(again.status, again.stderr).to.equal(0);
    expect(readJson(path.join(target, 'metrics.json')).execution.resumedJobs).to.equal(4);
  });

  describe('a damaged partial folder', () => {
    const partial = (name: string): string => path.join(dir, 'runs', `.${name}.partial`);
    for (const [name, text, fragment] of [
      ['garbage', 'garbage{', 'not valid JSON'],
      ['truncated', JSON.stringify({ spec: TINY(), baseDir: '.', startedAt: 'x' }).slice(0, 120), 'not valid JSON'],
      ['wrong-shape', '[1, 2]', 'expected {"spec"'],
    ] as const) {
      it(`run-state.json ${name}: exit 1, says it is damaged and to start again without --resume`, () => {
        fs.mkdirSync(partial(name), { recursive: true });
        fs.writeFileSync(path.join(partial(name), 'run-state.json'), text);
        const r = cli(['run', '--resume', path.join('runs', name)], dir);
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stderr).to.contain('run-state.json').and.contain('is damaged').and.contain(fragment).and.contain('without --resume');
      });
    }

    it('jobs/*.json garbage or foreign: a warning, those jobs trained again, the run finishes', () => {
      const name = 'damaged-jobs';
      fs.mkdirSync(path.join(partial(name), 'jobs'), { recursive: true });
      fs.writeFileSync(path.join(partial(name), 'run-state.json'), JSON.stringify({ spec: { ...TINY(), name }, baseDir: dir, startedAt: new Date().toISOString() }));
      fs.writeFileSync(path.join(partial(name), 'jobs', 'fold-1-member-1.json'), '{"id": "fold-1-mem');
      fs.writeFileSync(path.join(partial(name), 'jobs', 'fold-1-member-2.json'), '{}');
      fs.writeFileSync(path.join(partial(name), 'jobs', 'fold-2-member-1.json'), 'null');
      const r = cli(['run', '--resume', path.join('runs', name), '-w', '1'], dir);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr.match(/is damaged \(.*\); that job is trained again/g)).to.have.length(3);
      expect(readJson(path.join(dir, 'runs', name, 'metrics.json')).execution.resumedJobs).to.equal(0);
    });
  });
});
