import { spawn } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, CLI, freePort, Proc, skipWithoutRedis, startRedis, tmpDir, writeSpec } from './helpers';

/**
 * The job queue end to end with real processes: a redis-server on loopback, `fusion-cli run --queue` coordinators
 * and `fusion-cli worker` processes. Skipped (with a notice) where redis-server is not installed, except under CI.
 */

type Metrics = { summary: unknown; folds: { model: unknown; members: unknown[] }[]; execution: { executor: string } };

describe('job queue: fusion-cli run --queue with fusion-cli worker processes (real redis-server)', function () {
  this.timeout(240000);
  let dir: string;
  let url: string;
  let redis: Proc | undefined;
  const procs: Proc[] = [];
  const over = { name: 'queued', training: { epochs: 4, batchSize: 32, learningRate: 0.01, patience: 4, ensemble: 2 } };
  let spec: string;
  let reference: Metrics;

  const start = (args: string[], env: Record<string, string> = {}): Proc => {
    const p = new Proc(spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0', ...env } }));
    procs.push(p);
    return p;
  };
  /** A worker with short locks, so a killed worker's job is taken over within seconds. */
  const worker = async (extra: string[] = []): Promise<Proc> => {
    const w = start(['worker', '--queue', url, '--lock-duration', '2000', '--stalled-interval', '500', ...extra]);
    await w.waitFor((s) => s.includes('ready on'), 60000, 'worker ready');
    return w;
  };
  const metricsOf = (out: string): Metrics => JSON.parse(fs.readFileSync(path.join(dir, out, 'metrics.json'), 'utf8'));
  const expectSameAsReference = (m: Metrics): void => {
    expect(m.summary).to.deep.equal(reference.summary);
    expect(m.folds.map((f) => f.model)).to.deep.equal(reference.folds.map((f) => f.model));
    expect(m.folds.map((f) => f.members)).to.deep.equal(reference.folds.map((f) => f.members));
  };

  before(async function () {
    skipWithoutRedis(this, 'the job-queue tests');
    dir = tmpDir('fusion-queue-');
    ({ proc: redis, url } = await startRedis(dir));
    spec = writeSpec(dir, 'queued', over);
    const r = cli(['run', spec, '--out', 'reference', '--workers', '1', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    reference = metricsOf('reference');
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });

  after(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
    await redis?.stop('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two workers, one killed mid-job: its job is re-queued and the run ends with the same metrics as a local run', async () => {
    const w1 = await worker();
    const w2 = await worker();
    const coord = start(['run', spec, '--queue', url, '--out', 'distributed', '--json']);
    // Kill whichever worker starts a job first, while it is on that job.
    let victim: Proc | undefined;
    let jobId = '';
    const started = /job (\S+) of run \S+: started/;
    await coord.waitFor(() => {
      for (const w of [w1, w2]) {
        const m = started.exec(w.err);
        if (m) {
          victim = w;
          jobId = m[1];
          return true;
        }
      }
      return false;
    }, 60000, 'a worker to start a job');
    victim!.child.kill('SIGKILL');
    const survivor = victim === w1 ? w2 : w1;
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(0);
    expect(victim!.err, 'the killed worker never finished its job').to.not.match(new RegExp(`job ${jobId} of run \\S+: done`));
    expect(survivor.err, 'the surviving worker took the killed job over').to.match(new RegExp(`job ${jobId} of run \\S+: done`));
    const m = metricsOf('distributed');
    expect(m.execution.executor).to.match(/^queue redis:\/\/127\.0\.0\.1:\d+/);
    expectSameAsReference(m);
    expect(fs.existsSync(path.join(dir, 'distributed', 'models', 'fold-2', 'member-2', 'weights.bin'))).to.equal(true);
    expect(fs.existsSync(path.join(dir, '.distributed.partial'))).to.equal(false);
  });

  it('a restarted coordinator collects the jobs finished in the queue while it was down instead of redoing them', async () => {
    const first = start(['run', spec, '--queue', url, '--out', 'restarted']);
    await first.waitFor((s) => /queue: 4 jobs enqueued/.test(s), 60000, 'the jobs to be enqueued');
    await first.stop('SIGKILL');
    expect(fs.existsSync(path.join(dir, 'restarted'))).to.equal(false);
    // The jobs are trained with no coordinator running.
    const w = await worker();
    await w.waitFor((s) => (s.match(/: done/g) ?? []).length >= 4, 120000, 'the worker to finish the 4 jobs');
    await w.stop('SIGTERM');
    // Resumed, with no worker at all: everything comes from the queue (the killed coordinator's stale lock is taken over).
    const again = start(['run', '--resume', 'restarted', '--queue', url]);
    const { code } = await again.exit;
    expect(code, again.err).to.equal(0);
    expect(again.err).to.match(/0 jobs enqueued.*4 already there/);
    expectSameAsReference(metricsOf('restarted'));
  });

  it('a data error on a worker fails the run once with that error, without retries', async () => {
    // The worker reads its own copy of the generated data, with one file broken (as a corrupt copy on one machine).
    const cache = path.join(dir, '.fusion-cache');
    const bad = path.join(dir, 'bad-cache');
    fs.cpSync(cache, bad, { recursive: true });
    const ds = fs.readdirSync(bad).find((d) => d.startsWith('synthetic-'))!;
    fs.writeFileSync(path.join(bad, ds, 'e4_data', '1', 'E4_HR.csv'), 'garbage\nxyz,abc\n');
    const w = await worker(['--cache-dir', bad]);
    const failing = writeSpec(dir, 'failing', { ...over, name: 'failing' });
    const coord = start(['run', failing, '--queue', url, '--out', 'failing']);
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(1);
    expect(coord.err).to.contain('error: ').and.contain('E4_HR.csv:1: header is "garbage"');
    const starts = [...w.err.matchAll(/job (\S+) of run \S+: started \(attempt (\d+)\)/g)];
    expect(starts.length).to.be.greaterThan(0);
    expect(starts.every((s) => s[2] === '1'), 'no job was retried').to.equal(true);
    expect(new Set(starts.map((s) => s[1])).size, 'no job ran twice').to.equal(starts.length);
    expect(w.err).to.contain('(not retried)');
    expect(fs.existsSync(path.join(dir, 'failing'))).to.equal(false);
  });

  it('a sweep runs on the queue exactly as locally (jobs carry their grid point)', async () => {
    const swept = writeSpec(dir, 'swept', { ...over, name: 'swept', training: { ...over.training, epochs: 2, ensemble: 1 }, sweep: { 'head.units': [4, 8] } });
    const local = cli(['run', swept, '--out', 'swept-local', '--workers', '1', '--json'], dir);
    expect(local.status, local.stderr).to.equal(0);
    await worker();
    await worker();
    const coord = start(['run', swept, '--queue', url, '--out', 'swept-queue', '--json']);
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(0);
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'swept-local', 'metrics.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'swept-queue', 'metrics.json'), 'utf8'));
    expect(b.sweep.points).to.have.length(2);
    expect(b.sweep).to.deep.equal(a.sweep);
    expect(b.summary).to.deep.equal(a.summary);
  });

  it('an unreachable Redis is a named error, not a hang', async () => {
    const port = await freePort();
    const r = cli(['run', spec, '--queue', `redis://127.0.0.1:${port}`, '--out', 'nowhere'], dir, 60000);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('cannot reach Redis');
  });
});
