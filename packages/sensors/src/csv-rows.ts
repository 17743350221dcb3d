import { DataFormatError } from '@fusion/core/live';

/**
 * The text side of the device-export CSV reader, free of Node modules (a browser parses dropped files with it, and the
 * Node file reader feeds it the chunks it reads). Plain ASCII without quoting; a hand-rolled parser keeps exact 1-based
 * line numbers for every error (which a generic CSV parser loses after skipping lines).
 */

/** One non-blank line of a file: its 1-based line number and its cells (trimmed). */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** Longest accepted line: device rows are tens of bytes, so a longer one is a corrupt file (and bounds memory). */
export const MAX_LINE_BYTES = 1 << 20;

const LATIN1 = new TextDecoder('latin1');

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const EMPTY = new Uint8Array(0);

/** A new array holding `a` then `b` (always a copy). */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Splits a file's bytes into rows as they arrive in chunks of any size (`push`, then `end`), calling `onRow` for each
 * non-blank line: memory stays bounded by one chunk and one line, whatever the file size. Rejects binary content and
 * lines over MAX_LINE_BYTES; trailing blank lines are dropped, interior ones rejected.
 */
export class CsvRowSplitter {
  private line = 1;
  private blankAt: number | undefined;
  private carry: Uint8Array | undefined; // the start of a line that continues in the next chunk
  private first = true;

  constructor(private readonly file: string, private readonly onRow: (row: CsvRow) => void) {}

  private finish(bytes: Uint8Array): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    // bytes past ASCII are refused in `push`, so the single-byte decoding is exact
    const text = LATIN1.decode(bytes.subarray(0, end));
    if (text.trim() === '') {
      if (this.blankAt === undefined) this.blankAt = this.line;
    } else {
      if (this.blankAt !== undefined) {
        throw new DataFormatError(
          this.file,
          this.blankAt,
          `found a blank line before more data (line ${this.line}); expected one row per sample with no gaps. ` +
            `Delete the blank line(s); a missing row would shift every later sample in time.`
        );
      }
      this.onRow({ line: this.line, cells: text.split(',').map((c) => c.trim()) });
    }
    this.line++;
  }

  /** Takes the next bytes of the file (the chunk may be reused by the caller afterwards). */
  push(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    // A UTF-8 byte-order mark is written by some spreadsheet tools; it is not data.
    if (this.first && n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    if (n > 0) this.first = false;
    let lineStart = i;
    for (; i < n; i++) {
      const b = buf[i];
      if (b === 0x0a) {
        const piece = buf.subarray(lineStart, i);
        this.finish(this.carry ? concat(this.carry, piece) : piece);
        this.carry = undefined;
        lineStart = i + 1;
        continue;
      }
      // Bytes outside printable ASCII (besides tab and CR) mean a corrupt or non-CSV file.
      if ((b < 0x20 && b !== 0x09 && b !== 0x0d) || b >= 0x7f) {
        throw new DataFormatError(
          this.file,
          this.line,
          `found binary byte 0x${b.toString(16).padStart(2, '0')} at column ${(this.carry?.length ?? 0) + i - lineStart + 1}; expected plain ASCII text of comma-separated numbers. ` +
            `The file is probably corrupt or truncated; export it again from the device software.`
        );
      }
    }
    // copied (not `slice`, which for a Node Buffer is a view): the caller may reuse `buf` for its next read
    if (lineStart < n) this.carry = concat(this.carry ?? EMPTY, buf.subarray(lineStart, n));
    if (this.carry && this.carry.length > MAX_LINE_BYTES) {
      throw new DataFormatError(
        this.file,
        this.line,
        `the line is longer than ${MAX_LINE_BYTES} bytes; expected short rows of comma-separated numbers. The file is corrupt or not a sensor export.`
      );
    }
  }

  /** The end of the file: a last line without a final newline is a row too. */
  end(): void {
    if (this.carry && this.carry.length) this.finish(this.carry);
    this.carry = undefined;
  }
}

/** Calls `onRow` for each non-blank line of a whole file's bytes (see CsvRowSplitter). */
export function forEachCsvRowOfBytes(bytes: Uint8Array, file: string, onRow: (row: CsvRow) => void): void {
  const splitter = new CsvRowSplitter(file, onRow);
  splitter.push(bytes);
  splitter.end();
}

/** Float32 values appended in fixed-size chunks, so a growing signal never needs a copy of itself until the end. */
export class Float32Chunks {
  private readonly chunks: Float32Array[] = [];
  private current: Float32Array;
  private used = 0;
  length = 0;

  constructor(private readonly chunkSize = 1 << 20) {
    this.current = new Float32Array(chunkSize);
  }

  push(v: number): void {
    if (this.used === this.chunkSize) {
      this.chunks.push(this.current);
      this.current = new Float32Array(this.chunkSize);
      this.used = 0;
    }
    this.current[this.used++] = v;
    this.length++;
  }

  /** All values in one array (the chunks are released). */
  toArray(): Float32Array {
    const out = new Float32Array(this.length);
    let k = 0;
    for (const c of this.chunks) {
      out.set(c, k);
      k += c.length;
    }
    out.set(this.current.subarray(0, this.used), k);
    this.chunks.length = 0;
    return out;
  }
}

/** Parses one cell as a finite number, or throws naming the cell, what was expected and how to fix it. */
export function parseNumberCell(file: string, line: number, cell: string, column: string): number {
  if (NUMBER.test(cell)) {
    const v = Number(cell);
    if (Number.isFinite(v)) return v;
  }
  const shown = cell === '' ? 'an empty cell' : `"${cell.length > 40 ? cell.slice(0, 37) + '...' : cell}"`;
  const kind = /^[+-]?(nan|inf|infinity)$/i.test(cell) ? ' (not a finite number)' : '';
  throw new DataFormatError(
    file,
    line,
    `${column} is ${shown}${kind}; expected a finite decimal number such as 12.5 or 1.2e-3. Fix or delete that row.`
  );
}

/**
 * Parses a sample value that is stored in a Float32Array (times `scale`): a finite double beyond the float32 range
 * (about 3.4e38, e.g. 1e308) would silently become Infinity there, so it is rejected on its line like NaN.
 */
export function parseSampleCell(file: string, line: number, cell: string, column: string, scale = 1): number {
  const v = parseNumberCell(file, line, cell, column) * scale;
  if (!Number.isFinite(Math.fround(v))) {
    throw new DataFormatError(
      file,
      line,
      `${column} is ${cell.length > 40 ? cell.slice(0, 37) + '...' : cell}, beyond the range of a stored sample (about +-3.4e38); expected a sensor reading. Fix or delete that row.`
    );
  }
  return v;
}
