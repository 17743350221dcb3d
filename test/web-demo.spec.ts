import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { BundleManifest, loadBundle, readE4Files, replayRecording, StreamEvent } from '@fusion/web';
import { WebSocketServer } from 'ws';
import { CHROMIUM, CLI, cli, ROOT, skipWithoutChromium, tmpDir, writeSpec } from './helpers';

/**
 * The demo page of `fusion-cli serve`: a real serve process, headless Chromium opening its page, a small E4 export
 * picked in the page's file input. The page's probabilities per window equal `fusion-cli stream`'s on the same
 * recording (replay at full speed, whole-recording normalisation) for a float32 bundle, and for a uint8 bundle equal
 * the quantised models run in Node through the same live operators. Skipped without Chromium, except under CI.
 */
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

/** A small E4 export (the E4 header: start time row, rate row), 100 s, HR starting 10 s late as the device does. */
function writeE4(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const t0 = 1600000000;
  const seconds = 100;
  const files: [string, number, number, number, (t: number, c: number) => number][] = [
    ['BVP.csv', 64, 1, 0, (t) => 40 * Math.sin(2 * Math.PI * 1.2 * t) + 5 * Math.sin(0.3 * t)],
    ['EDA.csv', 4, 1, 0, (t) => 0.5 + 0.3 * Math.sin(t / 9) + 0.01 * t],
    ['TEMP.csv', 4, 1, 0, (t) => 32 + 0.01 * t],
    ['ACC.csv', 32, 3, 0, (t, c) => Math.round(64 * Math.sin(t + c))],
    ['HR.csv', 1, 1, 10, (t) => 70 + 10 * Math.sin(t / 7)],
  ];
  for (const [name, fs_, channels, delay, f] of files) {
    const start = t0 + delay;
    const rows = [Array(channels).fill(start.toFixed(6)).join(', '), Array(channels).fill(fs_.toFixed(6)).join(', ')];
    for (let i = 0; i < (seconds - delay) * fs_; i++) {
      const t = delay + i / fs_;
      rows.push(Array.from({ length: channels }, (_, c) => (channels === 3 ? String(f(t, c)) : f(t, c).toFixed(6))).join(','));
    }
    fs.writeFileSync(path.join(dir, name), rows.join('\n') + '\n');
  }
  return files.map(([name]) => path.join(dir, name));
}

/** `fusion-cli serve <bundle> --port 0 --json` as a real process; resolves with its URL. */
function startServe(bundle: string, cwd: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [CLI, 'serve', bundle, '--port', '0', '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d));
    proc.stdout?.on('data', (d: Buffer) => {
      out += d;
      // the JSON report may span lines: complete once it parses
      try {
        resolve({ url: (JSON.parse(out) as { url: string }).url, proc });
      } catch {
        /* more to come */
      }
    });
    proc.on('exit', (code) => {
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
}

type Probs = Map<number, number[]>;
const byWindow = (events: StreamEvent[], classes: string[]): Probs =>
  new Map(events.filter((e) => !('skipped' in e)).map((e) => [e.windowEnd, classes.map((c) => (e as { probs: Record<string, number> }).probs[c])]));

function expectSame(actual: Probs, expected: Probs, tol: number, what: string): void {
  expect(actual.size, `${what}: windows`).to.be.greaterThan(5);
  expect([...actual.keys()], `${what}: window ends`).to.deep.equal([...expected.keys()]);
  for (const [t, p] of actual) p.forEach((v, k) => expect(v, `${what} at ${t} class ${k}`).to.be.closeTo((expected.get(t) as number[])[k], tol));
}

describe('fusion-cli serve: the demo page in headless Chromium (real processes, a dropped E4 recording)', function () {
  this.timeout(240000);
  let dir: string;
  let e4Files: string[];
  const servers: ChildProcess[] = [];
  let context: BrowserContext | undefined;
  const classes = ['low', 'high'];

  before(function () {
    skipWithoutChromium(this);
    dir = tmpDir('fusion-demo-');
    const r = cli(['run', writeSpec(dir, 'tiny', { training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 } }), '--out', 'run', '--workers', '1'], dir);
    expect(r.status, r.stderr).to.equal(0);
    for (const [out, extra] of [['b32', []], ['b8', ['--quantize', 'uint8']]] as const) {
      const x = cli(['export', 'run', '--out', out, '--fold', '1', ...extra], dir);
      expect(x.status, x.stderr).to.equal(0);
    }
    e4Files = writeE4(path.join(dir, 'e4'));
  });

  after(async () => {
    await context?.close();
    for (const p of servers) p.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function browser(): Promise<BrowserContext> {
    context ??= await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 900, height: 560 },
    });
    return context;
  }

  async function pageProbs(bundle: string): Promise<{ probs: Probs; events: StreamEvent[]; url: string; tab: Page }> {
    const { url, proc } = await startServe(bundle, dir);
    servers.push(proc);
    const tab = await (await browser()).newPage();
    const problems: string[] = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    await tab.goto(`${url}?backend=cpu`, { waitUntil: 'load' });
    await tab.waitForFunction(() => (globalThis as unknown as { fusionDemo: { ready: boolean; error: string | null } }).fusionDemo.ready || (globalThis as unknown as { fusionDemo: { error: string | null } }).fusionDemo.error);
    await tab.setInputFiles('#files', e4Files);
    await tab.waitForFunction(() => {
      const d = (globalThis as unknown as { fusionDemo: { done: boolean; error: string | null } }).fusionDemo;
      return d.done || d.error;
    });
    const result = await tab.evaluate(() => {
      const d = (globalThis as unknown as { fusionDemo: { events: StreamEvent[]; error: string | null } }).fusionDemo;
      return { events: d.events, error: d.error };
    });
    expect(result.error, 'page error').to.equal(null);
    expect(problems, 'page errors').to.deep.equal([]);
    return { probs: byWindow(result.events, classes), events: result.events, url, tab };
  }

  it('float32 bundle: the page shows fusion-cli stream\'s probabilities for the dropped recording (1e-4)', async () => {
    const s = cli(['stream', '--model', 'run', '--fold', '1', '--source', 'replay:e4@max', '--norm', 'recording', '--backend', 'cpu'], dir);
    expect(s.status, s.stderr).to.equal(0);
    const expected = byWindow(s.stdout.trim().split('\n').map((l) => JSON.parse(l) as StreamEvent), classes);
    // fusion.json: weight bytes per stored dtype match the files written; MACs and activation peak recorded
    for (const [b, dtype] of [['b32', 'float32'], ['b8', 'uint8']]) {
      const m = JSON.parse(fs.readFileSync(path.join(dir, b, 'fusion.json'), 'utf8')) as BundleManifest;
      const onDisk = m.members.reduce((a, x) => a + fs.statSync(path.join(dir, b, path.dirname(x.path), 'weights.bin')).size, 0);
      expect(Object.values(m.cost.weightBytesByDtype).reduce((a, v) => a + v, 0), `${b} bytes`).to.equal(onDisk);
      expect(Object.keys(m.cost.weightBytesByDtype), b).to.deep.equal([dtype]);
      expect(m.cost.macsPerWindow, b).to.be.greaterThan(1000);
      expect(m.cost.peakActivationBytes, b).to.be.greaterThan(0);
    }
    const { probs, tab } = await pageProbs('b32');
    expectSame(probs, expected, 1e-4, 'page float32 vs fusion-cli stream');
    expect(await tab.locator('#chart polyline').count(), 'the chart draws the line').to.equal(1);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await tab.screenshot({ path: path.join(ARTIFACTS, 'web-demo.png') });
  });

  it('uint8 bundle: the page equals the quantised models in Node through the same live operators (1e-4)', async () => {
    const { probs, url } = await pageProbs('b8');
    await tf.setBackend('cpu');
    const bundle = await loadBundle(`${url}bundle/`);
    const rec = readE4Files(e4Files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })), bundle.sensors, 'recording');
    const events: StreamEvent[] = [];
    await new Promise<void>((resolve, reject) => replayRecording(bundle, rec, 'recording').subscribe({ next: (e) => events.push(e), error: reject, complete: resolve }));
    bundle.dispose();
    expectSame(probs, byWindow(events, classes), 1e-4, 'page uint8 vs Node uint8');
  });

  it('a bundle with inputs at their own rates and two outputs: the page\'s live path equals fusion-cli stream for each output (1e-4)', async () => {
    // test/fixtures/graph-edge.json: 32-Hz BVP, 4-Hz EDA, 1-Hz HR inputs (from the E4 files' 64, 4 and 1 Hz); arousal and valence
    const r = cli(['run', path.join(ROOT, 'test', 'fixtures', 'graph-edge.json'), '--out', 'graph', '--workers', '1'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const x = cli(['export', 'graph', '--out', 'bg', '--fold', '1'], dir);
    expect(x.status, x.stderr).to.equal(0);
    const s = cli(['stream', '--model', 'graph', '--fold', '1', '--source', 'replay:e4@max', '--norm', 'recording', '--backend', 'cpu'], dir);
    expect(s.status, s.stderr).to.equal(0);
    const streamed = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as StreamEvent);
    const { events, tab } = await pageProbs('bg');
    const valence = (evs: StreamEvent[]): Probs =>
      new Map(evs.filter((e) => !('skipped' in e)).map((e) => [e.windowEnd, ['negative', 'positive'].map((c) => (e as { outputs: Record<string, { probs: Record<string, number> }> }).outputs.valence.probs[c])]));
    expectSame(byWindow(events, classes), byWindow(streamed, classes), 1e-4, 'page arousal vs fusion-cli stream');
    expectSame(valence(events), valence(streamed), 1e-4, 'page valence vs fusion-cli stream');
    expect(await tab.locator('#model').textContent()).to.include('bvp at 32 Hz, eda at 4 Hz, hr at 1 Hz').and.include('valence negative/positive');
  });

  it('a WebSocket of NDJSON sample lines: the page equals fusion-cli stream reading the same lines (running statistics, 1e-4)', async () => {
    // the recording's signals as 1-s batch lines in time order, the format `fusion-cli stream` reads
    const rec = readE4Files(e4Files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })), ['hr', 'eda', 'bvp'], 'dev-1');
    const lines: string[] = [];
    for (let sec = 0; sec < 100; sec++)
      for (const [sensor, sig] of Object.entries(rec.signals)) {
        const i0 = Math.max(0, Math.round((1600000000 + sec - sig.t0) * sig.fs));
        const i1 = Math.round((1600000000 + sec + 1 - sig.t0) * sig.fs);
        if (i1 <= 0) continue;
        lines.push(JSON.stringify({ stream: 'dev-1', sensor, t0: sig.t0 + i0 / sig.fs, fs: sig.fs, values: Array.from(sig.data.subarray(i0, i1)) }));
      }
    const viaStdin = spawn(process.execPath, [CLI, 'stream', '--model', 'run', '--fold', '1', '--source', 'stdin', '--warmup', '20', '--backend', 'cpu'], { cwd: dir });
    let out = '';
    viaStdin.stdout.on('data', (d: Buffer) => (out += d));
    viaStdin.stdin.end(lines.join('\n') + '\n');
    await new Promise((resolve) => viaStdin.on('close', resolve));
    const expected = byWindow(out.trim().split('\n').map((l) => JSON.parse(l) as StreamEvent), classes);

    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    wss.on('connection', (sock) => {
      // a few lines per message, then close
      for (let i = 0; i < lines.length; i += 7) sock.send(lines.slice(i, i + 7).join('\n') + '\n');
      sock.close();
    });
    try {
      const { url, proc } = await startServe('b32', dir);
      servers.push(proc);
      const tab = await (await browser()).newPage();
      await tab.goto(`${url}?backend=cpu`, { waitUntil: 'load' });
      await tab.waitForFunction(() => (globalThis as unknown as { fusionDemo: { ready: boolean } }).fusionDemo.ready);
      await tab.evaluate(() => ((globalThis as unknown as { fusionDemo: { warmupSeconds: number } }).fusionDemo.warmupSeconds = 20));
      await tab.fill('#ws-url', `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`);
      await tab.click('#ws-connect');
      await tab.waitForFunction(() => {
        const d = (globalThis as unknown as { fusionDemo: { done: boolean; error: string | null } }).fusionDemo;
        return d.done || d.error;
      });
      const result = await tab.evaluate(() => {
        const d = (globalThis as unknown as { fusionDemo: { events: StreamEvent[]; skipped: number; error: string | null } }).fusionDemo;
        return { events: d.events, skipped: d.skipped, error: d.error };
      });
      expect(result.error).to.equal(null);
      expect(result.skipped, 'warm-up windows skipped').to.be.greaterThan(0);
      expectSame(byWindow(result.events, classes), expected, 1e-4, 'page WebSocket vs fusion-cli stream stdin');
    } finally {
      wss.close();
    }
  });

  it('serve refuses paths outside its folders (404) and answers only on loopback by default', async () => {
    const { url } = await startServe('b32', dir).then((s) => (servers.push(s.proc), s));
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // raw request paths (fetch would normalise the dots away before sending)
    const status = (p: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const u = new URL(url);
        http.get({ host: u.hostname, port: u.port, path: p }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
      });
    for (const p of ['/bundle/../run/spec.json', '/bundle/%2e%2e/run/spec.json', '/bundle/..%2frun/spec.json', '/bundle/%2e%2e%2frun%2fspec.json', '/../../package.json', '/bundle/..%5crun%5cspec.json']) {
      expect(await status(p), p).to.equal(404);
    }
    expect((await fetch(url + 'bundle/fusion.json')).status).to.equal(200);
    expect((await fetch(url + 'tf.min.js')).status).to.equal(200);
  });
});

describe('fusion-cli serve refusals (real processes)', () => {
  it('a folder without fusion.json: exit 1 naming it; a port out of range: exit 2', () => {
    const dir = tmpDir('fusion-serve-');
    try {
      fs.mkdirSync(path.join(dir, 'not-a-bundle'));
      const r = cli(['serve', 'not-a-bundle', '--port', '0'], dir, 60000);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/not-a-bundle[\\/]fusion\.json not found: not-a-bundle is not an export bundle/);
      fs.writeFileSync(path.join(dir, 'not-a-bundle', 'fusion.json'), '{}');
      const u = cli(['serve', 'not-a-bundle', '--port', '70000'], dir, 60000);
      expect(u.status).to.equal(2);
      expect(u.stderr).to.match(/--port must be a whole number from 0 to 65535/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
