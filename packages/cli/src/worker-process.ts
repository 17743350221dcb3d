/**
 * A training worker: a child process that rebuilds the run context from the spec it is sent and runs the jobs it is
 * given, one at a time, reporting epochs and results over IPC. Started by the process-pool executor.
 */
import { ioErrorOf, loadSpecObject, getRegistries, selectBackend } from '@fusion/core';
import { FromWorker, prepareRun, RunContext, runTrainJob, ToWorker, WorkerInit } from '@fusion/runner';
import { createDefaultContainer } from './container';

let ctx: RunContext | undefined;
let init: WorkerInit | undefined;

function send(m: FromWorker): void {
  process.send?.(m);
}

function fail(e: unknown, jobId?: string): void {
  // A system error (ENOSPC writing a model...) travels as the IoError it maps to, so the coordinator names it.
  const err = (ioErrorOf(e) ?? e) as Error;
  send({ type: 'error', jobId, name: err?.name ?? 'Error', message: err?.message ?? String(e) });
}

// Ctrl-C reaches the whole process group: the coordinator decides when workers stop.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));

process.on('message', (m: ToWorker) => {
  void (async () => {
    if (m.type === 'init') {
      try {
        init = m.init;
        const container = createDefaultContainer();
        const { spec } = loadSpecObject(init.spec, container, init.baseDir);
        await selectBackend(init.backend);
        ctx = await prepareRun(spec, getRegistries(container), { baseDir: init.baseDir, cacheDir: init.cacheDir });
        send({ type: 'ready' });
      } catch (e) {
        fail(e);
      }
    } else if (m.type === 'job') {
      try {
        const result = await runTrainJob(ctx!, m.job, init!.runDir, { onEpoch: (log) => send({ type: 'epoch', jobId: m.job.id, log }) });
        send({ type: 'done', result });
      } catch (e) {
        fail(e, m.job.id);
      }
    } else if (m.type === 'exit') {
      process.exit(0);
    }
  })();
});
