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
