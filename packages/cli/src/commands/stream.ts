import * as path from 'path';
import * as fs from 'fs';
import { merge, Observable, Subject, takeUntil } from 'rxjs';
import { getRegistries, inputRecordingStats, loadPluginModules, multiRateInputs, selectBackend } from '@fusion/core';
import { E4_NOMINAL_RATES } from '@fusion/sensors';
import {
  Backpressure,
  createCounters,
  isMalformed,
  LatencyRecorder,
  linesFrom,
  loadReplay,
  parseNdjson,
  recordingStats,
  replaySource,
  SampleChunk,
  SensorStats,
  StreamEvent,
  StreamModel,
  streamPipeline,
  summarize,
  tcpSource,
  wsSource,
} from '@fusion/stream';
import { createDefaultContainer } from '../container';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface StreamCommandOptions {
  model: string;
  source: string[];
  /** The dataset adapter that reads the replay recordings (default: the run's, then any that recognises one). */
  dataset?: string;
  hop?: string;
  fold?: string;
  smooth?: string;
  norm?: string;
  warmup?: string;
  reorder?: string;
  maxPending?: string;
  /** Deprecated alias of maxPending (--queue is a Redis URL in run and worker). */
  queue?: string;
  batch?: string;
  maxStreams?: string;
  idle?: string;
  maxConnections?: string;
  allowOrigin?: string[];
  token?: string;
  backend?: string;
  json?: boolean;
}

/** Reported malformed lines at most (they are all counted). */
const MAX_REPORTED = 100;

function num(v: string | undefined, name: string, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, received "${v}"`);
  return n;
}

type ParsedSource = { kind: 'replay'; dir: string; speed: number | 'max' } | { kind: 'stdin' } | { kind: 'tcp' | 'ws'; port: number };

export function parseSource(s: string): ParsedSource {
  if (s === 'stdin') return { kind: 'stdin' };
  const net = /^(tcp|ws):(\d+)$/.exec(s);
  if (net) {
    const port = Number(net[2]);
    if (port > 65535) throw new UsageError(`--source ${s}: port must be 0..65535.`);
    return { kind: net[1] as 'tcp' | 'ws', port };
  }
  if (s.startsWith('replay:')) {
    let dir = s.slice(7);
    let speed: number | 'max' = 1;
    const m = /@(max|\d+(?:\.\d+)?)$/.exec(dir);
    if (m) {
      dir = dir.slice(0, m.index);
      speed = m[1] === 'max' ? 'max' : Number(m[1]);
      if (speed === 0) throw new UsageError(`--source ${s}: the speed must be > 0 or "max".`);
    }
    if (!dir) throw new UsageError(`--source ${s}: give a recording folder, e.g. replay:data/e4_data/1@10.`);
    return { kind: 'replay', dir, speed };
  }
  throw new UsageError(`unknown --source "${s}"; expected replay:<folder>[@speed|@max], stdin, tcp:<port> or ws:<port>.`);
}

/**
 * `fusion-cli stream`: live inference. Events go to stdout as NDJSON, one per window; logs, malformed-line reports and
 * the summary go to stderr (and the summary as a last `{"summary":...}` line with --json). SIGINT/SIGTERM or the end
 * of every input stop the sources, the pending windows are still predicted, and the command exits 0; a second signal
 * exits at once with 130.
 */
export async function streamCommand(opts: StreamCommandOptions, term: Terminal): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`stream: ${line}\n`);
  const sources = opts.source.map(parseSource);
  if (!sources.length) throw new UsageError('give at least one --source (replay:<folder>[@speed], stdin, tcp:<port>, ws:<port>).');
  const norm = opts.norm ?? 'running';
  if (norm !== 'running' && norm !== 'recording') throw new UsageError(`--norm must be running or recording, received "${norm}"`);
  if (norm === 'recording' && sources.some((s) => s.kind !== 'replay')) throw new UsageError('--norm recording needs every recording in advance: use it with replay sources only.');
  const fold = num(opts.fold, 'fold', (n) => Number.isInteger(n) && n >= 1, 'a fold number >= 1');
  const hop = num(opts.hop, 'hop', (n) => n > 0, 'a number of seconds > 0');
  const smoothN = num(opts.smooth, 'smooth', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1') ?? 1;
  const warmup = num(opts.warmup, 'warmup', (n) => n >= 0, 'a number of seconds >= 0');
  const reorder = num(opts.reorder, 'reorder', (n) => n >= 0, 'a number of seconds >= 0');
  if (opts.queue !== undefined) term.warn('--queue on stream is deprecated (in run and worker it is a Redis URL): use --max-pending.');
  const queue = num(opts.queue ?? opts.maxPending, opts.queue !== undefined ? 'queue' : 'max-pending', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1') ?? 256;
  const batch = num(opts.batch, 'batch', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  const maxStreams = num(opts.maxStreams, 'max-streams', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  const idle = num(opts.idle, 'idle', (n) => n > 0, 'a number of seconds > 0');
  const maxConnections = num(opts.maxConnections, 'max-connections', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  const token = opts.token ?? (process.env.FUSION_STREAM_TOKEN || undefined);
  if (token !== undefined && token.trim() === '') throw new UsageError('--token must not be empty.');
  for (const o of opts.allowOrigin ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new UsageError(`--allow-origin must be an origin such as https://dashboard.example (scheme and host, no path), received "${o}"`);
  }

  // Registers the built-in layer classes the saved models are made of, and those of the run's plugin modules.
  const container = createDefaultContainer();
  loadRunPlugins(opts.model, container);
  const adapters = getRegistries(container).datasets;
  if (opts.dataset !== undefined && !adapters.has(opts.dataset)) throw new UsageError(`--dataset "${opts.dataset}": no such dataset adapter; known: ${adapters.types().join(', ')} (and those of the run's plugins).`);
  const backend = await selectBackend(opts.backend);
  const model = await StreamModel.load(opts.model, { fold, severalOutputs: true });
  const p = model.spec.preprocessing;
  log(`backend ${backend.name}; model ${opts.model} (${model.members.length} member(s)${fold ? ` of fold ${fold}` : ', all folds'}); ${model.parts ? `inputs ${model.parts.map((q) => `${q.name} at ${q.rate} Hz${q.maxGap !== undefined ? ` (${q.sensor} events held, missing > ${q.maxGap} s after one)` : ''}`).join(', ')}` : `sensors ${model.sensors.join(', ')} at ${p.sampleRate} Hz`}, window ${p.window} s, hop ${hop ?? p.hop} s`);
  if (p.normalize === 'train') log('normalisation: each fold\'s training statistics, stored with its models (as in evaluation); --norm does not apply.');

  const counters = createCounters();
  const latency = new LatencyRecorder();
  const backpressure = new Backpressure(Math.max(1, Math.floor(queue / 2)));
  const known = new Map<string, { origin?: number; stats?: SensorStats[] }>();
  const stop$ = new Subject<void>();
  const inputs: Observable<SampleChunk>[] = [];
  let reported = 0;
  for (const s of sources) {
    if (s.kind === 'replay') {
      const r = await loadReplay(s.dir, { adapters, prefer: model.spec.dataset.type, only: opts.dataset, sensors: model.sensors, preprocessing: p, warn: (m) => log(`replay ${s.dir}: ${m}`) });
      let id = r.stream;
      for (let k = 2; known.has(id); k++) id = `${r.stream}#${k}`;
      // per input at its own rate for inputs at their own rates
      const rates = multiRateInputs(model.spec);
      const stats = norm !== 'recording' ? undefined : rates ? inputRecordingStats(r.recording, rates, p) : recordingStats(r.recording, model.sensors, p);
      known.set(id, { origin: r.origin, stats });
      log(`replay ${s.dir} (read by dataset adapter "${r.adapter}") as stream "${id}" at ${s.speed === 'max' ? 'full speed' : `${s.speed}x`}`);
      inputs.push(replaySource(r.recording, { speed: s.speed, sensors: model.sensors, stream: id, room: () => backpressure.room() }));
      continue;
    }
    const lines =
      s.kind === 'stdin'
        ? linesFrom(process.stdin, 'stdin')
        : (s.kind === 'tcp' ? tcpSource : wsSource)({
            port: s.port,
            onListening: (port) => log(`listening on ${s.kind} 127.0.0.1:${port}${token !== undefined ? ' (token required)' : ''}`),
            onConnection: (m) => log(m),
            maxConnections,
            idleMs: idle === undefined ? undefined : idle * 1000,
            token,
            allowOrigins: opts.allowOrigin,
          });
    inputs.push(
      new Observable<SampleChunk>((sub) =>
        lines.pipe(parseNdjson()).subscribe({
          next(x) {
            if (!isMalformed(x)) return sub.next(x);
            counters.malformed++;
            if (reported++ < MAX_REPORTED) log(`malformed line ${x.origin} line ${x.lineNo}: ${x.reason}${reported === MAX_REPORTED ? ' (further malformed lines are only counted)' : ''}`);
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        })
      )
    );
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    log(`${sig}: stopping the sources; pending windows are still predicted (send it again to quit at once)`);
    stop$.next();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const write = (e: StreamEvent): void => {
    process.stdout.write(JSON.stringify(e) + '\n');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      merge(...inputs)
        .pipe(
          takeUntil(stop$),
          streamPipeline({
            model,
            preprocessing: p,
            hop,
            norm,
            warmupSeconds: warmup,
            known: (id) => known.get(id),
            rates: E4_NOMINAL_RATES,
            reorderSeconds: reorder,
            queue,
            batch,
            smooth: smoothN,
            maxStreams,
            idleMs: idle === undefined ? undefined : idle * 1000,
            onStreamError: (id, e) => log(`stream "${id}" failed and was closed (the other streams go on): ${e.message}`),
            backpressure,
            counters,
            latency,
          })
        )
        .subscribe({ next: write, error: reject, complete: resolve });
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model.dispose();
  }
  const summary = summarize(counters, latency);
  const f = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
  log(
    `summary: ${summary.streams} stream(s), ${summary.samples} samples, ${summary.predicted} windows predicted, ${summary.skipped} skipped ` +
      `(missing ${summary.skippedBy.missing}, warm-up ${summary.skippedBy.warmup}), ${summary.dropped} dropped, ${summary.malformed} malformed, ` +
      `${summary.duplicates} duplicates, ${summary.late} late${summary.failedStreams ? `, ${summary.failedStreams} failed stream(s)` : ''}, latency p50 ${f(summary.latencyMs.p50)} ms / p95 ${f(summary.latencyMs.p95)} ms`
  );
  if (term.json) process.stdout.write(JSON.stringify({ summary }) + '\n');
}

/** Loads the plugin modules the run's spec named (their custom layers must be registered before its models load). */
export function loadRunPlugins(runDir: string, container: ReturnType<typeof createDefaultContainer>): void {
  const specFile = path.join(runDir, 'spec.json');
  const metricsFile = path.join(runDir, 'metrics.json');
  if (!fs.existsSync(specFile) || !fs.existsSync(metricsFile)) return; // StreamModel.load names what is missing
  const plugins = (JSON.parse(fs.readFileSync(specFile, 'utf8')) as { plugins?: string[] }).plugins ?? [];
  if (!plugins.length) return;
  const baseDir = (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { specBaseDir?: string }).specBaseDir ?? runDir;
  loadPluginModules(container, plugins, baseDir);
}
