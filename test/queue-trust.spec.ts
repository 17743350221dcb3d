import { spawn } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, CLI, freePort, haveRedis, Proc, ROOT, tmpDir, writeSpec } from './helpers';

/**
 * What the job queue trusts, with real processes and a real redis-server on loopback: a worker loads plugin modules
 * only from the roots it was started with; the coordinator writes returned files only inside its run folder; Redis
 * with a password (special characters included) works and a missing or wrong one is named; Redis going away mid-run
 * is reported and the run continues once it is back. Skipped (with a notice) where redis-server is not installed.
 */

const req = (name: string): string => `require(${JSON.stringify(require.resolve(name, { paths: [ROOT] }))})`;
/** A valid plugin: an encoder "passthrough" that hands its input on. */
const PASSTHROUGH = `const { ContainerModule } = ${req('inversify')};
const core = ${req('@fusion/core')};
module.exports.default = new ContainerModule((bind) => bind(core.EncoderContribution).toConstantValue({
  type: 'passthrough', description: 'input as features',
  schema: { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'passthrough' } } },
  apply: (x) => x,
}));
`;

describe('job queue trust: plugin roots, returned files, passwords, Redis outages (real redis-server)', function () {
  this.timeout(300000);
  let dir: string;
  const procs: Proc[] = [];
  const over = { training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 } };

  const start = (cmd: string, args: string[]): Proc => {
    const p = new Proc(spawn(cmd, args, { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } }));
    procs.push(p);
    return p;
  };
  const fusion = (args: string[]): Proc => start(process.execPath, [CLI, ...args]);
  const redisServer = async (port: number, extra: string[] = []): Promise<Proc> => {
    const r = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra]);
    await r.waitFor((s) => /ready to accept connections/i.test(s), 20000, 'redis-server ready');
    return r;
  };
  const worker = async (url: string, extra: string[] = []): Promise<Proc> => {
    const w = fusion(['worker', '--queue', url, '--lock-duration', '2000', '--stalled-interval', '500', ...extra]);
    await w.waitFor((s) => s.includes('ready on'), 60000, 'worker ready');
    return w;
  };

  before(function () {
    if (!haveRedis()) {
      if (process.env.CI) throw new Error('redis-server is not installed, and CI is set: install it (apt-get install -y redis-server).');
      console.warn('    notice: redis-server is not installed; skipping the job-queue trust tests (apt-get install -y redis-server).');
      this.skip();
    }
    dir = tmpDir('fusion-qtrust-');
    fs.mkdirSync(path.join(dir, 'plugins'));
    fs.writeFileSync(path.join(dir, 'plugins', 'passthrough.js'), PASSTHROUGH);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a worker loads plugins only under its --plugins-root; elsewhere the job fails at once naming the root to add', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await redisServer(Number(new URL(url).port));
    const spec = writeSpec(dir, 'plugged', { ...over, name: 'plugged', plugins: ['./plugins/passthrough.js'], encoder: { type: 'passthrough' } });
    const untrusting = await worker(url);
    const refused = fusion(['run', spec, '--queue', url, '--out', 'refused']);
    const { code } = await refused.exit;
    expect(code, refused.err).to.equal(1);
    const root = fs.realpathSync(path.join(dir, 'plugins'));
    expect(refused.err, refused.err).to.contain("outside the worker's plugin roots").and.contain(`--plugins-root ${root}`);
    expect(untrusting.err, untrusting.err).to.contain('(not retried)');
    expect(untrusting.err, 'the plugin never ran on the worker').to.not.contain(': done');
    await untrusting.stop('SIGTERM');
    await worker(url, ['--plugins-root', path.join(dir, 'plugins')]);
    const trusted = fusion(['run', spec, '--queue', url, '--out', 'trusted']);
    const ok = await trusted.exit;
    expect(ok.code, trusted.err).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'trusted', 'metrics.json'))).to.equal(true);
  });

  it('the coordinator refuses returned files outside its run folder (a worker returning ../ paths): a named error, nothing written outside', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await redisServer(Number(new URL(url).port));
    // A rogue worker speaking the protocol: returns each job's result with a model folder two levels up.
    const rogue = path.join(dir, 'rogue.js');
    fs.writeFileSync(
      rogue,
      `const { Worker } = ${req('bullmq')};
const u = new URL(process.argv[2]);
new Worker('fusion-train', async (job) => ({ ...job.data.job, history: [], bestEpoch: 1, epochsRun: 1, stoppedEarly: false, probs: [], valProbs: [],
  modelDir: '../../escaped', modelFiles: { 'model.json': Buffer.from('{}').toString('base64') } }), { connection: { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null } });
console.error('rogue ready');
`
    );
    const w = start(process.execPath, [rogue, url]);
    await w.waitFor((s) => s.includes('rogue ready'), 30000, 'rogue worker');
    const spec = writeSpec(dir, 'rogued', { ...over, name: 'rogued' });
    const coord = fusion(['run', spec, '--queue', url, '--out', path.join('deep', 'rogued')]);
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(1);
    expect(coord.err, coord.err).to.contain('refusing the files a queue worker returned').and.contain('"../../escaped"');
    expect(fs.existsSync(path.join(dir, 'escaped')), 'nothing written outside the run folder').to.equal(false);
    expect(fs.existsSync(path.join(dir, 'deep', 'escaped'))).to.equal(false);
  });

  it('Redis with a password (special characters, percent-encoded in the URL) works; a missing or wrong password is named', async () => {
    const port = await freePort();
    const password = 'p@ss w:rd/%';
    await redisServer(port, ['--requirepass', password]);
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const none = cli(['run', writeSpec(dir, 'nopass', { ...over, name: 'nopass' }), '--queue', `redis://127.0.0.1:${port}`, '--out', 'nopass'], dir, 60000);
    expect(none.status, none.stderr).to.equal(1);
    expect(none.stderr).to.contain('requires a password');
    const wrong = cli(['run', writeSpec(dir, 'wrongpass', { ...over, name: 'wrongpass' }), '--queue', `redis://:nope@127.0.0.1:${port}`, '--out', 'wrongpass'], dir, 60000);
    expect(wrong.status, wrong.stderr).to.equal(1);
    expect(wrong.stderr).to.contain('refused the user name or password').and.not.contain('nope');
    const w = await worker(url);
    expect(w.err).to.not.contain(password);
    const coord = fusion(['run', writeSpec(dir, 'withpass', { ...over, name: 'withpass' }), '--queue', url, '--out', 'withpass']);
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(0);
    expect(coord.err + coord.out).to.not.contain(encodeURIComponent(password));
  });

  it('Redis killed mid-run: the coordinator warns, and the run finishes once Redis is back on the same port', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const data = path.join(dir, 'redis-data');
    fs.mkdirSync(data);
    // Persistent, so the queue outlives the kill (as a production Redis with an append-only file would).
    const persist = ['--dir', data, '--appendonly', 'yes', '--appendfsync', 'always'];
    let redis = await redisServer(port, persist);
    await worker(url);
    const spec = writeSpec(dir, 'outage', { ...over, name: 'outage', training: { ...over.training, epochs: 3, patience: 3, ensemble: 2 } });
    const coord = fusion(['run', spec, '--queue', url, '--out', 'outage']);
    await coord.waitFor((s) => /queue: \d+ jobs? enqueued/.test(s), 120000, 'the jobs to be enqueued');
    redis.child.kill('SIGKILL');
    await redis.exit;
    await coord.waitFor((s) => /warning: queue: lost Redis/.test(s), 120000, 'the coordinator to warn that Redis is gone');
    redis = await redisServer(port, persist);
    const { code } = await coord.exit;
    expect(code, coord.err).to.equal(0);
    expect(coord.err, coord.err).to.match(/answers again; continuing/);
    expect(fs.existsSync(path.join(dir, 'outage', 'metrics.json'))).to.equal(true);
  });
});
