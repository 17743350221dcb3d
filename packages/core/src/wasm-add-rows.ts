/**
 * `addRows(dst, src, rows, inner)`: dst[i] += src[r * inner + i] for r = 0..rows-1 in order, i = 0..inner-1
 * (float32, byte addresses), as a small WebAssembly SIMD function that works in the wasm backend's own memory
 * (imported). Each output adds its terms in row order with one float32 addition each (f32x4 lanes are distinct
 * outputs), so the sums are those of a plain loop bit for bit, several times faster than JavaScript. Built from the
 * bytes below (no file, no toolchain); `wasmAddRows` returns undefined where it cannot be built (no WebAssembly SIMD,
 * or a shared memory: the multi-threaded build) and the caller keeps its JavaScript loop.
 */

import { section, uleb, wasmName } from './wasm-bytes';

/** The few WebAssembly members used here (the project's TypeScript libs declare none). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
};

// opcodes
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const F32_LOAD = [0x2a, 2, 0];
const F32_STORE = [0x38, 2, 0];
const F32_ADD = 0x92;
const V128_LOAD = [0xfd, 0x00, 0, 0];
const V128_STORE = [0xfd, 0x0b, 0, 0];
const F32X4_ADD = [0xfd, 0xe4, 0x01];

// addRows(dst, src, rows, inner); locals: rowBytes, srcEnd, q, p, qEnd4, qEnd
const [DST, SRC, ROWS, INNER, ROW_BYTES, SRC_END, Q, P, Q_END4, Q_END] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/** local += n */
const bump = (local: number, n: number): number[] => [LOCAL_GET, local, I32_CONST, n, I32_ADD, LOCAL_SET, local];
// prettier-ignore
const BODY = [
  1, 6, I32,
  LOCAL_GET, INNER, I32_CONST, 2, I32_SHL, LOCAL_SET, ROW_BYTES,
  LOCAL_GET, SRC, LOCAL_GET, ROWS, LOCAL_GET, ROW_BYTES, I32_MUL, I32_ADD, LOCAL_SET, SRC_END,
  LOCAL_GET, DST, LOCAL_GET, ROW_BYTES, I32_ADD, LOCAL_SET, Q_END,
  LOCAL_GET, DST, LOCAL_GET, INNER, I32_CONST, 0x7c, I32_AND, I32_CONST, 2, I32_SHL, I32_ADD, LOCAL_SET, Q_END4, // inner & -4
  BLOCK, VOID,
  LOCAL_GET, SRC, LOCAL_GET, SRC_END, I32_GE_U, BR_IF, 0, // no rows
  LOOP, VOID, // one row of src
  LOCAL_GET, DST, LOCAL_SET, Q,
  LOCAL_GET, SRC, LOCAL_SET, P,
  BLOCK, VOID,
  LOCAL_GET, Q, LOCAL_GET, Q_END4, I32_GE_U, BR_IF, 0,
  LOOP, VOID, // four outputs at a time
  LOCAL_GET, Q, LOCAL_GET, Q, ...V128_LOAD, LOCAL_GET, P, ...V128_LOAD, ...F32X4_ADD, ...V128_STORE,
  ...bump(P, 16),
  LOCAL_GET, Q, I32_CONST, 16, I32_ADD, LOCAL_TEE, Q, LOCAL_GET, Q_END4, I32_LT_U, BR_IF, 0,
  END,
  END,
  BLOCK, VOID,
  LOCAL_GET, Q, LOCAL_GET, Q_END, I32_GE_U, BR_IF, 0,
  LOOP, VOID, // the rest one at a time
  LOCAL_GET, Q, LOCAL_GET, Q, ...F32_LOAD, LOCAL_GET, P, ...F32_LOAD, F32_ADD, ...F32_STORE,
  ...bump(P, 4),
  LOCAL_GET, Q, I32_CONST, 4, I32_ADD, LOCAL_TEE, Q, LOCAL_GET, Q_END, I32_LT_U, BR_IF, 0,
  END,
  END,
  LOCAL_GET, SRC, LOCAL_GET, ROW_BYTES, I32_ADD, LOCAL_TEE, SRC, LOCAL_GET, SRC_END, I32_LT_U, BR_IF, 0,
  END,
  END,
  END,
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]), // type: (i32 x 4) -> ()
  ...section(2, [1, ...wasmName('env'), ...wasmName('memory'), 2, 0, 0]), // import env.memory, at least 0 pages
  ...section(3, [1, 0]),
  ...section(7, [1, ...wasmName('addRows'), 0, 0]),
  ...section(10, [1, ...uleb(BODY.length), ...BODY]),
]);

export type AddRows = (dst: number, src: number, rows: number, inner: number) => void;

const built = new WeakMap<object, AddRows | null>();

/** `addRows` working in `memory` (a non-shared WebAssembly.Memory), or undefined where it cannot be built. */
export function wasmAddRows(memory: object | undefined): AddRows | undefined {
  if (!memory) return undefined;
  let f = built.get(memory);
  if (f === undefined) {
    try {
      if (!WebAssembly.validate(MODULE)) throw new Error('no WebAssembly SIMD');
      const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE), { env: { memory } });
      f = (instance.exports as { addRows: AddRows }).addRows;
    } catch {
      f = null;
    }
    built.set(memory, f);
  }
  return f ?? undefined;
}
