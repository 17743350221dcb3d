import { expect } from 'chai';
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { chromium } from 'playwright-core';
import { BundleManifest, getRegistries, loadModel, loadSpecObject, selectWindows } from '@fusion/core';
import { indicesOf, parsePredictionsCsv, predictProbs, prepareFold, prepareRun } from '@fusion/runner';
import { createDefaultContainer } from '@fusion/cli';
import { CHROMIUM, cli, ROOT, skipWithoutChromium, tmpDir, writeSpec } from './helpers';

/**
 * To the edge: `fusion-cli export` writes a self-describing bundle of a tiny run's models (float32 and uint8), and the
 * bundle gives the run's probabilities in another process that has only plain tfjs and @fusion/web, and in headless
 * Chromium from the minified browser bundle next to the page's tf.min.js. Chromium is the Debian package
 * (scripts/ensure-test-deps.sh); without it the browser test is skipped, except under CI, where it fails.
 */
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const CHILD = path.join(__dirname, 'web-node-child.js');

interface Fixture {
  dir: string;
  run: string;
  /** Fold 1's test windows as the bundle expects them, flat [n, L, S]. */
  windows: Float32Array;
  n: number;
  /** predictions.csv probabilities of fold 1 (the run's float32 ensemble). */
  expected: number[];
}

/** Trains the tiny spec (with `over`), and rebuilds fold 1's test windows as the run made them. */
async function tinyRun(dir: string, name: string, over: Record<string, unknown>, raw: boolean, from?: string): Promise<Fixture> {
  const r = cli(['run', writeSpec(dir, name, { name, ...over }, from), '--json', '--out', name, '--workers', '1'], dir);
  expect(r.status, r.stderr).to.equal(0);
  const run = path.join(dir, name);
  const container = createDefaultContainer();
  const { spec } = loadSpecObject(JSON.parse(fs.readFileSync(path.join(run, 'spec.json'), 'utf8')), container, dir);
  const ctx = await prepareRun(spec, getRegistries(container), { baseDir: dir, cacheDir: path.join(dir, '.fusion-cache') });
  const p = prepareFold(ctx, 0);
  // With normalize "train" the bundle takes raw windows and applies the fold's statistics itself.
  const w = raw ? selectWindows(ctx.windows, indicesOf(ctx.windows, p.fold.test)) : p.testW;
  const rows = parsePredictionsCsv(fs.readFileSync(path.join(run, 'predictions.csv'), 'utf8'), spec.preprocessing.label.classes);
  const expected = rows.filter((row) => row.fold === 1).flatMap((row) => row.probs);
  expect(expected.length).to.equal(w.y.length * 2);
  return { dir, run, windows: w.x, n: w.y.length, expected };
}

function exportBundle(fx: Fixture, out: string, extra: string[] = []): BundleManifest {
  const r = cli(['export', fx.run, '--out', out, '--fold', '1', '--json', ...extra], fx.dir);
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(fs.readFileSync(path.join(fx.dir, out, 'fusion.json'), 'utf8')) as BundleManifest;
}

/** Ensemble probabilities of a bundle's members computed in this process with core (the Node reference). */
async function nodeProbs(bundleDir: string, m: BundleManifest, windows: Float32Array, n: number): Promise<number[]> {
  const sum = new Array<number>(n * m.classes.length).fill(0);
  for (const member of m.members) {
    const model = await loadModel(path.join(bundleDir, path.dirname(member.path)));
    const w = { x: windows, y: new Int32Array(n), subjects: [], ends: new Float64Array(n), length: m.windowLength, sensors: m.sensors, classes: m.classes };
    const p = await predictProbs(model, w);
    model.dispose();
    p.forEach((v, i) => (sum[i] += v / m.members.length));
  }
  return sum;
}

/** A static file server over `root` on loopback (real socket). */
async function serve(root: string, mounts: Record<string, string> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = Object.keys(mounts).find((m) => rel.startsWith(m));
    const file = mount ? path.join(mounts[mount], rel.slice(mount.length)) : path.join(root, rel);
    if (!file.startsWith(mount ? mounts[mount] : root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    const type = file.endsWith('.json') ? 'application/json' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.html') ? 'text/html' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function writeWindows(dir: string, name: string, w: Float32Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  return file;
}

/** Runs web-node-child.js (asynchronously: this process serves the bundle files meanwhile). */
function runChild(args: unknown, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CHILD, JSON.stringify(args)], { cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length, `${what}: count`).to.equal(expected.length);
  actual.forEach((v, i) => expect(v, `${what}[${i}]`).to.be.closeTo(expected[i], tol));
}

describe('export and run on the edge (end to end, real processes and sockets)', function () {
  this.timeout(300000);
  let fx: Fixture;
  let m32: BundleManifest;
  let m8: BundleManifest;
  let expected8: number[];

  before(async () => {
    fx = await tinyRun(tmpDir('fusion-edge-'), 'tiny', {}, false);
    m32 = exportBundle(fx, 'b32');
    m8 = exportBundle(fx, 'b8', ['--quantize', 'uint8']);
    expected8 = await nodeProbs(path.join(fx.dir, 'b8'), m8, fx.windows, fx.n);
  });
  after(() => {
    if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
  });

  describe('fusion-cli export', () => {
    it('refuses a folder that is not a finished run (exit 1, RunFolderError naming what is missing)', () => {
      fs.mkdirSync(path.join(fx.dir, 'not-a-run'));
      const r = cli(['export', 'not-a-run', '--out', 'x'], fx.dir);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/spec\.json not found: .*not-a-run is not a finished run/);
      expect(fs.existsSync(path.join(fx.dir, 'x'))).to.equal(false);
    });

    it('never overwrites a non-empty --out that is not an earlier export; replaces an earlier export', () => {
      const other = path.join(fx.dir, 'keep');
      fs.mkdirSync(other);
      fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
      const r = cli(['export', fx.run, '--out', 'keep'], fx.dir);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include('not empty and holds no fusion.json');
      expect(fs.readdirSync(other)).to.deep.equal(['notes.txt']);
      const again = cli(['export', fx.run, '--out', 'b32', '--fold', '1'], fx.dir);
      expect(again.status, again.stderr).to.equal(0);
      expect(JSON.parse(fs.readFileSync(path.join(fx.dir, 'b32', 'fusion.json'), 'utf8')).members).to.have.length(2);
    });

    it('rejects a bad --quantize or --fold as usage (exit 2)', () => {
      expect(cli(['export', fx.run, '--out', 'y', '--quantize', 'int4'], fx.dir).status).to.equal(2);
      expect(cli(['export', fx.run, '--out', 'y', '--fold', '1', '--all-folds'], fx.dir).status).to.equal(2);
    });

    it('fusion.json says what the models expect and what the precision costs on the run\'s own test fold', () => {
      const metrics = JSON.parse(fs.readFileSync(path.join(fx.run, 'metrics.json'), 'utf8'));
      const spec = JSON.parse(fs.readFileSync(path.join(fx.run, 'spec.json'), 'utf8'));
      expect(m32.sensors).to.deep.equal(['hr', 'eda', 'bvp']);
      expect(m32.classes).to.deep.equal(['low', 'high']);
      expect([m32.sampleRate, m32.window, m32.hop, m32.windowLength]).to.deep.equal([4, 5, 5, 20]);
      expect(m32.label.target).to.equal(spec.preprocessing.label.target);
      expect(m32.normalization.mode).to.equal('subject');
      expect(m32.specSha256).to.equal(createHash('sha256').update(fs.readFileSync(path.join(fx.run, 'spec.json'))).digest('hex'));
      expect(m32.members.map((x) => x.path)).to.deep.equal(['fold-1/member-1/model.json', 'fold-1/member-2/model.json']);
      expect(m32.versions['@tensorflow/tfjs']).to.equal(tf.version.tfjs);
      // "before" is the run's own evaluation of fold 1
      const [e32] = m32.evaluation.folds;
      expect(e32.testSubjects).to.deep.equal(metrics.folds[0].test);
      expect(e32.windows).to.equal(fx.n);
      expect(e32.before.balancedAccuracy).to.be.closeTo(metrics.folds[0].model.balancedAccuracy, 1e-9);
      expect(e32.before.auroc).to.be.closeTo(metrics.folds[0].model.auroc, 1e-6);
      expect(e32.maxAbsProbDiff).to.equal(0);
      expect(e32.after).to.deep.equal(e32.before);
      // uint8: a quarter of the weight bytes, probabilities measurably but slightly moved
      const [e8] = m8.evaluation.folds;
      expect(m8.precision).to.equal('uint8');
      expect(m8.members[0].weightBytes * 4).to.equal(m32.members[0].weightBytes);
      expect(e8.before).to.deep.equal(e32.before);
      expect(e8.maxAbsProbDiff).to.be.greaterThan(0).and.lessThan(0.05);
      const q = JSON.parse(fs.readFileSync(path.join(fx.dir, 'b8', 'fold-1', 'member-1', 'model.json'), 'utf8'));
      expect(q.weightsManifest[0].weights[0].quantization.dtype).to.equal('uint8');
      const diff = Math.max(...expected8.map((v, i) => Math.abs(v - fx.expected[i])));
      expect(diff).to.be.closeTo(e8.maxAbsProbDiff, 1e-5);
    });
  });

  describe('@fusion/web in Node (plain tfjs, no fusion core)', () => {
    it('loads float32 and uint8 bundles over http and gives the run\'s and the quantised models\' probabilities', async () => {
      const srv = await serve(fx.dir);
      try {
        const windows = writeWindows(fx.dir, 'windows.f32', fx.windows);
        const args = { bundles: ['b32', 'b8'].map((b) => ({ url: `${srv.url}/${b}/`, windows, n: fx.n })), model: `${srv.url}/b8/fold-1/member-1/model.json` };
        const child = await runChild(args, fx.dir);
        expect(child.status, child.stderr).to.equal(0);
        const out = JSON.parse(child.stdout) as { probs: number[][]; classes: string[]; fusionModules: string[]; tensors: number };
        expectClose(out.probs[0], fx.expected, 1e-4, 'float32 bundle vs predictions.csv');
        expectClose(out.probs[1], expected8, 1e-4, 'uint8 bundle vs the quantised models in Node');
        expect(out.classes).to.include.members(['FusionTcnBlock', 'FusionSensorConcat', 'FusionBiGru']);
        expect(out.fusionModules.some((f) => /core[\\/]dist[\\/]src[\\/]index\.js$/.test(f)), 'core\'s main entry loaded').to.equal(false);
        // the live preprocessing (resampling, a recording's grid) is @fusion/web's too (@fusion/core/live); training and file I/O are not
        expect(out.fusionModules.filter((f) => /[\\/](run|eval|export)[\\/]|augment|model-io|spec-file/.test(f))).to.deep.equal([]);
        expect(out.tensors, 'tensors left after dispose').to.equal(0);
      } finally {
        await srv.close();
      }
    });

    it('a run normalised with training statistics: the bundle takes raw windows and normalises per fold', async () => {
      const tn = await tinyRun(fx.dir, 'tiny-train-norm', { preprocessing: { sampleRate: 4, window: 5, hop: 5, normalize: 'train' }, training: { epochs: 1, batchSize: 32, learningRate: 0.01, ensemble: 1 } }, true);
      const m = exportBundle(tn, 'btn');
      if (m.normalization.mode !== 'train') throw new Error(`normalization mode ${m.normalization.mode}`);
      const stats = JSON.parse(fs.readFileSync(path.join(tn.run, 'models', 'fold-1', 'normalization.json'), 'utf8')).stats;
      expect(m.normalization.folds['1'].map((s) => [s.mean, s.sd])).to.deep.equal(stats.map((s: { mean: number; sd: number }) => [s.mean, s.sd]));
      const srv = await serve(fx.dir);
      try {
        const args = { bundles: [{ url: `${srv.url}/btn/fusion.json`, windows: writeWindows(fx.dir, 'raw.f32', tn.windows), n: tn.n }], model: `${srv.url}/btn/fold-1/member-1/model.json` };
        const r = await runChild(args, fx.dir);
        expect(r.status, r.stderr).to.equal(0);
        expectClose(JSON.parse(r.stdout).probs[0], tn.expected, 1e-4, 'train-normalised bundle vs predictions.csv');
      } finally {
        await srv.close();
      }
    });
  });

  describe('@fusion/web in headless Chromium (tf.min.js + fusion-web.min.js)', () => {
    type Ctx = Awaited<ReturnType<typeof chromium.launchPersistentContext>>;
    type Page = Awaited<ReturnType<Ctx['newPage']>>;
    let srv: { url: string; close: () => Promise<void> } | undefined;
    let context: Ctx | undefined;
    let tab: Page;
    const foreign: string[] = [];
    const problems: string[] = [];

    before(async function () {
      skipWithoutChromium(this);
      const page = `<!doctype html><html><head><meta charset="utf-8"><title>fusion-web</title></head><body><h1>fusion-web</h1><pre id="out">loading</pre>
<script src="/tfjs/tf.min.js"></script><script src="/wasm/tf-backend-wasm.min.js"></script><script src="/web/fusion-web.min.js"></script></body></html>`;
      fs.writeFileSync(path.join(fx.dir, 'index.html'), page);
      const dist = (pkg: string): string => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist');
      srv = await serve(fx.dir, { '/tfjs/': dist('@tensorflow/tfjs'), '/wasm/': dist('@tensorflow/tfjs-backend-wasm'), '/web/': dist('@fusion/web') });
      context = await chromium.launchPersistentContext(path.join(fx.dir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        // SwiftShader (software Vulkan under ANGLE) gives headless Chromium a WebGL2 context without a GPU
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 900, height: 500 },
      });
      const base = srv.url;
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(base)) return route.continue();
        foreign.push(url);
        return route.abort();
      });
      tab = context.pages()[0] ?? (await context.newPage());
      tab.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      tab.on('pageerror', (e) => problems.push(e.message));
      await tab.goto(`${srv.url}/index.html`, { waitUntil: 'load' });
    });

    after(async () => {
      await context?.close();
      await srv?.close();
    });

    /** In the page: the backend, then loadBundle + predict of the float32 and uint8 bundles; the result is also shown. */
    function predictInPage(backend: 'cpu' | 'wasm' | 'webgl'): Promise<{ probs: number[][]; classes: string[]; backend: string; layers: string[]; tensors: number }> {
      return tab.evaluate(
        async ({ windows, n, backend }) => {
          const g = globalThis as unknown as {
            tf: typeof tf & { wasm: { setWasmPaths(prefix: string): void } };
            fusionWeb: typeof import('@fusion/web');
            document: { getElementById(id: string): { textContent: string } };
          };
          if (backend === 'wasm') g.tf.wasm.setWasmPaths('/wasm/');
          if (!(await g.tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
          const stock = await g.tf.loadLayersModel('/b8/fold-1/member-1/model.json');
          const classes = stock.layers.map((l) => l.getClassName());
          stock.dispose();
          const probs: number[][] = [];
          for (const b of ['/b32/', '/b8/']) {
            const bundle = await g.fusionWeb.loadBundle(b);
            probs.push(Array.from(await bundle.predict(Float32Array.from(windows), n)));
            bundle.dispose();
          }
          const rows = probs[0].filter((_, i) => i % 2 === 1).slice(0, 12).map((p, i) => `window ${i + 1}: p(high) float32 ${p.toFixed(4)}  uint8 ${probs[1][2 * i + 1].toFixed(4)}`);
          g.document.getElementById('out').textContent = [`backend ${g.tf.getBackend()}, ${n} test windows of fold 1`, ...rows].join('\n');
          return { probs, classes, backend: g.tf.getBackend(), layers: g.fusionWeb.registeredLayers(), tensors: g.tf.memory().numTensors };
        },
        { windows: Array.from(fx.windows), n: fx.n, backend }
      );
    }

    it('a stock tf.loadLayersModel and loadBundle + predict give the Node probabilities (float32 and uint8) on the cpu backend', async () => {
      const result = await predictInPage('cpu');
      expect(result.backend).to.equal('cpu');
      expectClose(result.probs[0], fx.expected, 1e-4, 'browser float32 vs predictions.csv');
      expectClose(result.probs[1], expected8, 1e-4, 'browser uint8 vs the quantised models in Node');
      expect(result.classes).to.include.members(['FusionTcnBlock', 'FusionSensorConcat', 'FusionBiGru']);
      // every layer class the plugin packages register in Node is registered by the browser bundle
      const nodeLayers = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((k) => k.startsWith('Fusion')).sort();
      expect(result.layers).to.deep.equal(nodeLayers);
      expect(result.tensors, 'tensors left after dispose').to.equal(0);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await tab.screenshot({ path: path.join(ARTIFACTS, 'web-browser.png') });
      expect(foreign, 'requests to other hosts').to.deep.equal([]);
      expect(problems, 'page errors').to.deep.equal([]);
    });

    it('the same probabilities on the wasm backend (its .wasm files served beside the page)', async () => {
      const result = await predictInPage('wasm');
      expect(result.backend).to.equal('wasm');
      expectClose(result.probs[0], fx.expected, 1e-4, 'browser wasm float32 vs predictions.csv');
      expectClose(result.probs[1], expected8, 1e-4, 'browser wasm uint8 vs the quantised models in Node');
      expect(foreign, 'requests to other hosts').to.deep.equal([]);
      expect(problems, 'page errors').to.deep.equal([]);
    });

    it('a bundle with inputs at their own rates and two outputs: one array per input in, each output\'s probabilities of predictions.csv out (wasm)', async () => {
      // test/fixtures/graph-edge.json: 32-Hz BVP, 4-Hz EDA, 1-Hz HR; arousal and valence; training-fold statistics per input
      const gx = await tinyRun(fx.dir, 'graph', {}, true, path.join(ROOT, 'test', 'fixtures', 'graph-edge.json'));
      const m = exportBundle(gx, 'bg');
      const valence = parsePredictionsCsv(fs.readFileSync(path.join(gx.run, 'predictions-valence.csv'), 'utf8'), ['negative', 'positive'])
        .filter((row) => row.fold === 1)
        .flatMap((row) => row.probs);
      // the rows of the run's windows split into one [n, samples] array per input, as a page would hold them
      let at = 0;
      const row = m.inputs!.reduce((a, q) => a + q.windowLength, 0);
      const inputs = m.inputs!.map((q) => {
        const a: number[] = [];
        for (let i = 0; i < gx.n; i++) a.push(...gx.windows.subarray(i * row + at, i * row + at + q.windowLength));
        at += q.windowLength;
        return a;
      });
      const result = await tab.evaluate(
        async ({ inputs, n }) => {
          const g = globalThis as unknown as { tf: typeof tf & { wasm: { setWasmPaths(prefix: string): void } }; fusionWeb: typeof import('@fusion/web') };
          // the wasm files are beside the page (set once, before the backend first starts)
          if (!(g.tf.engine().registry as Record<string, unknown>).wasm) g.tf.wasm.setWasmPaths('/wasm/');
          if (!(await g.tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
          const bundle = await g.fusionWeb.loadBundle('/bg/');
          const loaded = g.tf.memory().numTensors;
          const byOutput = await bundle.predictOutputs(inputs.map((a) => Float32Array.from(a)), n);
          const rows = await bundle.predict(inputs.map((a) => Float32Array.from(a)), n);
          const grown = g.tf.memory().numTensors - loaded;
          bundle.dispose();
          return {
            backend: g.tf.getBackend(),
            outputs: bundle.outputs,
            parts: bundle.parts,
            arousal: Array.from(byOutput.arousal),
            valence: Array.from(byOutput.valence),
            rows: Array.from(rows),
            grown,
            tensors: g.tf.memory().numTensors,
          };
        },
        { inputs, n: gx.n }
      );
      expect(result.backend).to.equal('wasm');
      expect(result.outputs).to.deep.equal([
        { name: 'arousal', classes: ['low', 'high'] },
        { name: 'valence', classes: ['negative', 'positive'] },
      ]);
      expect(result.parts!.map((q) => [q.name, q.rate, q.length, q.offset])).to.deep.equal([
        ['bvp', 32, 160, 0],
        ['eda', 4, 20, 160],
        ['hr', 1, 5, 180],
      ]);
      expectClose(result.arousal, gx.expected, 1e-4, 'browser wasm arousal vs predictions.csv');
      expectClose(result.valence, valence, 1e-4, 'browser wasm valence vs predictions-valence.csv');
      // predict: per window the outputs side by side
      expectClose(result.rows, Array.from({ length: gx.n }, (_, i) => [...gx.expected.slice(2 * i, 2 * i + 2), ...valence.slice(2 * i, 2 * i + 2)]).flat(), 1e-4, 'browser predict rows');
      expect(result.grown, 'tensors added by predict').to.equal(0);
      expect(result.tensors, 'tensors left after dispose').to.equal(0);
      expect(foreign, 'requests to other hosts').to.deep.equal([]);
      expect(problems, 'page errors').to.deep.equal([]);
    });

    it('the same probabilities on the webgl backend (SwiftShader WebGL2, float32 textures)', async () => {
      const result = await predictInPage('webgl');
      expect(result.backend).to.equal('webgl');
      const worst = Math.max(...result.probs[0].map((v, i) => Math.abs(v - fx.expected[i])), ...result.probs[1].map((v, i) => Math.abs(v - expected8[i])));
      console.log(`      webgl: largest probability difference to Node ${worst.toExponential(2)}`);
      expectClose(result.probs[0], fx.expected, 1e-4, 'browser webgl float32 vs predictions.csv');
      expectClose(result.probs[1], expected8, 1e-4, 'browser webgl uint8 vs the quantised models in Node');
      expect(result.tensors, 'tensors left after dispose').to.equal(0);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await tab.screenshot({ path: path.join(ARTIFACTS, 'web-browser-webgl.png') });
      expect(foreign, 'requests to other hosts').to.deep.equal([]);
      expect(problems, 'page errors').to.deep.equal([]);
    });
  });
});
