import { FusionError } from '@fusion/core';

/** A command line that cannot be run as given (missing argument, bad option value): exit code 2. */
export class UsageError extends FusionError {}
