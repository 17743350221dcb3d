import * as fs from 'fs';
import { DataFormatError, DatasetError, statRegularFile } from '@fusion/core';

/**
 * A tight line-based CSV reader for the device exports. They are plain ASCII without quoting, and a hand-rolled
 * parser keeps exact 1-based line numbers for every error (which a generic CSV parser loses after skipping lines).
 */

/** One non-blank line of a file: its 1-based line number and its cells (trimmed). */
export interface CsvRow {
  line: number;
  cells: string[];
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Longest accepted line: device rows are tens of bytes, so a longer one is a corrupt file (and bounds memory). */
export const MAX_LINE_BYTES = 1 << 20;

/** Bytes read at a time: memory stays bounded by this and the rows the caller keeps, whatever the file size. */
const READ_CHUNK = 1 << 20;

/**
 * Calls `onRow` for each non-blank line of a file, read in chunks (never the whole file in memory), rejecting binary
 * content; trailing blank lines are dropped, interior ones rejected. Checks with stat before opening that the path is a
 * regular file (reading a FIFO would block for ever and /dev/zero would never end).
 */
export function forEachCsvRow(file: string, what: string, onRow: (row: CsvRow) => void): void {
  statRegularFile(file, `${what} file`, 'Add the file or stop requesting that sensor.');
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DatasetError(`cannot read ${what} file ${file}: ${(e as Error).message}.`);
  }
  try {
    const buf = Buffer.alloc(READ_CHUNK);
    let line = 1;
    let blankAt: number | undefined;
    let carry: Buffer | undefined; // the start of a line that continues in the next chunk
    let first = true;
    const finish = (bytes: Buffer): void => {
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === 0x0d) end--;
      const text = bytes.toString('latin1', 0, end);
      if (text.trim() === '') {
        if (blankAt === undefined) blankAt = line;
      } else {
        if (blankAt !== undefined) {
          throw new DataFormatError(
            file,
            blankAt,
            `found a blank line before more data (line ${line}); expected one row per sample with no gaps. ` +
              `Delete the blank line(s); a missing row would shift every later sample in time.`
          );
        }
        onRow({ line, cells: text.split(',').map((c) => c.trim()) });
      }
      line++;
    };
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) break;
      let i = 0;
      // A UTF-8 byte-order mark is written by some spreadsheet tools; it is not data.
      if (first && n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
      first = false;
      let lineStart = i;
      for (; i < n; i++) {
        const b = buf[i];
        if (b === 0x0a) {
          const piece = buf.subarray(lineStart, i);
          finish(carry ? Buffer.concat([carry, piece]) : piece);
          carry = undefined;
          lineStart = i + 1;
          continue;
        }
        // Bytes outside printable ASCII (besides tab and CR) mean a corrupt or non-CSV file.
        if ((b < 0x20 && b !== 0x09 && b !== 0x0d) || b >= 0x7f) {
          throw new DataFormatError(
            file,
            line,
            `found binary byte 0x${b.toString(16).padStart(2, '0')} at column ${(carry?.length ?? 0) + i - lineStart + 1}; expected plain ASCII text of comma-separated numbers. ` +
              `The file is probably corrupt or truncated; export it again from the device software.`
          );
        }
      }
      if (lineStart < n) carry = Buffer.concat(carry ? [carry, buf.subarray(lineStart, n)] : [buf.subarray(lineStart, n)]);
      if (carry && carry.length > MAX_LINE_BYTES) {
        throw new DataFormatError(file, line, `the line is longer than ${MAX_LINE_BYTES} bytes; expected short rows of comma-separated numbers. The file is corrupt or not a sensor export.`);
      }
    }
    if (carry && carry.length) finish(carry); // a last line without a final newline
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a file as rows (see `forEachCsvRow`); for small files such as headers, tags and index tables. */
export function readCsvRows(file: string, what: string): CsvRow[] {
  const rows: CsvRow[] = [];
  forEachCsvRow(file, what, (r) => rows.push(r));
  return rows;
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

/** Median of a numeric array (copied, not modified); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
