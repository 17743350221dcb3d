import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SpecValidationError } from '@fusion/core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin.js');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const SHARED_DATA = path.join(SHARED, 'datasets');

/** Runs fusion-cli as a real child process in `cwd` (with `env` added to the environment). */
export function cli(args: string[], cwd: string, timeoutMs = 300000, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0', ...env } });
}

export function tmpDir(prefix = 'fusion-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copies a fixture spec into `dir`, applying a shallow override, and returns its path. */
export function writeSpec(dir: string, name: string, over: Record<string, unknown> = {}, from = path.join(ROOT, 'test', 'fixtures', 'tiny.json')): string {
  const spec = { ...JSON.parse(fs.readFileSync(from, 'utf8')), ...over };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

/** The issues `validator.check` finds in a spec ([] when it is valid); other errors are thrown. */
export function specIssues(validator: { check(s: unknown, file?: string): unknown }, s: unknown): { path: string; message: string }[] {
  try {
    validator.check(s, 'x.json');
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.issues;
  }
  return [];
}
