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

/** Reads a file as lines, rejecting binary content; trailing blank lines are dropped, interior ones rejected. */
export function readCsvRows(file: string, what: string): CsvRow[] {
  // stat before open: reading a FIFO would block for ever and /dev/zero would never end
  statRegularFile(file, `${what} file`, 'Add the file or stop requesting that sensor.');
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DatasetError(`cannot read ${what} file ${file}: ${(e as Error).message}.`);
  }
  let start = 0;
  // A UTF-8 byte-order mark is written by some spreadsheet tools; it is not data.
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  const rows: CsvRow[] = [];
  let line = 1;
  let lineStart = start;
  let blankAt: number | undefined;
  for (let i = start; i <= buf.length; i++) {
    const b = i < buf.length ? buf[i] : 0x0a;
    if (b === 0x0a) {
      let end = i;
      if (end > lineStart && buf[end - 1] === 0x0d) end--;
      const text = buf.toString('latin1', lineStart, end);
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
        rows.push({ line, cells: text.split(',').map((c) => c.trim()) });
      }
      line++;
      lineStart = i + 1;
      if (i === buf.length - 1) break; // a final newline does not open another line
      continue;
    }
    // Bytes outside printable ASCII (besides tab and CR) mean a corrupt or non-CSV file.
    if ((b < 0x20 && b !== 0x09 && b !== 0x0d) || b >= 0x7f) {
      throw new DataFormatError(
        file,
        line,
        `found binary byte 0x${b.toString(16).padStart(2, '0')} at column ${i - lineStart + 1}; expected plain ASCII text of comma-separated numbers. ` +
          `The file is probably corrupt or truncated; export it again from the device software.`
      );
    }
  }
  return rows;
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
