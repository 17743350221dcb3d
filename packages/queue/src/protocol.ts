import { createHash } from 'crypto';
import * as net from 'net';
import * as tls from 'tls';
import type { ConnectionOptions } from 'bullmq';
import { FusionError, isPermanentError } from '@fusion/core';
import { JobResult, reviveError, TrainJob } from '@fusion/runner';

/** The default BullMQ queue name of training jobs. */
export const DEFAULT_QUEUE_NAME = 'fusion-train';

/**
 * What a queued training job carries: enough for any worker to rebuild the run context (the validated spec and
 * where its relative paths point) and run the job. Workers must see `baseDir` (the data path) at the same path.
 */
export interface QueueJobData {
  /** The run this job belongs to (see `runIdOf`). */
  runId: string;
  spec: unknown;
  /** The spec file's folder on the coordinator: relative dataset and plugin paths are resolved against it. */
  baseDir: string;
  /** The coordinator's cache folder for generated data (a worker may override it with its own). */
  cacheDir: string;
  /** The coordinator's backend (a worker uses it unless started with --backend). */
  backend: string;
  /** The coordinator's staging folder (informative: results, model files included, come back through the queue). */
  runDir: string;
  job: TrainJob;
}

/**
 * A job's return value: the run's `JobResult` plus the trained model's files (`model.json`, `weights.bin`), base64,
 * so the coordinator needs no shared output folder with the workers.
 */
export interface QueueJobResult extends JobResult {
  modelFiles: Record<string, string>;
}

/** JSON with object keys sorted, so equal values always hash alike. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export function hashOf(...parts: unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/**
 * A run's id on the queue: the spec name and a hash of the validated spec, its base folder and the output folder.
 * The same run (a restarted coordinator, `--resume`) gets the same id, so its jobs are enqueued once and results
 * finished while the coordinator was away are found again; a changed spec gets a new id and never picks up old results.
 */
export function runIdOf(spec: { name: string }, baseDir: string, outDir: string): string {
  return `${spec.name}-${hashOf(spec, baseDir, outDir).slice(0, 16)}`;
}

/** The BullMQ job id of a run's job (BullMQ ids may not contain ":"). */
export function queueJobId(runId: string, jobId: string): string {
  return `${runId}--${jobId}`;
}

/** An error as a BullMQ failure reason: `[Name] message`, so the coordinator can rebuild the named error. */
export function encodeError(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  return `[${err.name}] ${err.message}`;
}

export function decodeError(reason: string | undefined, jobId: string, attempts: number): Error {
  const m = /^\[(\w+)\] ([\s\S]*)$/.exec(reason ?? '');
  if (m) {
    const e = reviveError(m[1], m[2]);
    if (!isPermanentError(e)) e.message = `job ${jobId} failed on the queue workers after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${m[2]}`;
    return e;
  }
  return new FusionError(`job ${jobId} failed on the queue workers after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason ?? 'no reason given'}`);
}

/** BullMQ connection options from a redis:// or rediss:// URL (`redis://[user:password@]host[:port][/db]`). */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FusionError(`--queue expects a Redis URL such as redis://127.0.0.1:6379, received "${url}".`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new FusionError(`--queue expects a redis:// or rediss:// URL, received "${url}".`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new FusionError(`the Redis database in "${url}" must be a whole number, e.g. redis://host:6379/0.`);
  // WHATWG URLs keep an IPv6 host in brackets ([::1]); ioredis and net.connect want it bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // TLS checks the server's certificate against the host name (SNI), as ioredis does for rediss://.
    ...(u.protocol === 'rediss:' ? { tls: net.isIP(host) ? {} : { servername: host } } : {}),
    // Workers block on Redis; BullMQ requires unlimited retries per request for them.
    maxRetriesPerRequest: null,
  };
}

/** The URL without its password, for logs and metrics. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Rejects after `ms` with a named error (e.g. Redis not reachable), otherwise resolves as `p`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new FusionError(what)), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** A Redis command in the protocol's array form (safe for passwords with spaces or newlines). */
function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Checks that a Redis server answers at `url` within `ms` (AUTH with the URL's credentials, then PING, over TCP or
 * TLS), so an unreachable queue, a missing or wrong password is a named error at once instead of endless
 * reconnection attempts.
 */
export function probeRedis(url: string, ms = 10000): Promise<void> {
  const c = connectionOf(url) as { host: string; port: number; tls?: tls.ConnectionOptions; username?: string; password?: string };
  const fail = (why: string): FusionError => new FusionError(`cannot reach Redis at ${redactUrl(url)} (${why}). Start redis-server there, open its port to this machine, or check --queue.`);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let text = '';
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve();
    };
    const sock: net.Socket = c.tls ? tls.connect({ host: c.host, port: c.port, ...c.tls }) : net.connect({ host: c.host, port: c.port });
    const timer = setTimeout(() => finish(fail(`no answer within ${ms} ms`)), ms);
    const auth = c.password !== undefined ? respCommand('AUTH', ...(c.username ? [c.username] : []), c.password) : '';
    sock.once(c.tls ? 'secureConnect' : 'connect', () => sock.write(auth + respCommand('PING')));
    sock.on('data', (d) => {
      text += d.toString('utf8');
      const lines = text.split('\r\n').slice(0, -1);
      for (const line of lines) {
        if (line.startsWith('+PONG')) return finish();
        if (/^-(WRONGPASS|ERR invalid (username|password))/i.test(line))
          return finish(new FusionError(`Redis at ${redactUrl(url)} refused the user name or password of the URL (${line.slice(1, 80)}). Fix the password in --queue (percent-encode special characters: @ as %40, : as %3A).`));
        if (line.startsWith('-NOAUTH'))
          return finish(new FusionError(`Redis at ${redactUrl(url)} requires a password. Give it in the URL: redis://:PASSWORD@${c.host}:${c.port} (rediss:// for TLS).`));
        // "AUTH ... called without any password configured": the server needs none; ioredis goes on without it.
        if (line.startsWith('+OK') || /^-ERR AUTH/i.test(line)) continue;
        return finish(fail(`unexpected answer ${JSON.stringify(line.slice(0, 40))}: is this a Redis server?`));
      }
    });
    sock.on('error', (e) => finish(fail(e.message)));
  });
}

/** Closes a BullMQ queue, worker or event stream; gives up waiting after `ms` and drops the connection. */
export async function closeWithin(x: { close(): Promise<void>; disconnect(): Promise<void> }, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([x.close().then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  if (timer) clearTimeout(timer);
  if (!ok) await Promise.race([x.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
}
