#!/usr/bin/env node
/*
 * How many replayed streams one process sustains at a given speed (default 10x real time).
 *
 *   node packages/stream/bench/concurrent-replay.js --model <run dir> --replay <recording folder> \
 *        [--streams 8,32,64] [--speed 10] [--seconds 30] [--backend wasm]
 *
 * Each stream replays the same recording under its own id (each with its own buffers, statistics and windows) through
 * the same pipeline as `fusion-cli stream`, for `--seconds` of wall time. Reports per stream count: windows predicted
 * and dropped, latency p50/p95 (window cut -> event), peak RSS. "Sustained" = nothing dropped and p95 below the hop.
 * Pin to 2 cores with `taskset -c 0,1 node ...`. Build first (npx tsc -b packages/stream packages/cli).
 */
const { merge, Subject, takeUntil } = require('rxjs');
const { getRegistries, selectBackend } = require('@fusion/core');
const { E4_NOMINAL_RATES } = require('@fusion/sensors');
const { createDefaultContainer } = require('@fusion/cli');
const { createCounters, LatencyRecorder, loadReplay, replaySource, StreamModel, streamPipeline, summarize } = require('@fusion/stream');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

async function once(model, rec, n, speed, seconds) {
  const p = model.spec.preprocessing;
  const counters = createCounters();
  const latency = new LatencyRecorder(100000);
  const stop = new Subject();
  const sources = Array.from({ length: n }, (_, i) => replaySource(rec.recording, { speed, sensors: model.sensors, stream: `s${i}` }));
  let peakRss = 0;
  const probe = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const t0 = Date.now();
  const timer = setTimeout(() => stop.next(), seconds * 1000);
  let events = 0;
  await new Promise((resolve, reject) =>
    merge(...sources)
      .pipe(
        takeUntil(stop),
        streamPipeline({ model, preprocessing: p, norm: 'running', warmupSeconds: 0, known: () => ({ origin: rec.origin }), rates: E4_NOMINAL_RATES, counters, latency })
      )
      .subscribe({ next: () => events++, error: reject, complete: resolve })
  );
  clearTimeout(timer);
  clearInterval(probe);
  const s = summarize(counters, latency);
  return { streams: n, wallSeconds: (Date.now() - t0) / 1000, samples: s.samples, predicted: s.predicted, skipped: s.skipped, dropped: s.dropped, p50: s.latencyMs.p50, p95: s.latencyMs.p95, peakRssMiB: Math.round(peakRss / 1048576) };
}

(async () => {
  const runDir = arg('model');
  const replay = arg('replay');
  if (!runDir || !replay) {
    console.error('usage: concurrent-replay.js --model <run dir> --replay <recording folder> [--streams 8,32] [--speed 10] [--seconds 30] [--backend wasm]');
    process.exit(2);
  }
  const container = createDefaultContainer();
  const backend = await selectBackend(arg('backend'));
  const model = await StreamModel.load(runDir, arg('fold') ? { fold: Number(arg('fold')) } : {});
  const rec = await loadReplay(replay, { adapters: getRegistries(container).datasets, prefer: model.spec.dataset.type, sensors: model.sensors, preprocessing: model.spec.preprocessing });
  const speed = Number(arg('speed', '10'));
  const seconds = Number(arg('seconds', '30'));
  console.error(`backend ${backend.name}, ${model.members.length} member(s), sensors ${model.sensors.join(',')}, speed ${speed}x, ${seconds} s per point`);
  for (const n of arg('streams', '8,32,64').split(',').map(Number)) {
    const r = await once(model, rec, n, speed, seconds);
    console.log(JSON.stringify(r));
  }
  model.dispose();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
