export { QueueExecutor } from './queue-executor';
export type { QueueExecutorOptions } from './queue-executor';
export { QueueWorker } from './queue-worker';
export { checkJobPlugins, realPluginRoots, safeResultDir } from './plugin-roots';
export { ChildProcessJobRunner, contextKey, InProcessJobRunner } from './job-runner';
export type { JobRunner } from './job-runner';
export type { QueueWorkerOptions } from './queue-worker';
export {
  canonicalJson,
  closeWithin,
  connectionOf,
  decodeError,
  DEFAULT_QUEUE_NAME,
  encodeError,
  hashOf,
  probeRedis,
  queueJobId,
  redactUrl,
  runIdOf,
  within,
} from './protocol';
export type { QueueJobData, QueueJobResult } from './protocol';
