#!/usr/bin/env node
// Single-window latency of an exported bundle: headless Chromium (the demo page of `fusion-cli serve`, wasm and cpu
// backends) beside Node (the same @fusion/web in this process, wasm and cpu), plus the shipped scripts' gzipped sizes.
//
//   node packages/web/bench/latency.js [bundle or run folder] [--runs 50] [--chromium /usr/bin/chromium]
//   npm run bench:latency -w @fusion/web
//
// With a run folder it exports it (float32) to a temporary bundle first; with no folder it uses runs/emoheal-quick,
// training specs/emoheal-quick.json into a temporary folder first when that run is not there (a few minutes).
//
// Each figure: median and 95th percentile of `bundle.predict(one window)` wall time after 10 warm-up calls.
// Prints a markdown table (for BENCHMARKS.md). Run it on an idle machine for figures worth comparing.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const given = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const RUNS = Number(opt('runs', '50'));
const WARMUP = 10;
const CHROMIUM = opt('chromium', process.env.CHROMIUM_PATH || '/usr/bin/chromium');
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-latency-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

function fusionCli(cliArgs) {
  console.error(`$ fusion-cli ${cliArgs.join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...cliArgs], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`fusion-cli ${cliArgs[0]} failed (exit ${r.status})`);
    process.exit(1);
  }
}

/** The bundle to measure: the folder given, an export of the run folder given, or of runs/emoheal-quick (trained if missing). */
function bundleFolder() {
  let dir = given ? path.resolve(process.env.INIT_CWD || process.cwd(), given) : path.join(ROOT, 'runs', 'emoheal-quick');
  if (fs.existsSync(path.join(dir, 'fusion.json'))) return dir;
  if (!given && !fs.existsSync(path.join(dir, 'metrics.json'))) {
    dir = path.join(scratch, 'emoheal-quick');
    fusionCli(['run', 'specs/emoheal-quick.json', '--workers', '2', '--out', dir]);
  }
  if (!fs.existsSync(path.join(dir, 'metrics.json'))) {
    console.error(`${dir} is neither a bundle (fusion.json) nor a finished run (metrics.json).\nusage: node packages/web/bench/latency.js [bundle or run folder] [--runs N] [--chromium PATH]`);
    process.exit(2);
  }
  fusionCli(['export', dir, '--out', path.join(scratch, 'bundle')]);
  return path.join(scratch, 'bundle');
}
const bundleDir = bundleFolder();

function quantiles(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95) };
}

/** The timing loop; runs in Node and, serialised, in the page (it uses only its arguments). */
async function timeLoop(bundle, runs, warmup) {
  const x = new Float32Array(bundle.windowLength * bundle.sensors.length).map((_, i) => Math.sin(i));
  const out = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t = performance.now();
    await bundle.predict(x, 1);
    if (i >= warmup) out.push(performance.now() - t);
  }
  return out;
}

function startServe() {
  const proc = spawn(process.execPath, [CLI, 'serve', bundleDir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      try {
        resolve({ url: JSON.parse(out).url, proc });
      } catch {
        /* more to come */
      }
    });
    proc.on('exit', (code) => reject(new Error(`fusion-cli serve exited ${code}`)));
  });
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(bundleDir, 'fusion.json'), 'utf8'));
  const { url, proc } = await startServe();
  const rows = [];
  try {
    // Node: @fusion/web with the plain tfjs package (cpu) and the wasm backend
    const tf = require('@tensorflow/tfjs');
    require('@tensorflow/tfjs-backend-wasm');
    const { loadBundle } = require('@fusion/web');
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      await tf.ready();
      const bundle = await loadBundle(`${url}bundle/`);
      rows.push({ where: `Node ${process.version}`, backend, ...quantiles(await timeLoop(bundle, RUNS, WARMUP)) });
      bundle.dispose();
    }
    // headless Chromium: the demo page of `fusion-cli serve`
    if (fs.existsSync(CHROMIUM)) {
      const { chromium } = require('playwright-core');
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-bench-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const version = context.browser() ? context.browser().version() : 'Chromium';
        for (const backend of ['wasm', 'cpu']) {
          const tab = await context.newPage();
          await tab.goto(`${url}?backend=${backend}`);
          await tab.waitForFunction(() => window.fusionDemo.ready || window.fusionDemo.error);
          const ms = await tab.evaluate(
            async ([src, runs, warmup]) => {
              const loop = new Function(`return ${src}`)();
              if (window.fusionDemo.error) throw new Error(window.fusionDemo.error);
              return loop(window.fusionDemo.bundle, runs, warmup);
            },
            [timeLoop.toString(), RUNS, WARMUP]
          );
          rows.push({ where: `headless Chromium ${version}`, backend, ...quantiles(ms) });
          await tab.close();
        }
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    } else console.error(`Chromium not found at ${CHROMIUM}; browser rows skipped (--chromium PATH)`);
  } finally {
    proc.kill('SIGTERM');
  }
  const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  const webMin = require.resolve('@fusion/web/fusion-web.min.js');
  const tfMin = path.join(path.dirname(require.resolve('@tensorflow/tfjs/package.json')), 'dist', 'tf.min.js');
  const bundleFiles = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : bundleFiles.push(path.join(d, e.name))));
  walk(bundleDir);
  const raw = bundleFiles.reduce((a, f) => a + fs.statSync(f).size, 0);
  const zipped = bundleFiles.reduce((a, f) => a + gz(f), 0);
  console.log(`bundle ${manifest.name}: ${manifest.members.length} member(s), ${manifest.precision}, window ${manifest.windowLength} x ${manifest.sensors.length}; ${os.cpus()[0].model}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| runtime | backend | median ms / window | p95 ms |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.where} | ${r.backend} | ${r.median.toFixed(2)} | ${r.p95.toFixed(2)} |`);
  console.log(`\nsizes (gzip -9): fusion-web.min.js ${kib(fs.statSync(webMin).size)} -> ${kib(gz(webMin))}; tf.min.js ${kib(fs.statSync(tfMin).size)} -> ${kib(gz(tfMin))}; bundle folder ${kib(raw)} -> ${kib(zipped)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
