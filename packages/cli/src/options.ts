import { InvalidArgumentError, Option } from 'commander';
import { BACKENDS } from '@fusion/core';
import { UsageError } from './usage-error';

/**
 * Option values checked when the command line is parsed, before any spec or data is read: a bad one is a usage
 * error (exit 2) from commander, naming the option and what it accepts.
 */

/** `-b, --backend <name>`: one of the backends fusion knows. */
export function backendOption(description: string): Option {
  return new Option('-b, --backend <name>', description).choices(BACKENDS);
}

/** A Redis URL (redis:// or rediss:// with a host), as BullMQ takes it. */
export function parseQueueUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new InvalidArgumentError(`expected a Redis URL such as redis://localhost:6379 or rediss://host:6380 (TLS), received "${value}".`);
  }
  return value;
}

/** Megabytes: a positive number. */
export function parseMegabytes(value: string): number {
  const n = Number(value);
  if (!value.trim() || !Number.isFinite(n) || n <= 0 || n > 1048576) throw new InvalidArgumentError(`expected a number of megabytes from 1 to 1048576, received "${value}".`);
  return n;
}

export const MAX_MEMORY_ENV = 'FUSION_MAX_MEMORY_MB';

/** The memory limit asked for on the command line (`--max-memory`) or else in FUSION_MAX_MEMORY_MB; undefined: the spec's. */
export function memoryLimit(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return option;
  const v = env[MAX_MEMORY_ENV];
  if (v === undefined || v === '') return undefined;
  try {
    return parseMegabytes(v);
  } catch (e) {
    throw new UsageError(`${MAX_MEMORY_ENV}: ${(e as Error).message} Unset it or give a number of megabytes.`);
  }
}

/** `--max-memory <MB>`: overrides the spec's training.maxMemoryMB and FUSION_MAX_MEMORY_MB. */
export function maxMemoryOption(): Option {
  return new Option('--max-memory <MB>', `largest estimated training memory of one model (default: the spec's training.maxMemoryMB, or ${MAX_MEMORY_ENV}, else 4096)`).argParser(parseMegabytes);
}
