import { InterruptedError } from '@fusion/core';
import type { EpochLog } from '../model/train';
import { JobHooks, JobResult, RunContext, runTrainJob, TrainJob } from './plan';
import { WorkerClient, WorkerInit } from './worker-client';

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

/**
 * Jobs spread over N child processes (each with its own TensorFlow.js engine and, on wasm, cores / N threads:
 * the processes are what uses several cores). Results are identical to an in-process run: a job depends only on its
 * spec and seed.
 */
export class ProcessPoolExecutor implements JobExecutor {
  readonly description: string;
  private readonly workers: WorkerClient[] = [];

  constructor(private readonly size: number, private readonly script: string, private readonly init: WorkerInit) {
    this.description = `${size} worker processes`;
  }

  async run(jobs: TrainJob[], h: ExecutorHandlers): Promise<void> {
    const queue = [...jobs];
    let failure: Error | undefined;
    const n = Math.max(1, Math.min(this.size, jobs.length));
    const lane = async (): Promise<void> => {
      const worker = new WorkerClient(this.script, this.init);
      this.workers.push(worker);
      await worker.ready;
      while (queue.length && !failure) {
        if (h.shouldStop?.()) throw new InterruptedError();
        const job = queue.shift()!;
        h.onStart?.(job);
        await h.onDone(await worker.runJob(job, (log) => h.onEpoch?.(job, log)));
      }
      worker.stop();
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
    for (const w of this.workers) w.kill();
    this.workers.length = 0;
  }
}
