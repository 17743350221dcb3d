import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { FusionError } from './errors';
import { installWasmKernels } from './wasm-kernels';

/** The backends fusion can run on, best first. */
export const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  /** tfjs's own name for it (tensorflow, wasm, cpu). */
  tfName: string;
  tried: { name: BackendName; error?: string }[];
  /** wasm only: threads of its thread pool (1 = the single-threaded SIMD build). */
  threads?: number;
  /** wasm only: why the multi-threaded build was not used, when more than one thread was asked for. */
  threadsNote?: string;
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

/** The thread pool the threaded build pre-creates (tfjs-backend-wasm's cc/BUILD) and caps its pool at. */
const MAX_WASM_THREADS = 8;

/**
 * Threads for the wasm backend: FUSION_WASM_THREADS when set (1 = the single-threaded SIMD build, as before),
 * otherwise 1.
 */
export function wasmThreads(): number {
  const v = process.env.FUSION_WASM_THREADS;
  // Default 1: on the idle 2-core machine of 2026-12-03 two threads trained no faster (EmoHEAL spec, 224 vs 229
  // windows/s at length 20, 28.0 vs 28.0 at 160) and answered slower at length 20 (4.1 vs 3.7 ms), faster at 160
  // (10.8 vs 20.6 ms): threads are opt-in (BENCHMARKS.md).
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new FusionError(
      `environment variable FUSION_WASM_THREADS is "${v}"; expected a whole number from 1 to ${MAX_WASM_THREADS} ` +
        `(threads of the wasm backend; 1 = single-threaded). Fix or unset it.`
    );
  }
  return n;
}

/** The few WebAssembly APIs used here (the project's TypeScript libs do not declare WebAssembly). */
interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: object };
  validate(bytes: Uint8Array): boolean;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');
interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: string[]) => unknown;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}

/**
 * tfjs-backend-wasm's own `init` never picks its multi-threaded SIMD build in Node: its WASM_HAS_MULTITHREAD_SUPPORT
 * flag returns false when IS_NODE (tfjs issue 3830), and forcing the flag fails with ERR_WORKER_PATH because it
 * hands the emscripten glue a `blob:` URL for the pthread worker, which Node's worker_threads cannot start. The
 * package ships what Node needs in wasm-out/: the threaded glue as a CommonJS file and the worker script (as a
 * string, made into a file by wasm-pthread-worker.ts). Two more adjustments:
 * - the C++ side sizes its pool as min(asked, logical cores / 2) ("2 threads per core"), so on a 2-vCPU machine
 *   it would always run 1 thread: the glue's `emscripten_num_logical_cores` import answers 2 x threads instead;
 * - the pool's threads are worker_threads that keep Node's event loop alive: they are unref'd so the process
 *   exits when its work is done.
 * The kernels are the package's own (registered for the name 'wasm'); only the module under them changes.
 */
function threadedWasmFactory(wasm: WasmPackage, threads: number): () => Promise<tf.KernelBackend> {
  return async () => {
    const out = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
    const glue = path.join(out, 'tfjs-backend-wasm-threaded-simd.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(glue) as (config: object) => Promise<EmscriptenModule>;
    const compiled = await WebAssembly.compile(fs.readFileSync(path.join(out, 'tfjs-backend-wasm-threaded-simd.wasm')));
    const module = await factory({
      mainScriptUrlOrBlob: glue,
      locateFile: (file: string) => (file.endsWith('.worker.js') ? path.join(__dirname, 'wasm-pthread-worker.js') : path.join(out, file)),
      // Synchronous on a module compiled beforehand, so that a failure rejects the factory's promise.
      instantiateWasm: (info: { env: Record<string, unknown> }, receive: (instance: object, module: object) => void) => {
        info.env.emscripten_num_logical_cores = () => 2 * threads;
        const instance = new WebAssembly.Instance(compiled, info);
        receive(instance, compiled);
        return instance.exports;
      },
    });
    const mod = module as EmscriptenModule & { tfjs?: Record<string, unknown> };
    mod.tfjs = {
      init: mod.cwrap('init', null, []),
      initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
      registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: mod.cwrap('dispose_data', null, ['number']),
      dispose: mod.cwrap('dispose', null, []),
    };
    wasm.setThreadsCount(threads);
    const backend = new wasm.BackendWasm(mod as unknown as ConstructorParameters<WasmPackage['BackendWasm']>[0]);
    for (const w of [...mod.PThread.runningWorkers, ...mod.PThread.unusedWorkers]) w.unref();
    return backend;
  };
}

/** Why this process cannot run WebAssembly threads, or undefined when it can. */
function noThreadsReason(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  // A module with a shared memory and an atomic instruction (wasm-feature-detect's threads probe).
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]);
  if (!WebAssembly.validate(probe)) return 'this WebAssembly engine has no threads';
  return undefined;
}

/**
 * The wasm backend as first loaded in this process. Later selections (after switching to cpu, say) reuse that
 * instance: registering the factory again would dispose it, and with it every tensor in its memory.
 */
let wasmLoaded: Pick<BackendInfo, 'tfName' | 'threads' | 'threadsNote'> | undefined;

/** The wasm backend: the multi-threaded SIMD build when more than one thread is wanted and it loads, else the stock one. */
async function tryWasm(threads: number): Promise<Pick<BackendInfo, 'tfName' | 'threads' | 'threadsNote'>> {
  if (wasmLoaded) {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    return wasmLoaded;
  }
  wasmLoaded = await loadWasm(threads);
  return wasmLoaded;
}

async function loadWasm(threads: number): Promise<Pick<BackendInfo, 'tfName' | 'threads' | 'threadsNote'>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
  installWasmKernels();
  let threadsNote: string | undefined;
  if (threads > 1) {
    threadsNote = noThreadsReason();
    if (!threadsNote) {
      const stock = tf.findBackendFactory('wasm');
      tf.removeBackend('wasm');
      let failure: unknown;
      const threaded = threadedWasmFactory(wasm, threads);
      tf.registerBackend('wasm', () => threaded().catch((e) => Promise.reject((failure = e))), 2);
      if (await tf.setBackend('wasm').catch(() => false)) return { tfName: 'wasm', threads: wasm.getThreadsCount() };
      threadsNote = `the multi-threaded build did not load (${String((failure as Error)?.message ?? failure).split('\n')[0]})`;
      tf.removeBackend('wasm');
      if (stock) tf.registerBackend('wasm', stock, 2);
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return { tfName: 'wasm', threads: 1, ...(threadsNote ? { threadsNote } : {}) };
}

async function tryBackend(name: BackendName, wasmThreadCount: number): Promise<Pick<BackendInfo, 'tfName' | 'threads' | 'threadsNote'>> {
  switch (name) {
    case 'node-gpu':
      requireNative('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return { tfName: 'tensorflow' };
    case 'node':
      requireNative('@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return { tfName: 'tensorflow' };
    case 'wasm':
      return tryWasm(wasmThreadCount);
    case 'cpu':
      await tf.setBackend('cpu');
      return { tfName: 'cpu' };
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
  // A bad FUSION_WASM_THREADS is the user's to fix, not a reason to fall back to a slower backend.
  const threads = order.includes('wasm') ? wasmThreads() : 1;
  for (const name of order) {
    try {
      const got = await tryBackend(name, threads);
      await tf.ready();
      active = { name, ...got, tried: [...tried, { name }] };
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
