import { Job, UnrecoverableError, Worker } from 'bullmq';
import { isPermanentError } from '@fusion/core';
import type { JobRunner } from './job-runner';
import { checkJobPlugins } from './plugin-roots';
import { connectionOf, DEFAULT_QUEUE_NAME, encodeError, probeRedis, QueueJobData, QueueJobResult, redactUrl, within } from './protocol';

export interface QueueWorkerOptions {
  url: string;
  queueName?: string;
  /** Jobs run at once in this process (TensorFlow.js wasm is single-threaded: start more workers for more cores). Default 1. */
  concurrency?: number;
  /** Milliseconds a job stays locked to this worker without a renewal; a killed worker's job is re-queued after it. Default 30000. */
  lockDuration?: number;
  /** Milliseconds between checks for jobs whose worker died (stalled jobs). Default 15000. */
  stalledInterval?: number;
  /** How often a job may stall (its worker dying) before it fails. Default 2. */
  maxStalledCount?: number;
  /** Runs a job (in child processes for real workers: `ChildProcessJobRunner`); closed with the worker. */
  runner: JobRunner;
  /** Progress lines; default silent. */
  log?: (line: string) => void;
  /** Real paths of the folders whose plugin modules jobs may load (see `checkJobPlugins`); default none. */
  pluginRoots?: readonly string[];
}

/**
 * A queue worker: takes training jobs from the queue and runs them, one context per run (cached by spec and base
 * folder, so consecutive jobs of a run do not load the data again). A job's return value carries its result and its
 * model's files. Errors of the data, the spec or training fail the job at once (BullMQ `UnrecoverableError`); other
 * errors are retried up to the job's attempts; a worker that dies mid-job leaves a stalled job that BullMQ gives to
 * another worker once its lock expires.
 */
export class QueueWorker {
  private worker: Worker<QueueJobData, QueueJobResult> | undefined;
  readonly description: string;
  done = 0;

  constructor(private readonly opts: QueueWorkerOptions) {
    connectionOf(opts.url);
    this.description = `${redactUrl(opts.url)} (${opts.queueName ?? DEFAULT_QUEUE_NAME})`;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private async process(job: Job<QueueJobData, QueueJobResult>): Promise<QueueJobResult> {
    const d = job.data;
    this.log(`job ${d.job.id} of run ${d.runId}: started (attempt ${job.attemptsMade + 1})`);
    try {
      checkJobPlugins(d, this.opts.pluginRoots ?? []);
      const result = await this.opts.runner.run(d, (log) => {
        job.updateProgress({ epoch: log }).catch(() => undefined);
      });
      this.done++;
      this.log(`job ${d.job.id} of run ${d.runId}: done`);
      return result;
    } catch (e) {
      this.log(`job ${d.job.id} of run ${d.runId}: failed: ${encodeError(e)}${isPermanentError(e) ? ' (not retried)' : ''}`);
      if (isPermanentError(e)) throw new UnrecoverableError(encodeError(e));
      throw new Error(encodeError(e));
    }
  }

  /** Connects and starts taking jobs; resolves once connected. */
  async start(connectTimeoutMs = 10000): Promise<void> {
    const o = this.opts;
    await probeRedis(o.url, connectTimeoutMs);
    const worker = (this.worker = new Worker<QueueJobData, QueueJobResult>(o.queueName ?? DEFAULT_QUEUE_NAME, (job) => this.process(job), {
      connection: connectionOf(o.url),
      concurrency: o.concurrency ?? 1,
      lockDuration: o.lockDuration ?? 30000,
      stalledInterval: o.stalledInterval ?? 15000,
      maxStalledCount: o.maxStalledCount ?? 2,
      autorun: false,
    }));
    let lastError = '';
    worker.on('error', (e) => {
      if (e.message !== lastError) this.log(`queue connection problem: ${e.message} (retrying)`);
      lastError = e.message;
    });
    await within(worker.waitUntilReady(), connectTimeoutMs, `cannot reach Redis at ${redactUrl(o.url)}. Start redis-server there or check --queue.`);
    void worker.run().catch((e: Error) => this.log(`worker stopped: ${e.message}`));
  }

  /** Stops taking jobs; with `force` false, waits for the running ones to finish. */
  async close(force = false): Promise<void> {
    await this.worker?.close(force);
    this.worker = undefined;
    await this.opts.runner.close();
  }
}
