/**
 * The pthread worker script of tfjs-backend-wasm's multi-threaded SIMD build, as a file Node's worker_threads can
 * start (see `threadedWasmFactory` in backend.ts). The package ships this script only as a string
 * (`wasmWorkerContents`), which tfjs turns into a `blob:` URL: browsers start workers from those, Node refuses
 * them (ERR_WORKER_PATH). The string's "\n" escapes were turned into real newlines by its template literal; they
 * are escaped back as tfjs itself does before making the blob.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
// The worker code ships only as a string in tfjs (no file to point a Worker at), so it is evaluated here.
eval(wasmWorkerContents.replace(/\n/g, '\\n'));
