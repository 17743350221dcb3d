// Helpers to write small WebAssembly modules as bytes in the source (no file to load, no toolchain): used by the
// BiGRU's SIMD product (heads, gru-matvec.ts) and the wasm backend's row sums (wasm-add-rows.ts). Node-free.

/** LEB128 of an unsigned 32-bit integer. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** A module section: its id, its size, its body. */
export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A name (export, import) as its length and its ASCII bytes. */
export function wasmName(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}
