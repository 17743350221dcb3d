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

/**
 * A small E4 export (the E4 header: start time row, rate row), 100 s, HR starting 10 s late as the device does; with
 * `ibi`, also IBI.csv (row 1 `<start>, IBI`, then beat offset and interval), with a 7-s pause in the beats at 50 s.
 */
function writeE4(dir: string, ibi = false): string[] {
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
  if (!ibi) return files.map(([name]) => path.join(dir, name));
  const beats = [`${t0.toFixed(6)}, IBI`];
  for (let t = 3.1, i = 0; t < seconds; i++) {
    const interval = 0.8 + 0.15 * Math.sin(i / 5);
    t += interval;
    if (t < 50 || t > 57) beats.push(`${t.toFixed(6)},${interval.toFixed(6)}`);
  }
  fs.writeFileSync(path.join(dir, 'IBI.csv'), beats.join('\n') + '\n');
  return [...files.map(([name]) => path.join(dir, name)), path.join(dir, 'IBI.csv')];
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

  async function pageProbs(bundle: string, files = e4Files, backend = 'cpu'): Promise<{ probs: Probs; events: StreamEvent[]; url: string; tab: Page }> {
    const { url, proc } = await startServe(bundle, dir);
    servers.push(proc);
    const tab = await (await browser()).newPage();
    const problems: string[] = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    await tab.goto(`${url}?backend=${backend}`, { waitUntil: 'load' });
    await tab.waitForFunction(() => (globalThis as unknown as { fusionDemo: { ready: boolean; error: string | null } }).fusionDemo.ready || (globalThis as unknown as { fusionDemo: { error: string | null } }).fusionDemo.error);
    await tab.setInputFiles('#files', files);
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

  /** The bundle the page at `url` serves, loaded in Node (cpu), replaying `files` through @fusion/web's live operators. */
  async function nodeLiveProbs(url: string, files: string[]): Promise<Probs> {
    await tf.setBackend('cpu');
    const bundle = await loadBundle(`${url}bundle/`);
    const rec = readE4Files(files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })), bundle.sensors, 'recording');
    const events: StreamEvent[] = [];
    await new Promise<void>((resolve, reject) => replayRecording(bundle, rec, 'recording').subscribe({ next: (e) => events.push(e), error: reject, complete: resolve }));
    bundle.dispose();
    return byWindow(events, classes);
  }

  /**
   * The recording's signals as 1-s batch lines in time order, the format `fusion-cli stream` reads; its beats (an
   * `ibi` sensor) as one line per beat, `{"sensor":"ibi","t":...,"values":[interval]}`, in time order with the rest.
   */
  function ndjsonLines(files: string[], sensors: string[]): string[] {
    const rec = readE4Files(files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })), sensors, 'dev-1');
    const lines: string[] = [];
    const beats = rec.events?.ibi;
    let b = 0;
    for (let sec = 0; sec < 100; sec++) {
      for (const [sensor, sig] of Object.entries(rec.signals)) {
        const i0 = Math.max(0, Math.round((1600000000 + sec - sig.t0) * sig.fs));
        const i1 = Math.round((1600000000 + sec + 1 - sig.t0) * sig.fs);
        if (i1 <= 0) continue;
        lines.push(JSON.stringify({ stream: 'dev-1', sensor, t0: sig.t0 + i0 / sig.fs, fs: sig.fs, values: Array.from(sig.data.subarray(i0, i1)) }));
      }
      for (; beats && b < beats.times.length && beats.times[b] < 1600000000 + sec + 1; b++) lines.push(JSON.stringify({ stream: 'dev-1', sensor: 'ibi', t: beats.times[b], values: [beats.values[b]] }));
    }
    return lines;
  }

  /** `fusion-cli stream --source stdin` (running statistics, 20-s warm-up) on `lines`: its events. */
  async function cliStdinEvents(run: string, lines: string[], backend = 'cpu'): Promise<StreamEvent[]> {
    const viaStdin = spawn(process.execPath, [CLI, 'stream', '--model', run, '--fold', '1', '--source', 'stdin', '--warmup', '20', '--backend', backend], { cwd: dir });
    let out = '';
    viaStdin.stdout.on('data', (d: Buffer) => (out += d));
    viaStdin.stdin.end(lines.join('\n') + '\n');
    await new Promise((resolve) => viaStdin.on('close', resolve));
    return out.trim().split('\n').map((l) => JSON.parse(l) as StreamEvent);
  }

  /** The page of `fusion-cli serve <bundle>` connected to a WebSocket that sends `lines` (a few per message), then closes. */
  async function wsPageEvents(bundle: string, lines: string[], backend = 'cpu'): Promise<{ events: StreamEvent[]; skipped: number }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    wss.on('connection', (sock) => {
      for (let i = 0; i < lines.length; i += 7) sock.send(lines.slice(i, i + 7).join('\n') + '\n');
      sock.close();
    });
    try {
      const { url, proc } = await startServe(bundle, dir);
      servers.push(proc);
      const tab = await (await browser()).newPage();
      await tab.goto(`${url}?backend=${backend}`, { waitUntil: 'load' });
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
      return result;
    } finally {
      wss.close();
    }
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
    expectSame(probs, await nodeLiveProbs(url, e4Files), 1e-4, 'page uint8 vs Node uint8');
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
    const lines = ndjsonLines(e4Files, ['hr', 'eda', 'bvp']);
    const expected = byWindow(await cliStdinEvents('run', lines), classes);
    const result = await wsPageEvents('b32', lines);
    expect(result.skipped, 'warm-up windows skipped').to.be.greaterThan(0);
    expectSame(byWindow(result.events, classes), expected, 1e-4, 'page WebSocket vs fusion-cli stream stdin');
  });

  describe('a run with an ibi input (beats as an event series held on its grid)', () => {
    let ibiFiles: string[];
    const ibiOk = (r: ReturnType<typeof cli>): string => (expect(r.status, r.stderr).to.equal(0), r.stdout);
    before(() => {
      // 4-Hz EDA and 4-Hz IBI (maxGap 2 s) features, per-input training statistics; the synthetic adapter provides IBI
      const spec = {
        name: 'ibi-edge',
        seed: 42,
        dataset: { type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 3 },
        inputs: { eda: { sensor: 'eda', rate: 4 }, ibi: { sensor: 'ibi', rate: 4, missing: { maxGap: 2 } } },
        preprocessing: { sampleRate: 4, window: 5, hop: 5, normalize: 'train', maxMissing: 0.5, label: { mapping: 'threshold', threshold: 3 }, augment: { noise: 0, copies: 0 } },
        nodes: {
          feat: { type: 'features', groups: ['statistics', 'hrv'], inputs: ['ibi'] },
          feat_eda: { type: 'features', groups: ['statistics'], inputs: ['eda'] },
          head: { type: 'bigru', units: 4, inputs: ['feat', 'feat_eda'] },
        },
        outputs: { arousal: { node: 'head', label: 'arousal', classes: ['low', 'high'] } },
        training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 },
        evaluation: { type: 'group-kfold', k: 2 },
      };
      fs.writeFileSync(path.join(dir, 'ibi.json'), JSON.stringify(spec));
      fs.writeFileSync(path.join(dir, 'ibi-data.json'), JSON.stringify(spec.dataset));
      ibiOk(cli(['run', 'ibi.json', '--out', 'ibirun', '--workers', '1', '--backend', 'cpu'], dir));
      for (const [out, extra] of [['bi32', []], ['bi8', ['--quantize', 'uint8']]] as const) ibiOk(cli(['export', 'ibirun', '--out', out, '--fold', '1', ...extra], dir));
      ibiFiles = writeE4(path.join(dir, 'e4ibi'), true);
    });

    it('fusion.json says the ibi input is an event series with its missing.maxGap, never normalised', () => {
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'bi32', 'fusion.json'), 'utf8')) as BundleManifest;
      expect(m.inputs!.map((i) => [i.name, i.kind, i.missing, i.normalize])).to.deep.equal([
        ['eda', undefined, undefined, undefined],
        ['ibi', 'events', { maxGap: 2 }, 'none'],
      ]);
      expect(m.normalization.rule).to.match(/Event inputs .* never z-scored.*missing\.maxGap/);
      const folds = (m.normalization as { folds: Record<string, { input?: string; mean: number; sd: number }[]> }).folds;
      expect(folds['1'].find((s) => s.input === 'ibi')).to.deep.include({ mean: 0, sd: 1 });
    });

    it('predict and evaluate on the bundle: the run folder\'s probabilities (1e-5) and its fold\'s scores', () => {
      ibiOk(cli(['predict', 'ibirun', 'ibi-data.json', '--fold', '1', '--out', 'ibi-run.csv', '--backend', 'cpu'], dir));
      ibiOk(cli(['predict', 'bi32', 'ibi-data.json', '--out', 'ibi-bundle.csv', '--backend', 'cpu'], dir));
      const rows = (f: string): string[][] => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => l.split(','));
      const [a, b] = [rows('ibi-run.csv'), rows('ibi-bundle.csv')];
      expect(b[0]).to.deep.equal(a[0]);
      expect(b.length).to.equal(a.length).and.to.be.greaterThan(10);
      const p = a[0].indexOf('p_high');
      a.slice(1).forEach((r, i) => expect(Number(b[i + 1][p]), r.join(',')).to.be.closeTo(Number(r[p]), 1e-5));
      type Ev = { windows: number; confusion: number[][]; model: { balancedAccuracy: number } };
      const fromRun = JSON.parse(ibiOk(cli(['evaluate', 'ibirun', 'ibi-data.json', '--fold', '1', '--backend', 'cpu', '--json'], dir))) as Ev;
      const fromBundle = JSON.parse(ibiOk(cli(['evaluate', 'bi32', 'ibi-data.json', '--backend', 'cpu', '--json'], dir))) as Ev;
      expect(fromBundle.windows).to.equal(a.length - 1);
      expect([fromBundle.windows, fromBundle.confusion]).to.deep.equal([fromRun.windows, fromRun.confusion]);
      expect(fromBundle.model.balancedAccuracy).to.be.closeTo(fromRun.model.balancedAccuracy, 1e-12);
    });

    it('dropped E4 files with IBI.csv: the page (wasm) shows fusion-cli stream\'s probabilities (wasm, 1e-4)', async () => {
      const s = cli(['stream', '--model', 'ibirun', '--fold', '1', '--source', 'replay:e4ibi@max', '--norm', 'recording', '--backend', 'wasm'], dir);
      expect(s.status, s.stderr).to.equal(0);
      const streamed = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as StreamEvent);
      // the pause in the beats (50-57 s) makes windows miss more than half their ibi samples: skipped on both sides
      expect(streamed.filter((e) => 'skipped' in e).length, 'skipped windows').to.be.greaterThan(0);
      const { probs, tab } = await pageProbs('bi32', ibiFiles, 'wasm');
      expectSame(probs, byWindow(streamed, classes), 1e-4, 'page ibi vs fusion-cli stream');
      expect(await tab.locator('#model').textContent()).to.include('ibi at 4 Hz');
    });

    it('a WebSocket of NDJSON lines with one line per beat: the page (wasm) equals fusion-cli stream reading them (1e-4)', async () => {
      const lines = ndjsonLines(ibiFiles, ['eda', 'ibi']);
      expect(lines.filter((l) => l.includes('"sensor":"ibi","t":')).length, 'beat lines').to.be.greaterThan(50);
      const expected = byWindow(await cliStdinEvents('ibirun', lines, 'wasm'), classes);
      const result = await wsPageEvents('bi32', lines, 'wasm');
      expectSame(byWindow(result.events, classes), expected, 1e-4, 'page WebSocket ibi vs fusion-cli stream stdin');
    });

    it('uint8 bundle with the ibi input: the page (wasm) equals the same uint8 bundle in Node through the same live operators (1e-4)', async () => {
      const { probs, url } = await pageProbs('bi8', ibiFiles, 'wasm');
      expectSame(probs, await nodeLiveProbs(url, ibiFiles), 1e-4, 'page uint8 ibi vs Node uint8');
    });
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
