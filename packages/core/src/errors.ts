/**
 * Named errors of the framework. Every message says what was received, what was expected and how to fix it,
 * so the CLI can print it as is and exit non-zero.
 */
export class FusionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface SpecIssue {
  /** JSON pointer into the spec, e.g. `/training/epochs` ("" for the root). */
  path: string;
  message: string;
}

export class SpecValidationError extends FusionError {
  constructor(readonly file: string | undefined, readonly issues: SpecIssue[]) {
    super(
      `${file ?? 'spec'}: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  at ${i.path || '/'}: ${i.message}`).join('\n')
    );
  }
}

/**
 * The model a spec describes would not fit: its training memory, estimated from the spec before anything is built,
 * is over the limit. A spec problem (exit 2), with the estimate and the ways out.
 */
export class ModelTooLargeError extends SpecValidationError {
  constructor(file: string | undefined, readonly pointer: string, readonly estimateMB: number, readonly limitMB: number, detail: string) {
    super(file, [
      {
        path: pointer,
        message:
          `the model needs an estimated ${detail} to train, over the limit of ${limitMB} MB. ` +
          `Make it smaller (training.batchSize, preprocessing.window or sampleRate, the channels/units/dModel of the largest block), ` +
          `or raise the limit with training.maxMemoryMB, fusion-cli --max-memory <MB> or FUSION_MAX_MEMORY_MB if the machine has the memory.`,
      },
    ]);
  }
}

export class UnknownPluginError extends FusionError {
  constructor(readonly kind: string, readonly requested: string, readonly known: readonly string[]) {
    super(
      `unknown ${kind} "${requested}"; known ${kind}s: ${known.length ? known.join(', ') : '(none registered)'}. ` +
        `Fix the "type" or load the plugin that provides it with "plugins": ["./my-plugin.js"].`
    );
  }
}

export class DuplicatePluginError extends FusionError {
  constructor(readonly kind: string, readonly requested: string, readonly known: readonly string[]) {
    super(
      `${kind} "${requested}" is registered twice; known ${kind}s: ${known.join(', ')}. ` +
        `Give the new plugin a different "type".`
    );
  }
}

export class ShapeMismatchError extends FusionError {
  constructor(readonly where: string, readonly received: readonly (number | null)[], readonly expected: string) {
    super(`${where}: received shape [${received.map((d) => (d === null ? 'null' : d)).join(', ')}], expected ${expected}.`);
  }
}

/** A data file that cannot be read as expected. `line` is 1-based where it is known. */
export class DataFormatError extends FusionError {
  constructor(readonly file: string, readonly line: number | undefined, readonly detail: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}

/** A dataset folder or file that does not exist or holds nothing usable. */
export class DatasetError extends FusionError {}

/**
 * A recording to replay (`fusion-cli stream --source replay:...`) that only a dataset adapter without `readRecording`
 * could read: `adapter` is its type, `plugin` its module file (undefined for a built-in). Exit 1.
 */
export class ReplayNotSupportedError extends DatasetError {
  constructor(readonly adapter: string, readonly plugin: string | undefined, readonly location: string, detail: string) {
    super(`dataset adapter "${adapter}"${plugin ? ` (plugin ${plugin})` : ''} has no readRecording(), so it cannot read ${location} for replay. ${detail}`);
  }
}

/** A live input cannot be opened as asked (a port in use, no permission to listen). */
export class StreamSourceError extends FusionError {}

/** Training went wrong numerically or could not start (no windows, NaN loss, ...). */
export class TrainingError extends FusionError {}

/** The run was asked to stop (Ctrl-C, SIGTERM); finished jobs are kept for `--resume`. */
export class InterruptedError extends TrainingError {
  constructor() {
    super('interrupted');
  }
}

/** The output folder cannot be written as asked. */
export class OutputError extends FusionError {}

/**
 * The output folder asked for is one fusion must not write into or replace (a folder it did not make, a file, the
 * working folder or a folder above it, the home folder), or an interrupted run waits there: exit code 2. `source`
 * says where the folder was given (`--out`, `--resume` or the spec's JSON path `/output/dir`).
 */
export class OutputTargetError extends FusionError {
  constructor(readonly target: string, readonly source: string, readonly detail: string) {
    super(`${source}: ${detail}`);
  }
}

/** Another run holds the output folder's lock (`.<name>.lock` beside it). */
export class OutputLockedError extends OutputError {
  constructor(readonly target: string, readonly lockFile: string, readonly holder: { pid?: number; host?: string; startedAt?: string } | undefined) {
    super(
      holder
        ? `${target} is in use by another run: process ${holder.pid} on ${holder.host}, started ${holder.startedAt} (lock ${lockFile}). ` +
            `Wait for it to finish, stop it, or choose another output folder. If no such run is going, delete the lock file.`
        : `${target} is locked by ${lockFile}, which does not say which run holds it. If no run is going, delete the lock file.`
    );
  }
}

/** A folder given as a run (`fusion-cli export <run>`) that is not a finished `fusion-cli run` output. */
export class RunFolderError extends FusionError {}

/** A run with several outputs (multi-task) loaded by a caller that serves one output (`StreamModel.load` without `severalOutputs`); every command serves them all. */
export class MultiOutputRunError extends FusionError {}

/**
 * A third-party plugin module that cannot be loaded or misbehaves when called (throws something that is not a named
 * error, returns the wrong thing, binds something that is not a plugin). `plugin` names the module file.
 */
export class PluginError extends FusionError {
  /** `message`: for subclasses that word the whole message themselves (default `plugin <plugin>: <detail>`). */
  constructor(readonly plugin: string, readonly detail: string, message = `plugin ${plugin}: ${detail}`) {
    super(message);
  }
}

/** A value for a message: `42 (a number)`, `null`, `{"a":1} (an object)`, cut at 200 characters. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  let shown: string;
  try {
    shown = typeof v === 'string' || typeof v === 'object' ? JSON.stringify(v) ?? String(v) : String(v);
  } catch {
    shown = Object.prototype.toString.call(v);
  }
  return `${shown.length > 200 ? `${shown.slice(0, 200)}...` : shown} (a${typeof v === 'object' ? 'n' : ''} ${typeof v})`;
}

/** What was thrown, for a message: `TypeError: x is undefined`, or `42 (a number), not an Error` for `throw 42`. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `${describeValue(e)}, not an Error`;
}

/** A file-system operation failed (no space, read-only, permission, busy...); `code` is Node's (ENOSPC, EROFS...). */
export class IoError extends FusionError {
  constructor(readonly code: string, readonly file: string | undefined, message: string) {
    super(message);
  }
}

/** The named errors a retry or a resume cannot fix: the data, the spec, a plugin or training itself is at fault. */
const PERMANENT_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [
  DataFormatError,
  DatasetError,
  SpecValidationError,
  ShapeMismatchError,
  UnknownPluginError,
  DuplicatePluginError,
  PluginError,
  TrainingError,
];
const PERMANENT_NAMES: readonly string[] = PERMANENT_ERRORS.map((cls) => cls.name);

/**
 * Whether `e` would fail the same way again (so a run drops its partial folder and a queue job is not retried). An
 * interruption is not permanent. Errors rebuilt from another process (a worker, a queue job) are recognised by their
 * name as well as by their class.
 */
export function isPermanentError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof InterruptedError || e.name === InterruptedError.name) return false;
  return PERMANENT_NAMES.includes(e.name) || PERMANENT_ERRORS.some((cls) => e instanceof cls);
}

/**
 * A plugin brings its own copy of TensorFlow.js. Two copies each register every kernel and keep their own tensors and
 * backend, so layers a plugin builds with its copy cannot join fusion's model. Exit 1, with the fix.
 */
export class DuplicateTensorFlowError extends PluginError {
  constructor(plugin: string, readonly pluginCopy: string, readonly frameworkCopy: string) {
    const detail =
      `brings its own copy of TensorFlow.js (${pluginCopy}) besides the one fusion runs on (${frameworkCopy}). ` +
      `Two copies register every kernel twice and keep separate tensors and backends, so the plugin's layers cannot be part of fusion's model. ` +
      `Fix: remove @tensorflow/* from the plugin's "dependencies" (list it under "peerDependencies"), delete the plugin's node_modules/@tensorflow, ` +
      `and use the framework's instance: \`import { tf } from '@fusion/core'\`.`;
    super(plugin, detail, `plugin "${plugin}" ${detail}`);
  }
}
