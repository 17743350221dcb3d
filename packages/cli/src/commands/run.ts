import * as os from 'os';
import * as path from 'path';
import { getRegistries, GraphSpec, loadSpecFile, loadSpecObject, resolveOutputDir, selectBackend, specGraphView } from '@fusion/core';
import { claimOutput, ProcessPoolExecutor, readRunState, runExperiment } from '@fusion/runner';
import { writeReport } from '@fusion/report';
import { QueueExecutor, runIdOf } from '@fusion/queue';
import { createDefaultContainer } from '../container';
import { memoryLimit } from '../options';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface RunCommandOptions {
  out?: string;
  backend?: string;
  json?: boolean;
  cacheDir?: string;
  workers?: string;
  resume?: string;
  /** Replace a finished run at the output folder (only a folder fusion made) or an interrupted run's partial folder. */
  overwrite?: boolean;
  /** redis://host:port: run the jobs on a BullMQ queue, trained by `fusion-cli worker` processes. */
  queue?: string;
  /** Overrides training.maxMemoryMB (MB). */
  maxMemory?: number;
}

/** Default worker count: one per core (each worker's wasm backend runs one thread unless FUSION_WASM_THREADS says otherwise). */
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
  const load = { maxMemoryMB: memoryLimit(opts.maxMemory) };
  let spec: GraphSpec;
  let baseDir: string;
  let outDir: string;
  let source: string;
  if (opts.resume) {
    outDir = path.resolve(opts.resume);
    source = '--resume';
    const state = readRunState(outDir);
    ({ spec, baseDir } = loadSpecObject(state.spec, container, state.baseDir, path.join(outDir, 'spec.json'), load));
  } else {
    if (!specFile) throw new UsageError('give a spec file (fusion-cli run spec.json) or --resume <output folder>.');
    ({ spec, baseDir } = loadSpecFile(specFile, container, load));
    outDir = resolveOutputDir(spec, opts.out);
    source = opts.out !== undefined ? '--out' : `${specFile}: at /output/dir${spec.output.dir.includes('${name}') ? ` (with /name "${spec.name}")` : ''}`;
  }
  if (opts.queue && opts.workers !== undefined) throw new UsageError('give either --queue (jobs trained by fusion-cli worker processes) or --workers (local worker processes), not both.');
  const workers = parseWorkers(opts.workers);
  // Before any data is loaded: never a folder fusion did not make; a finished run is kept unless --overwrite.
  const claimed = claimOutput(outDir, { source, overwrite: opts.overwrite, resume: Boolean(opts.resume), warn: (m) => term.warn(m) });
  outDir = claimed.outDir;
  if (claimed.newFolderBecause) term.info(`note: ${claimed.newFolderBecause}`);
  onOutDir?.(path.relative(process.cwd(), outDir) || '.');
  let result: Awaited<ReturnType<typeof runExperiment>>;
  try {
    const backend = await selectBackend(opts.backend);
    const cacheDir = path.resolve(opts.cacheDir ?? '.fusion-cache');
    result = await runExperiment(spec, getRegistries(container), {
      baseDir,
      cacheDir,
      outDir,
      backend: backend.name,
      backendThreads: opts.queue ? undefined : backend.threads,
      reporter: term.onRunEvent,
      shouldStop,
      resume: Boolean(opts.resume),
      overwrite: opts.overwrite,
      extraOutputs: [(metrics, out) => writeReport(metrics, out, specGraphView(spec, getRegistries(container)))],
      executor: opts.queue
        ? (ctx, stagingDir) =>
            new QueueExecutor({
              url: opts.queue!,
              runId: runIdOf(ctx.spec, baseDir, outDir),
              data: { spec: ctx.spec, baseDir, cacheDir, backend: backend.name, runDir: stagingDir },
              log: (line) => term.info(line),
              warn: (line) => term.warn(line),
            })
        : workers > 1
          ? (ctx, stagingDir) => new ProcessPoolExecutor(workers, path.join(__dirname, '..', 'worker-process.js'), { spec: ctx.spec, baseDir, cacheDir, backend: backend.name, runDir: stagingDir })
          : undefined,
    });
  } finally {
    claimed.lock.release();
  }
  if (opts.json) {
    term.printJson({
      outDir: result.outDir,
      requestedOutDir: claimed.requested,
      newFolderBecause: claimed.newFolderBecause ?? null,
      replaced: claimed.replaces,
      backend: result.metrics.backend,
      seed: result.metrics.seed,
      execution: result.metrics.execution,
      summary: result.metrics.summary,
    });
  } else {
    term.printSummary(result.metrics, path.relative(process.cwd(), result.outDir) || '.');
    if (claimed.newFolderBecause) term.result(`note: ${claimed.newFolderBecause}`);
    else if (claimed.replaces) term.result(`note: the earlier run in ${path.relative(process.cwd(), result.outDir) || '.'} was replaced (--overwrite).`);
  }
  return outDir;
}
