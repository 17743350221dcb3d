import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EpochLog, JobResult, RunContext, runTrainJob, WorkerClient, WorkerInit } from '@fusion/runner';
import { hashOf, QueueJobData, QueueJobResult } from './protocol';

/** Runs one queued job and returns its result with the model's files (base64). */
export interface JobRunner {
  run(data: QueueJobData, onEpoch: (log: EpochLog) => void): Promise<QueueJobResult>;
  close(): Promise<void>;
}

/** The key of a job's run context: same spec, base folder and cache folder, same prepared data. */
export function contextKey(data: QueueJobData): string {
  return hashOf(data.spec, data.baseDir, data.cacheDir);
}

function readModelFiles(runDir: string, result: JobResult): QueueJobResult {
  const dir = path.join(runDir, result.modelDir);
  const modelFiles = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, modelFiles };
}

/**
 * Jobs in this process, with the prepared run context cached per spec. Training blocks the event loop between
 * batches, so BullMQ may fail to renew a long job's lock: for real workers prefer `ChildProcessJobRunner`.
 */
export class InProcessJobRunner implements JobRunner {
  private readonly contexts = new Map<string, Promise<RunContext>>();

  constructor(private readonly prepare: (data: QueueJobData) => Promise<RunContext>, private readonly cacheSize = 2) {}

  private context(data: QueueJobData): Promise<RunContext> {
    const key = contextKey(data);
    let ctx = this.contexts.get(key);
    if (ctx) {
      this.contexts.delete(key);
      this.contexts.set(key, ctx);
      return ctx;
    }
    ctx = this.prepare(data);
    ctx.catch(() => this.contexts.delete(key));
    this.contexts.set(key, ctx);
    while (this.contexts.size > Math.max(1, this.cacheSize)) this.contexts.delete(this.contexts.keys().next().value!);
    return ctx;
  }

  async run(data: QueueJobData, onEpoch: (log: EpochLog) => void): Promise<QueueJobResult> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-job-'));
    try {
      const ctx = await this.context(data);
      return readModelFiles(tmp, await runTrainJob(ctx, data.job, tmp, { onEpoch }));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.contexts.clear();
  }
}

/** A worker process holding one run's prepared context. */
interface Child {
  key: string;
  worker: WorkerClient;
  runDir: string;
  busy: boolean;
  lastUsed: number;
}

/**
 * Jobs in child processes running the process-pool worker script, through the runner's `WorkerClient`: one child per
 * run context (kept for the next job of the same run, so its data is loaded once), at most `maxIdle` idle children.
 * The queue worker's own event loop stays free to renew job locks while a child trains.
 */
export class ChildProcessJobRunner implements JobRunner {
  private readonly children: Child[] = [];

  /** `override`: the worker's own backend or cache folder instead of the coordinator's. */
  constructor(private readonly script: string, private readonly override: { backend?: string; cacheDir?: string } = {}, private readonly maxIdle = 2) {}

  private spawn(data: QueueJobData): Child {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-worker-'));
    const init: WorkerInit = {
      spec: data.spec,
      baseDir: data.baseDir,
      cacheDir: this.override.cacheDir ?? data.cacheDir,
      backend: this.override.backend ?? data.backend,
      runDir,
    };
    const worker = new WorkerClient(this.script, init, () => {
      fs.rmSync(runDir, { recursive: true, force: true });
      const i = this.children.indexOf(child);
      if (i >= 0) this.children.splice(i, 1);
    });
    const child: Child = { key: contextKey(data), worker, runDir, busy: true, lastUsed: Date.now() };
    this.children.push(child);
    return child;
  }

  private take(data: QueueJobData): Child {
    const key = contextKey(data);
    const idle = this.children.find((c) => c.key === key && !c.busy && !c.worker.exited);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    const child = this.spawn(data);
    // Keep at most maxIdle idle children (the least recently used go first).
    const idles = this.children.filter((c) => !c.busy).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const c of idles.slice(0, Math.max(0, idles.length - this.maxIdle + 1))) c.worker.stop();
    return child;
  }

  async run(data: QueueJobData, onEpoch: (log: EpochLog) => void): Promise<QueueJobResult> {
    const child = this.take(data);
    try {
      return readModelFiles(child.runDir, await child.worker.runJob(data.job, onEpoch));
    } catch (e) {
      // A failed child may hold a broken state: do not reuse it.
      child.worker.stop();
      throw e;
    } finally {
      child.busy = false;
      child.lastUsed = Date.now();
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.children].map((c) => {
        const exited = c.worker.whenExited();
        c.worker.stop();
        setTimeout(() => c.worker.kill('SIGKILL'), 5000).unref();
        return exited;
      })
    );
  }
}
