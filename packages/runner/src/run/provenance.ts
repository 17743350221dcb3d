import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/** Where a run's results came from: the code, the packages and the data files (recorded in metrics.json). */
export interface Provenance {
  /** `git rev-parse HEAD` of the working folder, null outside a git checkout (or without git). */
  gitCommit: string | null;
  /** True when the checkout had uncommitted changes to tracked files. */
  gitDirty?: boolean;
  /** Versions of the fusion packages and TensorFlow.js that ran. */
  packages: Record<string, string>;
  /** The dataset files read (under the spec's dataset "path"), each with its size and sha256; none for generated data. */
  data: { root: string | null; files: { file: string; bytes: number; sha256: string }[]; truncated?: boolean };
}

/** Most files and bytes hashed per run: enough for any dataset the repository knows, cheap beside training. */
const MAX_FILES = 5000;
const MAX_BYTES = 2 * 2 ** 30;

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

const FUSION_PACKAGES = ['core', 'runner', 'sensors', 'encoders', 'fusion', 'heads', 'report', 'stream', 'queue', 'web', 'cli'];

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  const from = [__dirname, ...(require.main?.filename ? [path.dirname(require.main.filename)] : [])];
  for (const p of FUSION_PACKAGES) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      out[`@fusion/${p}`] = (require(require.resolve(`@fusion/${p}/package.json`, { paths: from })) as { version: string }).version;
    } catch {
      /* not installed: left out */
    }
  }
  out['@tensorflow/tfjs'] = tf.version.tfjs ?? tf.version['tfjs-core'];
  return out;
}

/** Every file under `root` (sorted, relative paths), within the limits. */
function listFiles(root: string): { files: string[]; truncated: boolean } {
  const files: string[] = [];
  let bytes = 0;
  const walk = (dir: string): boolean => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!walk(full)) return false;
      } else if (e.isFile()) {
        bytes += fs.statSync(full).size;
        if (files.length >= MAX_FILES || bytes > MAX_BYTES) return false;
        files.push(full);
      }
    }
    return true;
  };
  const complete = walk(root);
  return { files, truncated: !complete };
}

/** The sha256 of every file of a dataset folder (or of one dataset file). */
export function hashDataFiles(target: string): Provenance['data'] {
  if (!fs.existsSync(target)) return { root: target, files: [] };
  const isDir = fs.statSync(target).isDirectory();
  const { files, truncated } = isDir ? listFiles(target) : { files: [target], truncated: false };
  const root = isDir ? target : path.dirname(target);
  return {
    root: target,
    files: files.map((f) => {
      const buf = fs.readFileSync(f);
      return { file: path.relative(root, f).split(path.sep).join('/'), bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    }),
    ...(truncated ? { truncated } : {}),
  };
}

/** The provenance of a run of a spec whose dataset config is `dataset` (its "path", if any, relative to `baseDir`). */
export function runProvenance(dataset: { path?: unknown }, baseDir: string, cwd = process.cwd()): Provenance {
  const gitCommit = git(['rev-parse', 'HEAD'], cwd);
  const status = gitCommit ? git(['status', '--porcelain', '--untracked-files=no'], cwd) : null;
  return {
    gitCommit,
    ...(status !== null ? { gitDirty: status.length > 0 } : {}),
    packages: packageVersions(),
    data: typeof dataset.path === 'string' ? hashDataFiles(path.resolve(baseDir, dataset.path)) : { root: null, files: [] },
  };
}
