import * as fs from 'fs';
import { DatasetError } from '@fusion/core';
import { csvRows, CsvRow } from './csv-rows';

export { CsvRow, parseNumberCell, parseSampleCell } from './csv-rows';

/**
 * A tight line-based CSV reader for the device exports. They are plain ASCII without quoting, and a hand-rolled
 * parser keeps exact 1-based line numbers for every error (which a generic CSV parser loses after skipping lines).
 */

/** Reads a file as lines, rejecting binary content; trailing blank lines are dropped, interior ones rejected. */
export function readCsvRows(file: string, what: string): CsvRow[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`${what} file not found: ${file}. Add the file or stop requesting that sensor.`);
    throw new DatasetError(`cannot read ${what} file ${file}: ${(e as Error).message}.`);
  }
  return csvRows(buf, file);
}

/** Median of a numeric array (copied, not modified); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
