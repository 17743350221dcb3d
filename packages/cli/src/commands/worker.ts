import { UsageError } from '../usage-error';
import * as path from 'path';
import { selectBackend } from '@fusion/core';
import { ChildProcessJobRunner, QueueWorker, realPluginRoots } from '@fusion/queue';
import type { Terminal } from '../terminal';

export interface WorkerCommandOptions {
  queue: string;
  concurrency?: string;
  backend?: string;
  cacheDir?: string;
  lockDuration?: string;
  stalledInterval?: string;
  /** Folders whose plugin modules jobs may load (repeatable); default none: only the built-in plugins. */
  pluginsRoot?: string[];
}

function int(name: string, v: string | undefined, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, received "${v}".`);
  return n;
}

/**
 * `fusion-cli worker --queue redis://host:port`: trains the jobs of `fusion-cli run --queue` runs until stopped
 * (SIGINT/SIGTERM: finishes the running job first; twice: at once). Any number of workers on any machines that see
 * the data path (the spec's dataset paths, resolved on the coordinator) at the same path.
 */
export async function workerCommand(o: WorkerCommandOptions, term: Terminal, stopped: Promise<boolean>): Promise<void> {
  const concurrency = int('concurrency', o.concurrency, 1, 64, 1);
  const lockDuration = int('lock-duration', o.lockDuration, 1000, 3600000, 30000);
  const stalledInterval = int('stalled-interval', o.stalledInterval, 500, 3600000, Math.min(15000, lockDuration));
  // Fail early on a backend this machine cannot load (jobs run in child processes, which select it again).
  if (o.backend) await selectBackend(o.backend);
  const cacheDir = o.cacheDir ? path.resolve(o.cacheDir) : undefined;
  const pluginRoots = realPluginRoots(o.pluginsRoot ?? [], (m) => new UsageError(m));
  const worker = new QueueWorker({
    url: o.queue,
    concurrency,
    lockDuration,
    stalledInterval,
    pluginRoots,
    log: (line) => term.info(`worker ${process.pid}: ${line}`),
    // Each run's context lives in a child process (the process-pool worker script), kept for the run's next job.
    runner: new ChildProcessJobRunner(path.join(__dirname, '..', 'worker-process.js'), { backend: o.backend, cacheDir }),
  });
  await worker.start();
  term.info(`worker ${process.pid}: ready on ${worker.description}, concurrency ${concurrency}, lock ${lockDuration} ms, plugins from ${pluginRoots.length ? pluginRoots.join(', ') : 'no folder (built-ins only)'}`);
  const force = await stopped;
  term.info(`worker ${process.pid}: stopping${force ? ' now' : ' after the running job'} (${worker.done} job${worker.done === 1 ? '' : 's'} done)`);
  await worker.close(force);
}
