import { DataFormatError, Signal } from '@fusion/core/live';
import { csvRows, CsvRow, parseNumberCell, parseSampleCell } from './csv-rows';

// The E4 file format without Node modules: the CLI reads files with it (e4-reader.ts) and a browser parses dropped files.

/** Nominal E4 rates: K-EmoCon files carry only timestamps, and jittery streaming timestamps are snapped to these. */
export const E4_NOMINAL_RATES: Readonly<Record<string, number>> = Object.freeze({ acc: 32, bvp: 64, eda: 4, temp: 4, hr: 1 });

/** The regularly sampled E4 signals and their export file names. */
export const E4_FILES: Readonly<Record<string, string>> = Object.freeze({
  acc: 'ACC.csv',
  bvp: 'BVP.csv',
  eda: 'EDA.csv',
  temp: 'TEMP.csv',
  hr: 'HR.csv',
});

/** Sensor names the E4 readers provide as regular signals (IBI is an event series, not listed). */
export const E4_SENSORS: readonly string[] = Object.freeze(['acc', 'bvp', 'eda', 'temp', 'hr']);

/** Channels per sensor; ACC is the only multi-channel E4 signal. */
const E4_CHANNELS: Readonly<Record<string, number>> = { acc: 3, bvp: 1, eda: 1, temp: 1, hr: 1 };

/** E4 accelerometer counts per g: the device reports 1/64 g steps. */
export const ACC_COUNTS_PER_G = 64;

/** No wrist sensor samples faster than this; a larger rate in row 2 is a corrupt header, not a real rate. */
const MAX_RATE_HZ = 10000;

export function checkColumns(file: string, row: CsvRow, expected: number, what: string): void {
  if (row.cells.length !== expected) {
    throw new DataFormatError(
      file,
      row.line,
      `${what}: found ${row.cells.length} column(s) ("${row.cells.join(',')}"), expected ${expected}. ` +
        `Check that this is the right file for the sensor and that the row is complete.`
    );
  }
}

/** Row 1 of an E4 file: the session start in Unix seconds, repeated once per column. */
export function readStart(file: string, rows: CsvRow[], columns: number, isIbi: boolean): number {
  if (rows.length === 0) {
    throw new DataFormatError(
      file,
      1,
      'the file is empty; expected row 1 = session start (Unix seconds) and row 2 = sample rate (Hz), then one sample per row. ' +
        'Export the session again from E4 connect, or remove the file and the sensor from the request.'
    );
  }
  const r = rows[0];
  if (r.line !== 1) throw new DataFormatError(file, 1, 'row 1 is blank; expected the session start time (Unix seconds). Remove the leading blank line(s).');
  checkColumns(file, r, columns, 'row 1 (session start)');
  const t0 = parseNumberCell(file, 1, r.cells[0], 'the session start (row 1)');
  if (t0 < 0) throw new DataFormatError(file, 1, `the session start is ${r.cells[0]}; expected Unix seconds (>= 0). Fix row 1.`);
  if (isIbi) {
    if (r.cells[1].toUpperCase() !== 'IBI') {
      throw new DataFormatError(file, 1, `row 1 column 2 is "${r.cells[1]}"; expected "IBI" (row 1 of IBI.csv is "<start>, IBI"). Check that this is an IBI export.`);
    }
  } else {
    for (let c = 1; c < columns; c++) {
      const v = parseNumberCell(file, 1, r.cells[c], `the session start (row 1, column ${c + 1})`);
      if (v !== t0) throw new DataFormatError(file, 1, `the session start differs between columns (${r.cells[0]} vs ${r.cells[c]}); expected one value repeated per column. Fix row 1.`);
    }
  }
  return t0;
}

/** Row 2 of a regular E4 file: the sample rate in Hz, repeated once per column. */
function readRate(file: string, rows: CsvRow[], columns: number): number {
  if (rows.length < 2) {
    throw new DataFormatError(
      file,
      2,
      'row 2 (the sample rate in Hz) is missing; expected row 1 = session start and row 2 = sample rate, then samples. ' +
        'The file is truncated; export it again.'
    );
  }
  const r = rows[1];
  if (r.line !== 2) throw new DataFormatError(file, 2, 'row 2 is blank; expected the sample rate in Hz. Remove the blank line.');
  checkColumns(file, r, columns, 'row 2 (sample rate)');
  const fs_ = parseNumberCell(file, 2, r.cells[0], 'the sample rate (row 2)');
  if (!(fs_ > 0) || fs_ > MAX_RATE_HZ) {
    throw new DataFormatError(
      file,
      2,
      `the sample rate is ${r.cells[0]} Hz; expected a positive rate up to ${MAX_RATE_HZ} Hz (E4: ACC 32, BVP 64, EDA 4, TEMP 4, HR 1). Fix row 2.`
    );
  }
  for (let c = 1; c < columns; c++) {
    const v = parseNumberCell(file, 2, r.cells[c], `the sample rate (row 2, column ${c + 1})`);
    if (v !== fs_) throw new DataFormatError(file, 2, `the sample rate differs between columns (${r.cells[0]} vs ${r.cells[c]}); expected one value repeated per column. Fix row 2.`);
  }
  return fs_;
}

/** One regular E4 signal from its rows (row 1 start, row 2 rate, then samples; ACC in 1/64 g counts -> g). */
export function e4SignalFromRows(rows: CsvRow[], file: string, name: string): Signal {
  const columns = E4_CHANNELS[name] ?? Math.max(1, rows[0]?.cells.length ?? 1);
  const t0 = readStart(file, rows, columns, false);
  const fs_ = readRate(file, rows, columns);
  const n = rows.length - 2;
  const data = new Float32Array(n * columns);
  const scale = name === 'acc' ? 1 / ACC_COUNTS_PER_G : 1;
  const axes = columns === 3 ? ['x', 'y', 'z'] : undefined;
  for (let i = 0; i < n; i++) {
    const r = rows[i + 2];
    checkColumns(file, r, columns, `sample row`);
    for (let c = 0; c < columns; c++) {
      data[i * columns + c] = parseSampleCell(file, r.line, r.cells[c], axes ? `column ${c + 1} (${axes[c]})` : 'the value', scale);
    }
  }
  return { t0, fs: fs_, channels: columns, data, source: file };
}


/** One regular E4 file's bytes (e.g. a dropped BVP.csv) as a `Signal`; `file` names it in errors. */
export function parseE4Signal(bytes: Uint8Array, file: string, sensor: string): Signal {
  return e4SignalFromRows(csvRows(bytes, file), file, sensor);
}
