import * as fs from 'fs';
import * as path from 'path';
import { PluginError, pluginRequest } from '@fusion/core';
import type { QueueJobData } from './protocol';

/** True when `file` (a real path) is `root` or inside it. */
function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A worker runs code from a job only when it trusts it: every plugin module a job's spec names must resolve, symlinks
 * followed, to a file under one of the worker's plugin roots (`fusion-cli worker --plugins-root <dir>`); built-in
 * plugins need none. Anything else is a permanent `PluginError` naming the root to add, so a job can never make a
 * worker load an arbitrary path. `roots` are real paths.
 */
export function checkJobPlugins(data: QueueJobData, roots: readonly string[]): void {
  const plugins = (data.spec as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(plugins)) return;
  for (const p of plugins) {
    if (typeof p !== 'string') continue;
    const request = pluginRequest(p, data.baseDir);
    let real: string;
    try {
      real = fs.realpathSync(require.resolve(request, { paths: [data.baseDir] }));
    } catch {
      throw new PluginError(`"${p}"`, `job ${data.job.id} of run ${data.runId} needs it, but this worker cannot find it (looked for ${request}). Workers need plugins at the same path as the coordinator.`);
    }
    if (!roots.some((r) => isInside(real, r))) {
      throw new PluginError(
        real,
        `job ${data.job.id} of run ${data.runId} asks this worker to load it, but it is outside the worker's plugin roots ` +
          `(${roots.length ? roots.join(', ') : 'none: only the built-in plugins run'}). If you trust it, start the worker with --plugins-root ${path.dirname(real)}.`
      );
    }
  }
}

/** The real paths of the given plugin roots; a root that is not an existing folder is an error naming it. */
export function realPluginRoots(roots: readonly string[], fail: (message: string) => Error): string[] {
  return roots.map((r) => {
    const abs = path.resolve(r);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw fail(`--plugins-root ${r}: ${abs} is not a folder. Give the folder holding the trusted plugin modules.`);
    return fs.realpathSync(abs);
  });
}

/**
 * Checks that files a worker returned for a job stay inside the run folder: `rel` (the model folder) relative, without
 * `..`, no symbolic link on the way nor as a file, and each file name a plain name. Returns the folder to write
 * into; throws `fail(reason)` otherwise.
 */
export function safeResultDir(root: string, rel: unknown, names: readonly string[], fail: (why: string) => Error): string {
  if (typeof rel !== 'string' || !rel || path.isAbsolute(rel) || rel.split(/[\\/]/).some((s) => s === '..') || rel.includes('\0'))
    throw fail(`the model folder ${JSON.stringify(rel)} is not a plain relative path inside the run folder`);
  const bad = names.find((n) => !n || n === '.' || n === '..' || /[\\/\0]/.test(n));
  if (bad !== undefined) throw fail(`the file name ${JSON.stringify(bad)} is not a plain file name`);
  // Folder by folder, never following a symbolic link (mkdir -p would create folders wherever one points).
  let dir = root;
  for (const seg of rel.split(/[\\/]/).filter((x) => x && x !== '.')) {
    dir = path.join(dir, seg);
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) throw fail(`the model folder ${rel} goes through the symbolic link ${dir}`);
    if (!st) fs.mkdirSync(dir);
  }
  for (const n of names) {
    const f = path.join(dir, n);
    // lstat, not exists: a dangling link would still be followed by the write.
    if (fs.lstatSync(f, { throwIfNoEntry: false })?.isSymbolicLink()) throw fail(`${f} is a symbolic link`);
  }
  return dir;
}
