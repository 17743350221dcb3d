/**
 * The recurrent product of `biGruHost`, g = c + h U (h [H], U [H, 3H], float64), as a WebAssembly SIMD function of
 * about 250 bytes: two columns per f64x2 lane pair, the rows four at a time, read in memory order (see BODY). Each
 * lane does the float64 operations of the JavaScript loop in `gru-host.ts` in the same order (g = c; per block of 4
 * rows g += ((h0 u0 + h1 u1) + h2 u2) + h3 u3; wasm has no fused multiply-add), so the sums are the same bits, in
 * about a fifth of the time (the product is most of a single window's BiGRU: 2 x T x H x 3H multiply-adds, 3.9 M at
 * length 160).
 *
 * The module is built from the bytes below (no file to load, no toolchain) and runs on one memory that
 * `GruMatVec` grows as needed; where WebAssembly SIMD is missing `gruMatVec()` returns undefined and the host
 * recurrence keeps its JavaScript loop.
 */

import { section, uleb, wasmName } from '@fusion/core/layers';

/** The few WebAssembly members used here (the project's TypeScript libs, ES2022 + Node, declare none). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

// opcodes
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_LT_U = 0x49;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = (offset: number): number[] => [...simd(0), 3, ...uleb(offset)];
const V128_LOAD64_SPLAT = (offset: number): number[] => [...simd(10), 3, ...uleb(offset)];
const V128_STORE = [...simd(11), 3, 0];
const F64X2_ADD = simd(240);
const F64X2_MUL = simd(242);

// mv(g, h, u, c, units, h3): byte addresses of g [h3], h [units], u [units, h3], c [h3] (float64, 16-byte aligned);
// units a multiple of 4 (so h3 = 3 units is even). g = c first; then, rows four at a time (their h splatted once),
// every column pair of g gets g + ((h0 u0 + h1 u1) + h2 u2) + h3 u3: the rows of u are read in memory order (1.6x
// faster than a column pair at a time down the strided rows, with the same operations in the same order).
const [G, H, U, C, UNITS, H3] = [0, 1, 2, 3, 4, 5];
const [J, P, ROW, HP, HEND, JEND, A] = [6, 7, 8, 9, 10, 11, 12];
const [S0, S1, S2, S3] = [13, 14, 15, 16];
/** a += row; load u at a; multiply by the splatted h of that row; add to the sum so far. */
const nextRowTerm = (s: number): number[] => [
  LOCAL_GET, s, LOCAL_GET, A, LOCAL_GET, ROW, I32_ADD, LOCAL_TEE, A, ...V128_LOAD(0),
  ...F64X2_MUL, ...F64X2_ADD,
];
// prettier-ignore
const BODY = [
  // locals: 7 i32 (j, p, row, hp, hend, jend, a), 4 v128 (h of the block's four rows, splatted)
  2, 7, I32, 4, V128,
  LOCAL_GET, H3, I32_CONST, 3, I32_SHL, LOCAL_TEE, ROW, LOCAL_SET, JEND, // row = jend = h3 * 8 bytes
  LOCAL_GET, H, LOCAL_GET, UNITS, I32_CONST, 3, I32_SHL, I32_ADD, LOCAL_SET, HEND, // hend = h + units * 8
  I32_CONST, 0, LOCAL_SET, J,
  LOOP, VOID, // g = c
  LOCAL_GET, G, LOCAL_GET, J, I32_ADD, LOCAL_GET, C, LOCAL_GET, J, I32_ADD, ...V128_LOAD(0), ...V128_STORE,
  LOCAL_GET, J, I32_CONST, 16, I32_ADD, LOCAL_TEE, J, LOCAL_GET, JEND, I32_LT_U, BR_IF, 0,
  END,
  LOCAL_GET, U, LOCAL_SET, P, // p = &u[k][0]
  LOCAL_GET, H, LOCAL_SET, HP,
  LOOP, VOID, // rows k..k+3
  LOCAL_GET, HP, ...V128_LOAD64_SPLAT(0), LOCAL_SET, S0,
  LOCAL_GET, HP, ...V128_LOAD64_SPLAT(8), LOCAL_SET, S1,
  LOCAL_GET, HP, ...V128_LOAD64_SPLAT(16), LOCAL_SET, S2,
  LOCAL_GET, HP, ...V128_LOAD64_SPLAT(24), LOCAL_SET, S3,
  I32_CONST, 0, LOCAL_SET, J,
  LOOP, VOID, // columns j, j+1: g[j] = ((h[k] u[k][j] + h[k+1] u[k+1][j]) + h[k+2] u[k+2][j]) + h[k+3] u[k+3][j] + g[j]
  LOCAL_GET, G, LOCAL_GET, J, I32_ADD, // the store's address
  LOCAL_GET, S0, LOCAL_GET, P, LOCAL_GET, J, I32_ADD, LOCAL_TEE, A, ...V128_LOAD(0), ...F64X2_MUL,
  ...nextRowTerm(S1), ...nextRowTerm(S2), ...nextRowTerm(S3),
  LOCAL_GET, G, LOCAL_GET, J, I32_ADD, ...V128_LOAD(0), ...F64X2_ADD, // (float addition is commutative bit for bit)
  ...V128_STORE,
  LOCAL_GET, J, I32_CONST, 16, I32_ADD, LOCAL_TEE, J, LOCAL_GET, JEND, I32_LT_U, BR_IF, 0,
  END,
  LOCAL_GET, P, LOCAL_GET, ROW, I32_CONST, 2, I32_SHL, I32_ADD, LOCAL_SET, P, // p += 4 rows
  LOCAL_GET, HP, I32_CONST, 32, I32_ADD, LOCAL_TEE, HP, LOCAL_GET, HEND, I32_LT_U, BR_IF, 0,
  END,
  END,
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // type: (i32 x 6) -> ()
  ...section(3, [1, 0]), // one function of type 0
  ...section(5, [1, 0, 1]), // one memory, at least 1 page
  ...section(7, [2, ...wasmName('mv'), 0, 0, ...wasmName('mem'), 2, 0]), // exports
  ...section(10, [1, ...uleb(BODY.length), ...BODY]),
]);

/** The recurrent product on one WebAssembly memory: `u`, `c`, `h` and `g` are float64 views into it. */
export class GruMatVec {
  u!: Float64Array;
  c!: Float64Array;
  h!: Float64Array;
  g!: Float64Array;
  private units = -1;

  constructor(
    private readonly memory: WasmMemory,
    private readonly mv: (g: number, h: number, u: number, c: number, units: number, h3: number) => void
  ) {}

  /** Lays out U [2, H, 3H], c [2, 3H], h [H] and g [3H] for `units` = H (a multiple of 4); views stay valid until the next call. */
  prepare(units: number): void {
    if (units % 4 !== 0) throw new RangeError(`GruMatVec: units ${units} received; expected a multiple of 4.`);
    const h3 = 3 * units;
    const doubles = 2 * units * h3 + 2 * h3 + units + h3;
    const need = Math.ceil((doubles * 8) / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    if (units === this.units && this.u.buffer === this.memory.buffer) return;
    const buf = this.memory.buffer;
    let at = 0;
    const view = (n: number): Float64Array => {
      const v = new Float64Array(buf, at, n);
      at += n * 8;
      return v;
    };
    this.u = view(2 * units * h3);
    this.c = view(2 * h3);
    this.h = view(units);
    this.g = view(h3);
    this.units = units;
  }

  /** g = c[dir] + h U[dir]. */
  run(dir: number): void {
    const h3 = 3 * this.units;
    this.mv(this.g.byteOffset, this.h.byteOffset, this.u.byteOffset + dir * this.units * h3 * 8, this.c.byteOffset + dir * h3 * 8, this.units, h3);
  }
}

let instance: GruMatVec | null | undefined;

/** The shared `GruMatVec`, or undefined where WebAssembly SIMD is not available. */
export function gruMatVec(): GruMatVec | undefined {
  if (instance === undefined) {
    try {
      const ex = new WebAssembly.Instance(new WebAssembly.Module(MODULE)).exports as {
        mv: (g: number, h: number, u: number, c: number, units: number, h3: number) => void;
        mem: WasmMemory;
      };
      instance = new GruMatVec(ex.mem, ex.mv);
    } catch {
      instance = null; // no WebAssembly or no SIMD: the JavaScript loop
    }
  }
  return instance ?? undefined;
}
