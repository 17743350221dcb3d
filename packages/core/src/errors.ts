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
