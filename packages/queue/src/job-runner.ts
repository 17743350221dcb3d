import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FusionError } from '@fusion/core';
import { EpochLog, FromWorker, JobResult, reviveError, RunContext, runTrainJob, ToWorker, WorkerInit } from '@fusion/runner';
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

/** A child process holding one run's prepared context. */
interface Child {
  key: string;
  proc: ChildProcess;
  runDir: string;
  ready: Promise<void>;
  busy: boolean;
  /** The running job's listeners. */
  onMessage?: (m: FromWorker) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  exited: boolean;
  lastUsed: number;
}

/**
 * Jobs in child processes running the process-pool worker script (`ToWorker`/`FromWorker` over IPC): one child per
 * run context (kept for the next job of the same run, so its data is loaded once), at most `maxIdle` idle children.
 * The queue worker's own event loop stays free to renew job locks while a child trains.
 */
export class ChildProcessJobRunner implements JobRunner {
  private readonly children: Child[] = [];

  /** `override`: the worker's own backend or cache folder instead of the coordinator's. */
  constructor(private readonly script: string, private readonly override: { backend?: string; cacheDir?: string } = {}, private readonly maxIdle = 2) {}

  private spawn(data: QueueJobData): Child {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-worker-'));
    const proc = fork(this.script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const child: Child = { key: contextKey(data), proc, runDir, busy: true, exited: false, lastUsed: Date.now(), ready: Promise.resolve() };
    proc.on('message', (m: FromWorker) => child.onMessage?.(m));
    proc.on('exit', (code, signal) => {
      child.exited = true;
      fs.rmSync(runDir, { recursive: true, force: true });
      const i = this.children.indexOf(child);
      if (i >= 0) this.children.splice(i, 1);
      child.onExit?.(code, signal);
    });
    const init: WorkerInit = {
      spec: data.spec,
      baseDir: data.baseDir,
      cacheDir: this.override.cacheDir ?? data.cacheDir,
      backend: this.override.backend ?? data.backend,
      runDir,
    };
    child.ready = new Promise<void>((resolve, reject) => {
      child.onMessage = (m) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'error') reject(reviveError(m.name, m.message));
      };
      child.onExit = (code, signal) => reject(new FusionError(`the job process exited while preparing the run (code ${code}, signal ${signal}).`));
    });
    proc.send({ type: 'init', init } satisfies ToWorker);
    this.children.push(child);
    return child;
  }

  private take(data: QueueJobData): Child {
    const key = contextKey(data);
    const idle = this.children.find((c) => c.key === key && !c.busy && !c.exited);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    const child = this.spawn(data);
    // Keep at most maxIdle idle children (the least recently used go first).
    const idles = this.children.filter((c) => !c.busy).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const c of idles.slice(0, Math.max(0, idles.length - this.maxIdle + 1))) this.stop(c);
    return child;
  }

  private stop(c: Child): void {
    if (c.exited) return;
    try {
      c.proc.send({ type: 'exit' } satisfies ToWorker);
    } catch {
      c.proc.kill();
    }
  }

  async run(data: QueueJobData, onEpoch: (log: EpochLog) => void): Promise<QueueJobResult> {
    const child = this.take(data);
    try {
      await child.ready;
      const result = await new Promise<JobResult>((resolve, reject) => {
        child.onMessage = (m) => {
          if (m.type === 'epoch') onEpoch(m.log);
          else if (m.type === 'done') resolve(m.result);
          else if (m.type === 'error') reject(reviveError(m.name, m.message));
        };
        child.onExit = (code, signal) => reject(new FusionError(`the job process exited unexpectedly (code ${code}, signal ${signal}).`));
        child.proc.send({ type: 'job', job: data.job } satisfies ToWorker);
      });
      return readModelFiles(child.runDir, result);
    } catch (e) {
      // A failed child may hold a broken state: do not reuse it.
      this.stop(child);
      throw e;
    } finally {
      child.onMessage = undefined;
      child.onExit = undefined;
      child.busy = false;
      child.lastUsed = Date.now();
    }
  }

  async close(): Promise<void> {
    const all = [...this.children];
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exited) return resolve();
            c.proc.once('exit', () => resolve());
            this.stop(c);
            setTimeout(() => {
              if (!c.exited) c.proc.kill('SIGKILL');
            }, 5000).unref();
          })
      )
    );
  }
}
