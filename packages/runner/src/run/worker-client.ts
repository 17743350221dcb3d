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
import type { JobResult, TrainJob } from './plan';

/**
 * The worker protocol's one client: a child process running the worker script (`ToWorker`/`FromWorker` over IPC),
 * told once how to rebuild the run context, then given jobs one at a time. Used by the process-pool executor and by
 * the queue's job runner (which carries jobs and results over Redis and hands each job to such a worker).
 */
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

export class WorkerClient {
  /** Resolves when the worker has rebuilt the run context; rejects with its (revived) error or when it exits first. */
  readonly ready: Promise<void>;
  private readonly proc: ChildProcess;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitWaiters: (() => void)[] = [];
  /** The pending request's listeners (init, then one job at a time). */
  private onMessage?: (m: FromWorker) => void;
  private onExit?: () => void;

  /** `onExit`: called once when the process has exited (e.g. to remove a folder the worker wrote into). */
  constructor(script: string, init: WorkerInit, onExit?: (code: number | null, signal: NodeJS.Signals | null) => void) {
    this.proc = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.proc.on('message', (m: FromWorker) => this.onMessage?.(m));
    this.proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      onExit?.(code, signal);
      this.onExit?.();
      for (const w of this.exitWaiters.splice(0)) w();
    });
    this.ready = this.request({ type: 'init', init }, 'while preparing the run', (m, resolve) => {
      if (m.type === 'ready') resolve();
    });
    // A worker that never gets a job must not leave an unhandled rejection behind; callers still see it on `ready`.
    this.ready.catch(() => undefined);
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** Runs one job (after `ready`); epochs are reported as they end. Rejects with the job's revived error, or when the process exits. */
  async runJob(job: TrainJob, onEpoch?: (log: EpochLog) => void): Promise<JobResult> {
    await this.ready;
    return this.request<JobResult>({ type: 'job', job }, 'during a job', (m, resolve) => {
      if (m.type === 'epoch') onEpoch?.(m.log);
      else if (m.type === 'done') resolve(m.result);
    });
  }

  /** Asks the worker to exit (kills it if it cannot be told). */
  stop(): void {
    if (this.exited) return;
    try {
      this.proc.send({ type: 'exit' } satisfies ToWorker);
    } catch {
      this.proc.kill();
    }
  }

  /** Kills the process unless it has exited. */
  kill(signal?: NodeJS.Signals): void {
    if (!this.exited && !this.proc.killed) this.proc.kill(signal);
  }

  /** Resolves when the process has exited. */
  whenExited(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise<void>((resolve) => this.exitWaiters.push(resolve));
  }

  private request<T>(message: ToWorker, during: string, handle: (m: FromWorker, resolve: (v: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.onMessage = undefined;
        this.onExit = undefined;
      };
      const gone = (): void => {
        done();
        reject(new FusionError(`a worker process exited unexpectedly ${during} (code ${this.exit?.code}, signal ${this.exit?.signal}).`));
      };
      if (this.exited) return gone();
      this.onMessage = (m) => {
        if (m.type === 'error') {
          done();
          reject(reviveError(m.name, m.message));
        } else
          handle(m, (v) => {
            done();
            resolve(v);
          });
      };
      this.onExit = gone;
      this.proc.send(message);
    });
  }
}
