import { DataFormatError, EventSeries, Signal } from '@fusion/core/live';
import { CsvRow, Float32Chunks, forEachCsvRowOfBytes, parseNumberCell, parseSampleCell } from './csv-rows';

// The E4 file format without Node modules: the CLI reads files with it (e4-reader.ts feeds it the chunks it reads) and a
// browser parses dropped files with it, so both get the same checks (columns, plausible ranges, file:line errors).

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

/** Event series the E4 readers provide in `recording.events` (IBI.csv: inter-beat intervals in seconds at each beat). */
export const E4_EVENTS: readonly string[] = Object.freeze(['ibi']);

/** Channels per sensor; ACC is the only multi-channel E4 signal. */
const E4_CHANNELS: Readonly<Record<string, number>> = { acc: 3, bvp: 1, eda: 1, temp: 1, hr: 1 };

/** E4 accelerometer counts per g: the device reports 1/64 g steps. */
export const ACC_COUNTS_PER_G = 64;

/** Nominal E4 rates (Hz). K-EmoCon files carry only timestamps, and jittery streaming timestamps are snapped to these. */
export const E4_NOMINAL_RATES: Readonly<Record<string, number>> = Object.freeze({ acc: 32, bvp: 64, eda: 4, temp: 4, hr: 1 });

/** A declared rate may differ from the nominal one by this factor (either way) before it is called corrupt. */
export const RATE_TOLERANCE = 2;

/** No wrist sensor samples faster than this; a larger rate in row 2 is a corrupt header, not a real rate. */
const MAX_RATE_HZ = 10000;

export interface SensorRange {
  min: number;
  max: number;
  unit: string;
}

/**
 * Physically plausible values per sensor, in the units the readers return (acc in g, after the 1/64 g conversion). A
 * value outside is a corrupt file or the wrong column, not a reading, even when it parses. The bounds leave a wide
 * margin around the real recordings: Stress-Predict S01-S25 and the E4 sample export span acc -2..1.98 g (the E4 range
 * is +-2 g), bvp -2752..2102, eda 0..11.0 uS, temp 26.3..36.4 C, hr 49..147 bpm, ibi 0.36..1.55 s. The ibi bound
 * (0.2-3 s) matches the hr bound (20-250 bpm, i.e. 0.24-3 s between beats).
 */
export const SENSOR_RANGES: Readonly<Record<string, Readonly<SensorRange>>> = Object.freeze({
  acc: { min: -8, max: 8, unit: 'g' },
  bvp: { min: -1e5, max: 1e5, unit: '(arbitrary units)' },
  eda: { min: 0, max: 100, unit: 'uS' },
  temp: { min: 0, max: 50, unit: 'C (skin)' },
  hr: { min: 20, max: 250, unit: 'bpm' },
  ibi: { min: 0.2, max: 3, unit: 's' },
});

/** Plausible recording times, Unix seconds: 2000-01-01 to 2100-01-01. */
export const EPOCH_RANGE_S: Readonly<{ min: number; max: number }> = Object.freeze({ min: 946684800, max: 4102444800 });

/** Why `value` of `sensor` (readers' units) is not plausible, or undefined; sensors without a range always pass. */
export function implausibleValue(sensor: string, value: number): string | undefined {
  const r = SENSOR_RANGES[sensor];
  if (!r || (value >= r.min && value <= r.max)) return undefined;
  return `${sensor} value ${value} is outside the plausible ${r.min}..${r.max} ${r.unit}`;
}

/** Why a time (Unix seconds) is not plausible for a recording, or undefined. */
export function implausibleTime(t: number): string | undefined {
  if (t >= EPOCH_RANGE_S.min && t <= EPOCH_RANGE_S.max) return undefined;
  return `time ${t} is outside 2000-2100 (expected Unix seconds, ${EPOCH_RANGE_S.min}..${EPOCH_RANGE_S.max})`;
}

/** Why `fs` (Hz) is not a plausible rate for `sensor`, or undefined: within RATE_TOLERANCE of the nominal E4 rate. */
export function implausibleRate(sensor: string, fs: number): string | undefined {
  const nominal = E4_NOMINAL_RATES[sensor];
  if (nominal === undefined) return fs > 0 && fs <= MAX_RATE_HZ ? undefined : `the sample rate ${fs} Hz is outside 0..${MAX_RATE_HZ} Hz`;
  if (fs >= nominal / RATE_TOLERANCE && fs <= nominal * RATE_TOLERANCE) return undefined;
  return `the ${sensor} sample rate ${fs} Hz is not near its nominal ${nominal} Hz (accepted ${nominal / RATE_TOLERANCE}..${nominal * RATE_TOLERANCE} Hz)`;
}

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

/**
 * Header row `line` (1: session start, 2: sample rate) of an E4 file: present (else `missing`), not blank (else `blank`)
 * and `columns` cells wide; returns it with its first cell as a number.
 */
function headerRow(file: string, rows: CsvRow[], line: 1 | 2, columns: number, what: string, missing: string, blank: string): { row: CsvRow; value: number } {
  if (rows.length < line) throw new DataFormatError(file, line, missing);
  const row = rows[line - 1];
  if (row.line !== line) throw new DataFormatError(file, line, blank);
  checkColumns(file, row, columns, `row ${line} (${what})`);
  return { row, value: parseNumberCell(file, line, row.cells[0], `the ${what} (row ${line})`) };
}

/** The header value `value` (the session start or sample rate) repeated in every column of its row. */
function sameInColumns(file: string, row: CsvRow, columns: number, what: string, value: number): void {
  for (let c = 1; c < columns; c++) {
    const v = parseNumberCell(file, row.line, row.cells[c], `the ${what} (row ${row.line}, column ${c + 1})`);
    if (v !== value) throw new DataFormatError(file, row.line, `the ${what} differs between columns (${row.cells[0]} vs ${row.cells[c]}); expected one value repeated per column. Fix row ${row.line}.`);
  }
}

/** Row 1 of an E4 file: the session start in Unix seconds, repeated once per column. */
export function readStart(file: string, rows: CsvRow[], columns: number, isIbi: boolean): number {
  const { row: r, value: t0 } = headerRow(
    file,
    rows,
    1,
    columns,
    'session start',
    'the file is empty; expected row 1 = session start (Unix seconds) and row 2 = sample rate (Hz), then one sample per row. ' +
      'Export the session again from E4 connect, or remove the file and the sensor from the request.',
    'row 1 is blank; expected the session start time (Unix seconds). Remove the leading blank line(s).'
  );
  const badT0 = implausibleTime(t0);
  if (badT0) throw new DataFormatError(file, 1, `the session start: ${badT0}. Fix row 1.`);
  if (isIbi) {
    if (r.cells[1].toUpperCase() !== 'IBI') {
      throw new DataFormatError(file, 1, `row 1 column 2 is "${r.cells[1]}"; expected "IBI" (row 1 of IBI.csv is "<start>, IBI"). Check that this is an IBI export.`);
    }
  } else sameInColumns(file, r, columns, 'session start', t0);
  return t0;
}

/** Row 2 of a regular E4 file: the sample rate in Hz, repeated once per column. */
function readRate(file: string, rows: CsvRow[], columns: number, sensor: string): number {
  const { row: r, value: fs_ } = headerRow(
    file,
    rows,
    2,
    columns,
    'sample rate',
    'row 2 (the sample rate in Hz) is missing; expected row 1 = session start and row 2 = sample rate, then samples. ' +
      'The file is truncated; export it again.',
    'row 2 is blank; expected the sample rate in Hz. Remove the blank line.'
  );
  if (!(fs_ > 0) || fs_ > MAX_RATE_HZ) {
    throw new DataFormatError(
      file,
      2,
      `the sample rate is ${r.cells[0]} Hz; expected a positive rate up to ${MAX_RATE_HZ} Hz (E4: ACC 32, BVP 64, EDA 4, TEMP 4, HR 1). Fix row 2.`
    );
  }
  sameInColumns(file, r, columns, 'sample rate', fs_);
  const badRate = implausibleRate(sensor, fs_);
  if (badRate) throw new DataFormatError(file, 2, `${badRate}. Check that this is the ${sensor.toUpperCase()} export and fix row 2.`);
  return fs_;
}

/**
 * Builds one regular E4 signal (row 1 start, row 2 rate, then samples; ACC in 1/64 g counts -> g) from rows fed one at
 * a time, parsed straight into float32 chunks: memory follows the samples, not the file's text.
 */
export class E4SignalParser {
  private readonly head: CsvRow[] = [];
  private columns: number;
  private t0 = NaN;
  private fs = NaN;
  private readonly data = new Float32Chunks();
  private readonly scale: number;
  private axes: string[] | undefined;

  constructor(private readonly file: string, private readonly name: string) {
    this.columns = E4_CHANNELS[name] ?? 1;
    this.scale = name === 'acc' ? 1 / ACC_COUNTS_PER_G : 1;
  }

  /** Takes the next non-blank row of the file. */
  row(r: CsvRow): void {
    const { file, name, scale, head } = this;
    if (head.length < 2) {
      head.push(r);
      if (head.length === 1) {
        this.columns = E4_CHANNELS[name] ?? Math.max(1, r.cells.length);
        this.axes = this.columns === 3 ? ['x', 'y', 'z'] : undefined;
        this.t0 = readStart(file, head, this.columns, false);
      } else this.fs = readRate(file, head, this.columns, name);
      return;
    }
    const columns = this.columns;
    const axes = this.axes;
    checkColumns(file, r, columns, `sample row`);
    for (let c = 0; c < columns; c++) {
      const v = parseSampleCell(file, r.line, r.cells[c], axes ? `column ${c + 1} (${axes[c]})` : 'the value', scale);
      const bad = implausibleValue(name, v);
      if (bad) throw new DataFormatError(file, r.line, `${bad}${scale !== 1 ? ` (read ${r.cells[c]})` : ''}; a corrupt row or the wrong file. Fix or delete that row.`);
      this.data.push(v);
    }
  }

  /** The signal, after the last row (throws when the file ended before its two header rows). */
  finish(): Signal {
    if (this.head.length < 1) readStart(this.file, this.head, this.columns, false); // throws: the file is empty
    if (this.head.length < 2) readRate(this.file, this.head, this.columns, this.name); // throws: row 2 is missing
    return { t0: this.t0, fs: this.fs, channels: this.columns, data: this.data.toArray(), source: this.file };
  }
}

/** One regular E4 file's bytes (e.g. a dropped BVP.csv) as a `Signal`; `file` names it in errors. */
export function parseE4Signal(bytes: Uint8Array, file: string, sensor: string): Signal {
  const parser = new E4SignalParser(file, sensor);
  forEachCsvRowOfBytes(bytes, file, (r) => parser.row(r));
  return parser.finish();
}

/** An E4 IBI.csv's rows (row 1 `<start>, IBI`, then `offset_seconds, ibi_seconds`) as events at start + offset. */
export function ibiFromRows(file: string, rows: CsvRow[]): EventSeries {
  const t0 = readStart(file, rows, 2, true);
  const n = rows.length - 1;
  const times = new Float64Array(n);
  const values = new Float32Array(n);
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = rows[i + 1];
    checkColumns(file, r, 2, 'IBI row (offset_seconds, ibi_seconds)');
    const off = parseNumberCell(file, r.line, r.cells[0], 'the beat offset (column 1)');
    const ibi = parseNumberCell(file, r.line, r.cells[1], 'the inter-beat interval (column 2)');
    if (off < prev) {
      throw new DataFormatError(file, r.line, `the beat offset ${r.cells[0]} s is before the previous one (${prev} s); expected increasing offsets. The rows are out of order; sort them by column 1.`);
    }
    const bad = implausibleValue('ibi', ibi);
    if (bad) throw new DataFormatError(file, r.line, `the inter-beat interval: ${bad} (e.g. 0.8). Fix or delete that row.`);
    prev = off;
    times[i] = t0 + off;
    values[i] = ibi;
  }
  return { times, values, source: file };
}

/** An E4 IBI.csv's bytes (e.g. a dropped file) as its beats, by the reader's own rules; `file` names it in errors. */
export function parseE4Ibi(bytes: Uint8Array, file: string): EventSeries {
  const rows: CsvRow[] = [];
  forEachCsvRowOfBytes(bytes, file, (r) => rows.push(r));
  return ibiFromRows(file, rows);
}
