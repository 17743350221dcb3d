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

/**
 * A third-party plugin module that cannot be loaded or misbehaves when called (throws something that is not a named
 * error, returns the wrong thing, binds something that is not a plugin). `plugin` names the module file.
 */
export class PluginError extends FusionError {
  constructor(readonly plugin: string, readonly detail: string) {
    super(`plugin ${plugin}: ${detail}`);
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
