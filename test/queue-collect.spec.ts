import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { PluginError } from '@fusion/core';
import { JobResult, TrainJob } from '@fusion/runner';
import { encodeError, QueueExecutor } from '@fusion/queue';
import { Proc, skipWithoutRedis, startRedis, tmpDir } from './helpers';

/**
 * How the queue coordinator collects a job a worker finishes while the coordinator is looking at it (under load, or
 * as Redis comes back after an outage, a worker may finish a job between two of the coordinator's reads). Real
 * redis-server and BullMQ; the race is made certain, not timed: whenever the coordinator reads a job that is not
 * finished yet, the worker is let go and the read is answered only once the worker has finished the job.
 */
describe('queue coordinator: a job finished while the coordinator reads it is collected with its result or failure', function () {
  this.timeout(120000);
  let dir: string;
  let redis: Proc | undefined;
  let url: string;
  const closers: (() => Promise<unknown>)[] = [];
  const getJob = Queue.prototype.getJob;
  const getJobState = Queue.prototype.getJobState;

  before(async function () {
    skipWithoutRedis(this, 'the queue collection tests');
    dir = tmpDir('fusion-qcollect-');
    ({ proc: redis, url } = await startRedis(dir));
  });
  afterEach(async () => {
    Queue.prototype.getJob = getJob;
    Queue.prototype.getJobState = getJobState;
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });
  after(async () => {
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs one job through a QueueExecutor; an in-process BullMQ worker holds the job until the coordinator has read
   * it unfinished, then ends it with `finish`. Returns the results collected, or the error the run failed with.
   */
  const runRacing = async (queueName: string, finish: (job: TrainJob) => JobResult & { modelFiles: Record<string, string> }): Promise<{ results: JobResult[]; error?: Error }> => {
    const finished = (s: string): boolean => s === 'completed' || s === 'failed';
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // Any read of the job that finds it unfinished lets the worker go; a read of the whole job (its fields) is
    // answered only after the worker has finished it, as if the worker had been quicker than the next read.
    Queue.prototype.getJobState = async function (this: Queue, id: string) {
      const s = await getJobState.call(this, id);
      if (!finished(s) && s !== 'unknown') release();
      return s;
    } as typeof getJobState;
    Queue.prototype.getJob = async function (this: Queue, id: string) {
      const j = await getJob.call(this, id);
      if (j && !finished(await getJobState.call(this, id))) {
        release();
        while (!finished(await getJobState.call(this, id))) await new Promise((r) => setTimeout(r, 20));
      }
      return j;
    } as typeof getJob;
    const conn = { host: '127.0.0.1', port: Number(new URL(url).port), maxRetriesPerRequest: null };
    const worker = new Worker(
      queueName,
      async (job: Job) => {
        await released;
        return finish(job.data.job as TrainJob);
      },
      { connection: conn }
    );
    closers.push(() => worker.close(true));
    const runDir = fs.mkdtempSync(path.join(dir, 'run-'));
    const ex = new QueueExecutor({ url, queueName, runId: queueName, pollMs: 50, data: { spec: {}, baseDir: dir, cacheDir: dir, backend: 'wasm', runDir } });
    closers.push(() => ex.close());
    const job: TrainJob = { id: 'fold-1-member-1', fold: 0, member: 0, seed: 1 };
    const results: JobResult[] = [];
    try {
      await ex.run([job], { onDone: (r) => void results.push(r) });
      return { results };
    } catch (e) {
      return { results, error: e as Error };
    }
  };

  it('a job completed between reads is collected with its result and model files', async () => {
    const { results, error } = await runRacing('race-completed', (job) => ({
      ...job,
      history: [],
      bestEpoch: 1,
      epochsRun: 1,
      stoppedEarly: false,
      probs: [0.5, 0.5],
      valProbs: [],
      modelDir: 'models/fold-1-member-1',
      modelFiles: { 'model.json': Buffer.from('{"ok":1}').toString('base64') },
    }));
    expect(error?.message, 'no error').to.equal(undefined);
    expect(results.map((r) => r.id)).to.deep.equal(['fold-1-member-1']);
  });

  it('a job failed permanently between reads fails the run with the worker\'s message', async () => {
    const { error } = await runRacing('race-failed', () => {
      throw new UnrecoverableError(encodeError(new PluginError('./p.js', "outside the worker's plugin roots")));
    });
    expect(error, 'the run fails').to.be.instanceOf(Error);
    expect(error!.name).to.equal('PluginError');
    expect(error!.message).to.contain("outside the worker's plugin roots");
  });
});
