import * as os from 'os';
import * as path from 'path';
import {
  getRegistries,
  GraphSpec,
  loadSpecFile,
  loadSpecObject,
  ProcessPoolExecutor,
  readRunState,
  resolveOutputDir,
  runExperiment,
  selectBackend,
} from '@fusion/core';
import { writeReport } from '@fusion/report';
import { QueueExecutor, runIdOf } from '@fusion/queue';
import { createDefaultContainer } from '../container';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface RunCommandOptions {
  out?: string;
  backend?: string;
  json?: boolean;
  cacheDir?: string;
  workers?: string;
  resume?: string;
  /** redis://host:port: run the jobs on a BullMQ queue, trained by `fusion-cli worker` processes. */
  queue?: string;
}

/** Default worker count: one per core (each worker's wasm backend then runs one thread, see runCommand). */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function parseWorkers(v: string | undefined): number {
  if (v === undefined) return defaultWorkers();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be a whole number from 1 to 256, received "${v}".`);
  return n;
}

export async function runCommand(specFile: string | undefined, opts: RunCommandOptions, term: Terminal, shouldStop: () => boolean, onOutDir?: (dir: string) => void): Promise<string> {
  const container = createDefaultContainer();
  let spec: GraphSpec;
  let baseDir: string;
  let outDir: string;
  if (opts.resume) {
    outDir = path.resolve(opts.resume);
    const state = readRunState(outDir);
    ({ spec, baseDir } = loadSpecObject(state.spec, container, state.baseDir, path.join(outDir, 'spec.json')));
  } else {
    if (!specFile) throw new UsageError('give a spec file (fusion-cli run spec.json) or --resume <output folder>.');
    ({ spec, baseDir } = loadSpecFile(specFile, container));
    outDir = resolveOutputDir(spec, opts.out);
  }
  onOutDir?.(path.relative(process.cwd(), outDir) || '.');
  if (opts.queue && opts.workers !== undefined) throw new UsageError('give either --queue (jobs trained by fusion-cli worker processes) or --workers (local worker processes), not both.');
  const workers = parseWorkers(opts.workers);
  // Worker processes share the cores: each gets its share of threads unless FUSION_WASM_THREADS says otherwise.
  if (workers > 1 && !opts.queue && !process.env.FUSION_WASM_THREADS) process.env.FUSION_WASM_THREADS = String(Math.max(1, Math.floor(defaultWorkers() / workers)));
  const backend = await selectBackend(opts.backend);
  const cacheDir = path.resolve(opts.cacheDir ?? '.fusion-cache');
  const result = await runExperiment(spec, getRegistries(container), {
    baseDir,
    cacheDir,
    outDir,
    backend: backend.name,
    backendThreads: opts.queue ? undefined : backend.threads,
    reporter: term.onRunEvent,
    shouldStop,
    resume: Boolean(opts.resume),
    extraOutputs: [writeReport],
    executor: opts.queue
      ? (ctx, stagingDir) =>
          new QueueExecutor({
            url: opts.queue!,
            runId: runIdOf(ctx.spec, baseDir, outDir),
            data: { spec: ctx.spec, baseDir, cacheDir, backend: backend.name, runDir: stagingDir },
            log: (line) => term.info(line),
          })
      : workers > 1
        ? (ctx, stagingDir) => new ProcessPoolExecutor(workers, path.join(__dirname, '..', 'worker-process.js'), { spec: ctx.spec, baseDir, cacheDir, backend: backend.name, runDir: stagingDir })
        : undefined,
  });
  if (opts.json) term.printJson({ outDir: result.outDir, backend: result.metrics.backend, seed: result.metrics.seed, execution: result.metrics.execution, summary: result.metrics.summary });
  else term.printSummary(result.metrics, path.relative(process.cwd(), result.outDir) || '.');
  return outDir;
}
