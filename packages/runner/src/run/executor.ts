import { ChildProcess, fork } from 'child_process';
import {
  DataFormatError,
  DatasetError,
  DuplicatePluginError,
  FusionError,
  InterruptedError,
  IoError,
  OutputError,
  PluginError,
  ShapeMismatchError,
  SpecValidationError,
  TrainingError,
  UnknownPluginError,
} from '@fusion/core';
import type { EpochLog } from '../model/train';
import { JobHooks, JobResult, RunContext, runTrainJob, TrainJob } from './plan';

export interface ExecutorHandlers {
  onStart?(job: TrainJob): void;
  onEpoch?(job: TrainJob, log: EpochLog): void;
  onDone(result: JobResult): void | Promise<void>;
  shouldStop?(): boolean;
}

/** Runs training jobs somewhere: here, in worker processes, or on a queue. */
export interface JobExecutor {
  readonly description: string;
  run(jobs: TrainJob[], handlers: ExecutorHandlers): Promise<void>;
  close(): Promise<void>;
}

/** One job after another in this process. */
export class InProcessExecutor implements JobExecutor {
  readonly description = 'in process';
  constructor(private readonly ctx: RunContext, private readonly runDir: string) {}

  async run(jobs: TrainJob[], h: ExecutorHandlers): Promise<void> {
    for (const job of jobs) {
      if (h.shouldStop?.()) throw new InterruptedError();
      h.onStart?.(job);
      const hooks: JobHooks = { onEpoch: (log) => h.onEpoch?.(job, log), shouldStop: h.shouldStop };
      await h.onDone(await runTrainJob(this.ctx, job, this.runDir, hooks));
    }
  }

  async close(): Promise<void> {
    return undefined;
  }
}

/** What a worker process needs to rebuild the run context: the validated spec and where its paths point. */
export interface WorkerInit {
  spec: unknown;
  baseDir: string;
  cacheDir: string;
  backend: string;
  runDir: string;
}

export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'job'; job: TrainJob } | { type: 'exit' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'epoch'; jobId: string; log: EpochLog }
  | { type: 'done'; result: JobResult }
  | { type: 'error'; jobId?: string; name: string; message: string };

/** Rebuilds a named error from a worker with its class, so the CLI and the run classify it as a local one. */
export function reviveError(name: string, message: string): Error {
  const classes: Record<string, { prototype: Error }> = {
    FusionError,
    TrainingError,
    InterruptedError,
    DatasetError,
    DataFormatError,
    IoError,
    OutputError,
    PluginError,
    ShapeMismatchError,
    SpecValidationError,
    UnknownPluginError,
    DuplicatePluginError,
  };
  const cls = classes[name];
  if (!cls) {
    const e = new Error(message);
    e.name = name;
    return e;
  }
  // The named classes take different constructor arguments; the message already says everything.
  const e = new FusionError(message);
  Object.setPrototypeOf(e, cls.prototype);
  e.name = name;
  return e;
}

/**
 * Jobs spread over N child processes (each with its own TensorFlow.js engine and, on wasm, cores / N threads:
 * the processes are what uses several cores). Results are identical to an in-process run: a job depends only on its
 * spec and seed.
 */
export class ProcessPoolExecutor implements JobExecutor {
  readonly description: string;
  private readonly children: ChildProcess[] = [];

  constructor(private readonly workers: number, private readonly script: string, private readonly init: WorkerInit) {
    this.description = `${workers} worker processes`;
  }

  async run(jobs: TrainJob[], h: ExecutorHandlers): Promise<void> {
    const queue = [...jobs];
    let failure: Error | undefined;
    const n = Math.max(1, Math.min(this.workers, jobs.length));
    const lane = async (): Promise<void> => {
      const child = fork(this.script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      this.children.push(child);
      const inbox: FromWorker[] = [];
      let wake: (() => void) | undefined;
      let exited: number | null | undefined;
      child.on('message', (m: FromWorker) => {
        if (m.type === 'epoch') {
          const job = jobs.find((j) => j.id === m.jobId);
          if (job) h.onEpoch?.(job, m.log);
          return;
        }
        inbox.push(m);
        wake?.();
      });
      child.on('exit', (code) => {
        exited = code;
        wake?.();
      });
      const next = async (): Promise<FromWorker> => {
        while (!inbox.length) {
          if (exited !== undefined) throw new FusionError(`a worker process exited unexpectedly (code ${exited}).`);
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
        return inbox.shift()!;
      };
      child.send({ type: 'init', init: this.init } satisfies ToWorker);
      const ready = await next();
      if (ready.type === 'error') throw reviveError(ready.name, ready.message);
      while (queue.length && !failure) {
        if (h.shouldStop?.()) throw new InterruptedError();
        const job = queue.shift()!;
        h.onStart?.(job);
        child.send({ type: 'job', job } satisfies ToWorker);
        const m = await next();
        if (m.type === 'error') throw reviveError(m.name, m.message);
        if (m.type === 'done') await h.onDone(m.result);
      }
      child.send({ type: 'exit' } satisfies ToWorker);
    };
    const lanes = Array.from({ length: n }, () =>
      lane().catch((e: Error) => {
        failure ??= e;
      })
    );
    await Promise.all(lanes);
    await this.close();
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && !c.killed) c.kill();
    this.children.length = 0;
  }
}
