import * as fs from 'fs';
import { DatasetError, statRegularFile } from '@fusion/core';
import { CsvRow, CsvRowSplitter } from './csv-rows';

export { CsvRow, Float32Chunks, MAX_LINE_BYTES, parseNumberCell, parseSampleCell } from './csv-rows';

/**
 * Reading device-export CSV files from disk: the bytes are split into rows by the Node-free parser in csv-rows.ts (the
 * one the browser uses), fed in chunks so a file is never held whole in memory.
 */

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
    const splitter = new CsvRowSplitter(file, onRow);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) break;
      splitter.push(buf.subarray(0, n));
    }
    splitter.end();
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

/** Median of a numeric array (copied, not modified); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
