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

/** The named errors a retry or a resume cannot fix: the data, the spec, a plugin or training itself is at fault. */
const PERMANENT_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [
  DataFormatError,
  DatasetError,
  SpecValidationError,
  ShapeMismatchError,
  UnknownPluginError,
  DuplicatePluginError,
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
