import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { FusionError } from './errors';

/** The backends fusion can run on, best first. */
export const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  /** tfjs's own name for it (tensorflow, wasm, cpu). */
  tfName: string;
  tried: { name: BackendName; error?: string }[];
}

let active: BackendInfo | undefined;

/**
 * tfjs-node registers its kernels before it loads its native addon, so requiring a copy whose addon was never built
 * (its install script failed or was not allowed to run) half-registers a backend and floods the console. Look for
 * the addon first.
 */
function requireNative(pkg: string): void {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const lib = path.join(dir, 'lib');
  const built = fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
  if (!built) throw new Error(`${pkg} is installed but its native addon was not built (its install script failed or did not run)`);
  // An optional native package named at run time, loaded only when its backend is chosen.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(pkg);
}

async function tryBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'node-gpu':
      requireNative('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return 'tensorflow';
    case 'node':
      requireNative('@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return 'tensorflow';
    case 'wasm': {
      // Loaded only when the wasm backend is chosen (the import type keeps it typed).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      return 'wasm';
    }
    case 'cpu':
      await tf.setBackend('cpu');
      return 'cpu';
  }
}

/**
 * The one place that picks the engine: the first of node-gpu, node, wasm, cpu that loads, or exactly the one asked
 * for. Idempotent: later calls return the backend already chosen unless a different one is requested.
 */
export async function selectBackend(preferred?: string): Promise<BackendInfo> {
  if (preferred !== undefined && !(BACKENDS as readonly string[]).includes(preferred)) {
    throw new FusionError(`unknown backend "${preferred}"; expected one of ${BACKENDS.join(', ')}.`);
  }
  if (active && (!preferred || active.name === preferred)) return active;
  const order: BackendName[] = preferred ? [preferred as BackendName] : [...BACKENDS];
  const tried: BackendInfo['tried'] = [];
  for (const name of order) {
    try {
      const tfName = await tryBackend(name);
      await tf.ready();
      active = { name, tfName, tried: [...tried, { name }] };
      return active;
    } catch (e) {
      tried.push({ name, error: (e as Error).message.split('\n')[0] });
    }
  }
  throw new FusionError(
    `no backend could be loaded (${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}). ` +
      `Install @tensorflow/tfjs-backend-wasm or choose --backend cpu.`
  );
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}
