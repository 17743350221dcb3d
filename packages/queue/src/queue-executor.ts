import * as fs from 'fs';
import * as path from 'path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { OutputError, InterruptedError } from '@fusion/core';
import { EpochLog, ExecutorHandlers, JobExecutor, JobResult, TrainJob } from '@fusion/runner';
import { safeResultDir } from './plugin-roots';
import { closeWithin, connectionOf, decodeError, DEFAULT_QUEUE_NAME, probeRedis, QueueJobData, QueueJobResult, queueJobId, redactUrl, within } from './protocol';

export interface QueueExecutorOptions {
  /** redis://host:port[/db] */
  url: string;
  queueName?: string;
  /** The run's id (see `runIdOf`): with the TrainJob id it makes the BullMQ job id. */
  runId: string;
  /** What every job of the run carries besides its TrainJob. `runDir` is where model files are written back. */
  data: Omit<QueueJobData, 'job' | 'runId'>;
  /** Tries per job before the run fails (errors of the data, the spec or training fail at once). Default 3. */
  attempts?: number;
  /** Milliseconds between full checks of the outstanding jobs (events normally wake the coordinator sooner). Default 2000. */
  pollMs?: number;
  /** How long finished jobs stay in Redis for a coordinator that is away, in seconds. Default 7 days. */
  keepSeconds?: number;
  /** How long to wait for Redis when starting, in milliseconds. Default 10000. */
  connectTimeoutMs?: number;
  /** Progress lines (enqueued, collected); default silent. */
  log?: (line: string) => void;
  /** Warnings (Redis went away); default: `log`. */
  warn?: (line: string) => void;
}

/**
 * Runs a run's jobs on a BullMQ queue in Redis, trained by `fusion-cli worker` processes on any machine that sees
 * the data path. Each job's BullMQ id is the run id plus the job id, so enqueueing a run again (a restarted
 * coordinator, `--resume`) adds nothing twice; jobs already completed in the queue are collected, not redone.
 * Results, the trained model's files included, come back as the job's return value and are written into the
 * coordinator's staging folder; epochs come back as job progress.
 */
export class QueueExecutor implements JobExecutor {
  readonly description: string;
  private queue: Queue | undefined;
  private events: QueueEvents | undefined;
  private readonly name: string;

  constructor(private readonly opts: QueueExecutorOptions) {
    this.name = opts.queueName ?? DEFAULT_QUEUE_NAME;
    this.description = `queue ${redactUrl(opts.url)} (${this.name})`;
    connectionOf(opts.url);
  }

  async run(jobs: TrainJob[], h: ExecutorHandlers): Promise<void> {
    if (!jobs.length) return;
    const o = this.opts;
    const log = o.log ?? (() => undefined);
    const connection = connectionOf(o.url);
    const attempts = o.attempts ?? 3;
    const keep = o.keepSeconds ?? 7 * 24 * 3600;
    await probeRedis(o.url, o.connectTimeoutMs ?? 10000);
    const warn = o.warn ?? log;
    // Redis going away is said at once (ioredis reports each failed reconnection); commands wait for it to return.
    let down = false;
    const onRedisError = (e: Error): void => {
      if (down || this.queue?.closing) return;
      down = true;
      warn(`queue: lost Redis at ${redactUrl(o.url)} (${e.message}); waiting for it to come back. Jobs running on workers go on; the run continues when Redis answers again.`);
    };
    const queue = (this.queue = new Queue<QueueJobData, QueueJobResult>(this.name, { connection }));
    const events = (this.events = new QueueEvents(this.name, { connection }));
    queue.on('error', onRedisError);
    events.on('error', onRedisError);
    await within(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), o.connectTimeoutMs ?? 10000, `cannot reach Redis at ${redactUrl(o.url)}. Start redis-server there or check --queue.`);

    const byId = new Map(jobs.map((j) => [queueJobId(o.runId, j.id), j]));
    const outstanding = new Set(byId.keys());
    const flagged = new Set<string>();
    let wake: (() => void) | undefined;
    const poke = (id: string): void => {
      if (!outstanding.has(id)) return;
      flagged.add(id);
      wake?.();
    };
    events.on('active', ({ jobId }) => {
      const j = byId.get(jobId);
      if (j && outstanding.has(jobId)) h.onStart?.(j);
    });
    events.on('progress', ({ jobId, data }) => {
      const j = byId.get(jobId);
      const epoch = (data as { epoch?: EpochLog } | undefined)?.epoch;
      if (j && epoch && outstanding.has(jobId)) h.onEpoch?.(j, epoch);
    });
    events.on('completed', ({ jobId }) => poke(jobId));
    events.on('failed', ({ jobId }) => poke(jobId));

    const add = (id: string, job: TrainJob): Promise<unknown> =>
      queue.add(
        job.id,
        { ...o.data, runId: o.runId, job },
        { jobId: id, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: keep }, removeOnFail: { age: keep } }
      );
    let added = 0;
    let present = 0;
    for (const [id, job] of byId) {
      const existing = await queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (state === 'failed') {
          // A failure of an earlier attempt at this run: the run was started again, so the job is tried again.
          await existing.remove();
          await add(id, job);
          added++;
        } else present++;
      } else {
        await add(id, job);
        added++;
      }
    }
    log(`queue: ${added} job${added === 1 ? '' : 's'} enqueued on ${this.description}${present ? `, ${present} already there (finished ones are collected)` : ''}; waiting for workers (fusion-cli worker --queue ${redactUrl(o.url)})`);

    /** Collects a finished job; true when the job is no longer outstanding. */
    const check = async (id: string): Promise<void> => {
      const job = byId.get(id)!;
      // The state first, the job's fields after: a job read while still waiting or active has no result and no
      // failure reason yet, and a worker may finish it before its state is asked (under load, or as Redis comes
      // back), which made a completed job look empty ("returned null") and a failure lose its message.
      // A finished job's fields are final, so read after a finished state they hold its result or reason.
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
      const bj: Job<QueueJobData, QueueJobResult> | undefined = state === 'unknown' ? undefined : await queue.getJob(id);
      if (!bj) {
        // Removed from Redis by someone else (or expired) before it was collected: enqueue it again.
        await add(id, job);
        return;
      }
      if (state === 'completed') {
        const r = bj.returnvalue;
        if (!r || !r.modelFiles) throw new OutputError(`job ${job.id}: the queue holds no result for it (returned ${JSON.stringify(r)?.slice(0, 80)}).`);
        const { modelFiles, ...result } = r;
        // A result comes from another machine: its files may only land inside this run's folder, under its own id.
        const refuse = (why: string): OutputError =>
          new OutputError(`job ${job.id}: refusing the files a queue worker returned: ${why}. Is a worker of another fusion version, or someone else, using this queue?`);
        if (result.id !== job.id) throw refuse(`they are labelled as job ${JSON.stringify(result.id)}`);
        const dir = safeResultDir(o.data.runDir, result.modelDir, Object.keys(modelFiles), refuse);
        for (const [name, b64] of Object.entries(modelFiles)) fs.writeFileSync(path.join(dir, name), Buffer.from(String(b64), 'base64'));
        outstanding.delete(id);
        await h.onDone(result as JobResult);
      } else if (state === 'failed') {
        outstanding.delete(id);
        throw decodeError(bj.failedReason, job.id, bj.attemptsMade);
      }
    };

    let lastFull = 0;
    try {
      while (outstanding.size) {
        if (h.shouldStop?.()) throw new InterruptedError();
        const full = Date.now() - lastFull >= (o.pollMs ?? 2000);
        const ids = full ? [...outstanding] : [...flagged].filter((id) => outstanding.has(id));
        if (full) lastFull = Date.now();
        flagged.clear();
        for (const id of ids) await check(id);
        if (full && down) {
          down = false;
          log(`queue: Redis at ${redactUrl(o.url)} answers again; continuing.`);
        }
        if (!outstanding.size) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(500, o.pollMs ?? 2000));
        });
        wake = undefined;
      }
    } catch (e) {
      if (!(e instanceof InterruptedError)) await this.withdraw(outstanding);
      throw e;
    }
    // Every result is now in the staging folder: the queue need not keep them.
    for (const id of byId.keys()) await (await queue.getJob(id))?.remove().catch(() => undefined);
  }

  /** After a failure: takes the run's jobs that no worker has started off the queue (started ones finish and expire). */
  private async withdraw(ids: Iterable<string>): Promise<void> {
    const queue = this.queue!;
    for (const id of ids) {
      try {
        const j = await queue.getJob(id);
        const state = j ? await j.getState() : undefined;
        if (j && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) await j.remove();
      } catch {
        // best effort
      }
    }
  }

  async close(): Promise<void> {
    const all = [this.events, this.queue].filter((x): x is Queue | QueueEvents => Boolean(x));
    this.events = undefined;
    this.queue = undefined;
    await Promise.all(all.map((x) => closeWithin(x)));
  }
}
