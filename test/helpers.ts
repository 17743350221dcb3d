import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { SpecValidationError } from '@fusion/core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin.js');

/** A CSV file without quoted fields (predictions.csv and the like) as rows keyed by column. */
export function readCsvRows(file: string): Record<string, string>[] {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

/** Runs fusion-cli as a real child process in `cwd` (with `env` added to the environment). */
export function cli(args: string[], cwd: string, timeoutMs = 300000, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0', ...env } });
}

export function tmpDir(prefix = 'fusion-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The Chromium the browser tests drive (CHROMIUM_PATH to choose another). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Skips the calling suite or test (with a notice) where Chromium is not installed; under CI that is an error instead. */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  const notice = `Chromium not found at ${CHROMIUM} (install it with: bash scripts/ensure-test-deps.sh)`;
  if (process.env.CI) throw new Error(`${notice}; the browser test may not be skipped under CI.`);
  console.warn(`    SKIPPED: ${notice}`);
  ctx.skip();
}

/** A temp folder for a suite: made before its tests, removed after them (call at the top of a describe). */
export function suiteDir(prefix?: string): () => string {
  let dir = '';
  before(() => (dir = tmpDir(prefix)));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** One epoch, one ensemble member: the quickest training of a test spec. */
export const ONE_EPOCH = { epochs: 1, ensemble: 1, batchSize: 32, learningRate: 0.01, patience: 1 };

/**
 * Trains the tiny fixture spec (with `over`) into `dir`/`out` in a real process (`extra` arguments added) and returns
 * the run folder; throws with the process's stderr when it fails.
 */
export function trainTiny(dir: string, name: string, over: Record<string, unknown> = {}, out = 'run', extra: string[] = []): string {
  const r = cli(['run', writeSpec(dir, name, { training: ONE_EPOCH, ...over }), '--json', '--out', out, ...extra], dir);
  if (r.status !== 0) throw new Error(`fusion-cli run ${name} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return path.join(dir, out);
}

/** Copies a fixture spec into `dir`, applying a shallow override, and returns its path. */
export function writeSpec(dir: string, name: string, over: Record<string, unknown> = {}, from = path.join(ROOT, 'test', 'fixtures', 'tiny.json')): string {
  const spec = { ...JSON.parse(fs.readFileSync(from, 'utf8')), ...over };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

export function haveRedis(): boolean {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A started child process with its output so far and a way to wait for a line of it. */
export class Proc {
  out = '';
  err = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited = false;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.out += d));
    child.stderr?.on('data', (d) => (this.err += d));
    this.exit = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      })
    );
  }

  /** Resolves once `test` holds on stdout+stderr; rejects after `ms` or when the process exits first. */
  async waitFor(test: (all: string) => boolean, ms: number, what: string): Promise<void> {
    const t0 = Date.now();
    while (!test(this.out + this.err)) {
      if (this.exited) throw new Error(`process exited before ${what}:\n${this.err}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}:\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited) return;
    this.child.kill(signal);
    await Promise.race([this.exit, new Promise((r) => setTimeout(r, 10000))]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Skips the suite (with a notice) where redis-server is not installed; under CI that is an error instead. */
export function skipWithoutRedis(ctx: Mocha.Context, what: string): void {
  if (haveRedis()) return;
  if (process.env.CI) throw new Error('redis-server is not installed, and CI is set: install it (apt-get install -y redis-server).');
  console.warn(`    notice: redis-server is not installed; skipping ${what} (apt-get install -y redis-server).`);
  ctx.skip();
}

/** A redis-server on loopback at a free port, without persistence, started in `cwd`; resolves once it answers. */
export async function startRedis(cwd: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = new Proc(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd }));
  await proc.waitFor((s) => /ready to accept connections/i.test(s), 20000, 'redis-server ready');
  return { proc, url: `redis://127.0.0.1:${port}` };
}

/** The issues `validator.check` finds in a spec ([] when it is valid); other errors are thrown. */
export function specIssues(validator: { check(s: unknown, file?: string): unknown }, s: unknown): { path: string; message: string }[] {
  try {
    validator.check(s, 'x.json');
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.issues;
  }
  return [];
}
