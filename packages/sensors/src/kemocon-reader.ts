import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError, Dataset, DatasetError, EventSeries, LabelInterval, pathKind, Recording, RecordingContext, Signal, statDirectory } from '@fusion/core';
import { CsvRow, forEachCsvRow, median, parseNumberCell, parseSampleCell, readCsvRows } from './csv-text';
import { duplicateRecordings } from './duplicates';
import { ACC_COUNTS_PER_G, E4_NOMINAL_RATES, E4_SENSORS, implausibleTime, implausibleValue } from './e4-parse';

export type Annotator = 'self' | 'partner' | 'external';
export const ANNOTATORS: readonly Annotator[] = Object.freeze(['self', 'partner', 'external'] as Annotator[]);

/** Label targets read from the annotation files. */
export const KEMOCON_TARGETS: readonly string[] = Object.freeze(['arousal', 'valence']);

/** Length of one K-EmoCon annotation interval, in seconds. */
export const ANNOTATION_STEP_S = 5;

export interface KEmoConOptions {
  /** Whose annotations become the labels (default `external`, as in the EmoHEAL paper). */
  annotator?: Annotator;
  /** Restrict to these participant ids (numbers or strings such as "4"). */
  participants?: readonly (number | string)[];
  /** Signals to read (default all five); IBI is read when its file exists. */
  sensors?: readonly string[];
  /** Device serial to keep per participant; by default the serial with the most rows in each file. */
  device?: string;
  /** Receives warnings as they happen (they are also returned in `Dataset.warnings`). */
  warn?: (message: string) => void;
}

export interface KEmoConSubject {
  pid: string;
  initTime: number;
  startTime: number;
  endTime: number;
}

function fileName(sensor: string): string {
  return `E4_${sensor.toUpperCase()}.csv`;
}

/** Column index by (case-insensitive) name. */
function headerIndex(rows: CsvRow[], file: string, required: readonly string[], what: string): Map<string, number> {
  if (rows.length === 0 || rows[0].line !== 1) {
    throw new DataFormatError(file, 1, `the file is empty; expected a header row with ${required.join(', ')} and then data rows. Restore the file from the dataset.`);
  }
  const idx = new Map<string, number>();
  rows[0].cells.forEach((c, i) => {
    const k = c.replace(/^"|"$/g, '').trim().toLowerCase();
    if (!idx.has(k)) idx.set(k, i);
  });
  const missing = required.filter((r) => !idx.has(r));
  if (missing.length) {
    throw new DataFormatError(
      file,
      1,
      `header is "${rows[0].cells.join(',')}"; expected ${what} with column(s) ${required.join(', ')} (missing ${missing.join(', ')}). ` +
        `Check that this is the right file, or restore its header.`
    );
  }
  return idx;
}

function checkWidth(file: string, r: CsvRow, width: number): void {
  if (r.cells.length < width) {
    throw new DataFormatError(file, r.line, `found ${r.cells.length} column(s), expected ${width} as in the header. The row is incomplete; fix or delete it.`);
  }
}

interface TimedRows {
  times: Float64Array; // epoch ms
  values: Float64Array; // row-major, `channels` per row
  channels: number;
  /** 1-based file line of each row (for errors found after parsing). */
  lines: Int32Array;
  device?: string;
}

/** A growing column of numbers kept in fixed-size typed-array chunks (no doubling copies, 8 or 4 bytes a number). */
class Column<A extends Float64Array | Int32Array> {
  private readonly chunks: A[] = [];
  private used = 0;
  length = 0;
  constructor(private readonly make: (n: number) => A) {}
  push(v: number): void {
    if (this.chunks.length === 0 || this.used === CHUNK) {
      this.chunks.push(this.make(CHUNK));
      this.used = 0;
    }
    this.chunks[this.chunks.length - 1][this.used++] = v;
    this.length++;
  }
  /** The column as one array; the chunks are released. */
  take(): A {
    const out = this.make(this.length);
    let at = 0;
    for (const c of this.chunks.splice(0)) {
      const n = Math.min(CHUNK, this.length - at);
      out.set(c.subarray(0, n) as never, at);
      at += n;
    }
    return out;
  }
}
const CHUNK = 1 << 16;

/** One device's parsed rows, grown as the file is read. */
interface DeviceRows {
  times: Column<Float64Array>;
  values: Column<Float64Array>;
  lines: Column<Int32Array>;
}
const deviceRows = (): DeviceRows => ({ times: new Column((n) => new Float64Array(n)), values: new Column((n) => new Float64Array(n)), lines: new Column((n) => new Int32Array(n)) });

/**
 * Reads a K-EmoCon E4 file's rows of the chosen device (most rows unless `device` is given), parsing each row as it
 * is read (never the whole file's text or rows in memory: about 8 bytes per number kept, so memory stays in proportion
 * to the file). With `device` given, other devices' rows are skipped unparsed; without it every device's rows are
 * parsed and the one with most rows is kept.
 */
function readTimedRows(file: string, sensor: string, device: string | undefined, warn: (m: string) => void): TimedRows {
  const valueCols = sensor === 'acc' ? ['x', 'y', 'z'] : ['value'];
  const C = valueCols.length;
  let tCol = 0;
  let vCols: number[] = [];
  let dCol: number | undefined;
  let width = 0;
  let header = false;
  let dataRows = 0;
  const devices = new Map<string, DeviceRows>();
  forEachCsvRow(file, `K-EmoCon ${sensor}`, (r) => {
    if (!header) {
      const idx = headerIndex([r], file, ['timestamp', ...valueCols], `a K-EmoCon ${sensor} file`);
      tCol = idx.get('timestamp')!;
      vCols = valueCols.map((c) => idx.get(c)!);
      dCol = idx.get('device_serial');
      width = Math.max(tCol, ...vCols, dCol ?? 0) + 1;
      header = true;
      return;
    }
    dataRows++;
    checkWidth(file, r, width);
    const d = dCol === undefined ? '' : r.cells[dCol];
    if (device !== undefined && dCol !== undefined && d !== device) {
      if (!devices.has(d)) devices.set(d, deviceRows());
      devices.get(d)!.lines.push(r.line); // counted only
      return;
    }
    let rows = devices.get(d);
    if (!rows) devices.set(d, (rows = deviceRows()));
    const t = parseNumberCell(file, r.line, r.cells[tCol], 'timestamp');
    const badT = implausibleTime(t / 1000);
    if (badT) throw new DataFormatError(file, r.line, `timestamp ${r.cells[tCol]} ms: ${badT}; expected epoch milliseconds. Fix or delete that row.`);
    rows.times.push(t);
    for (let c = 0; c < C; c++) rows.values.push(parseSampleCell(file, r.line, r.cells[vCols[c]], valueCols[c]));
    rows.lines.push(r.line);
  });
  if (!header) headerIndex([], file, ['timestamp', ...valueCols], `a K-EmoCon ${sensor} file`);
  if (dataRows === 0) throw new DataFormatError(file, 2, `no data rows after the header; expected one row per sample. Restore the file.`);

  let keep: string | undefined;
  if (dCol !== undefined) {
    const counts = new Map([...devices].map(([d, rows]) => [d, rows.lines.length]));
    if (device !== undefined) {
      if (!counts.has(device)) {
        throw new DatasetError(`device "${device}" has no rows in ${file}; devices there: ${[...counts.keys()].join(', ')}. Fix the "device" option.`);
      }
      keep = device;
    } else {
      // Most rows wins; ties go to the lexically first serial so the choice does not depend on row order.
      keep = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
    }
    if (counts.size > 1) {
      const dropped = [...counts.entries()].filter(([d]) => d !== keep).map(([d, n]) => `${d} (${n} rows)`);
      warn(`${file}: rows from ${counts.size} devices; kept ${keep} (${counts.get(keep)} rows), dropped ${dropped.join(', ')}.`);
    }
  }
  const kept = devices.get(keep ?? '')!;
  devices.clear();
  const times = kept.times.take();
  const values = kept.values.take();
  const lines = kept.lines.take();
  // Streamed rows occasionally arrive out of order; a stable sort by time restores sample order.
  let sorted = true;
  for (let i = 1; i < times.length && sorted; i++) if (times[i] < times[i - 1]) sorted = false;
  if (!sorted) {
    const order = Array.from(times.keys()).sort((a, b) => times[a] - times[b] || a - b);
    const t2 = Float64Array.from(order, (i) => times[i]);
    const v2 = new Float64Array(values.length);
    order.forEach((i, k) => v2.set(values.subarray(i * C, (i + 1) * C), k * C));
    warn(`${file}: timestamps were not in order; sorted them.`);
    return { times: t2, values: v2, channels: C, lines: Int32Array.from(order, (i) => lines[i]), device: keep };
  }
  return { times, values, channels: C, lines, device: keep };
}

/** Throws naming the first row whose value (times `scale`, the readers' units) is outside SENSOR_RANGES. */
function checkRange(file: string, sensor: string, rows: TimedRows, values: ArrayLike<number>, scale: number): void {
  for (let i = 0; i < values.length; i++) {
    const bad = implausibleValue(sensor, values[i] * scale);
    if (bad) {
      throw new DataFormatError(file, rows.lines[Math.floor(i / rows.channels)], `${bad}${scale !== 1 ? ` (read ${values[i]})` : ''}; a corrupt row or the wrong file. Fix or delete that row.`);
    }
  }
}

/** Estimates a rate from timestamps (ms) and snaps it to the nominal E4 rate; throws when the two disagree. */
function snapRate(file: string, sensor: string, times: Float64Array, warn: (m: string) => void): number {
  const nominal = E4_NOMINAL_RATES[sensor];
  const diffs: number[] = [];
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) diffs.push(times[i] - times[i - 1]);
  const byMedian = diffs.length ? 1000 / median(diffs) : NaN;
  const span = times[times.length - 1] - times[0];
  const byCount = span > 0 ? ((times.length - 1) * 1000) / span : NaN;
  const candidates = [1, 2, 4, 8, 16, 32, 64, 128];
  if (nominal !== undefined) {
    // Streamed packets share timestamps, so the median step can mislead; the overall count per time is a second opinion.
    for (const est of [byMedian, byCount]) if (est >= nominal / 2 && est <= nominal * 2) return nominal;
    // Slower than nominal means gaps (left missing); faster means the wrong file or timestamps not in milliseconds.
    if (times.length < 3 || !(byMedian > nominal * 2 && byCount > nominal * 2)) {
      warn(`${file}: timestamps give about ${byMedian.toFixed(3)} Hz, slower than the nominal ${nominal} Hz of ${sensor}; missing samples are left as gaps.`);
      return nominal;
    }
    throw new DataFormatError(
      file,
      undefined,
      `timestamps give about ${byMedian.toFixed(3)} Hz (median step) / ${byCount.toFixed(3)} Hz (count over time); expected about ${nominal} Hz for ${sensor}. ` +
        `Check that the timestamps are epoch milliseconds and that the file belongs to this sensor.`
    );
  }
  const est = Number.isFinite(byMedian) ? byMedian : byCount;
  if (!Number.isFinite(est)) throw new DataFormatError(file, undefined, 'cannot estimate a sample rate from fewer than two distinct timestamps.');
  return candidates.reduce((best, c) => (Math.abs(Math.log(c / est)) < Math.abs(Math.log(best / est)) ? c : best), candidates[0]);
}

/** Longest recording accepted; a longer span means a corrupt timestamp and would allocate gigabytes of NaN. */
const MAX_SPAN_S = 7 * 24 * 3600;

/**
 * Reads one K-EmoCon E4 signal file into a regular `Signal`: t0 = first timestamp / 1000, fs = nominal rate. Samples are
 * placed at their nominal index (gaps stay NaN), while bursts of identical or early timestamps are packed one index apart.
 */
export function readKEmoConSignal(file: string, sensor: string, options: { device?: string; warn?: (m: string) => void } = {}): Signal {
  const warn = options.warn ?? ((): void => undefined);
  const rows = readTimedRows(file, sensor, options.device, warn);
  const { times, values, channels: C } = rows;
  const scale = sensor === 'acc' ? 1 / ACC_COUNTS_PER_G : 1;
  checkRange(file, sensor, rows, values, scale);
  const fs_ = snapRate(file, sensor, times, warn);
  const t0ms = times[0];
  const spanS = (times[times.length - 1] - t0ms) / 1000;
  if (spanS > MAX_SPAN_S) {
    throw new DataFormatError(file, undefined, `timestamps span ${(spanS / 86400).toFixed(1)} days; expected one session (hours). A timestamp is corrupt or not in epoch ms; fix it.`);
  }
  const idx = new Int32Array(times.length);
  let prev = -1;
  for (let i = 0; i < times.length; i++) {
    const k = Math.max(prev + 1, Math.round(((times[i] - t0ms) / 1000) * fs_));
    idx[i] = k;
    prev = k;
  }
  const n = times.length ? idx[times.length - 1] + 1 : 0;
  const data = new Float32Array(n * C).fill(NaN);
  for (let i = 0; i < times.length; i++) for (let c = 0; c < C; c++) data[idx[i] * C + c] = values[i * C + c] * scale;
  return { t0: t0ms / 1000, fs: fs_, channels: C, data, source: file };
}

/** Reads a K-EmoCon IBI file: event times = timestamp / 1000; values in seconds (milliseconds detected and converted). */
export function readKEmoConIbi(file: string, options: { device?: string; warn?: (m: string) => void } = {}): EventSeries {
  const rows = readTimedRows(file, 'ibi', options.device, options.warn ?? ((): void => undefined));
  const values = Float32Array.from(rows.values);
  // No heart beats 10 s apart, so a median above 10 means the file is in milliseconds.
  if (median(values) > 10) for (let i = 0; i < values.length; i++) values[i] /= 1000;
  checkRange(file, 'ibi', rows, values, 1);
  return { times: Float64Array.from(rows.times, (t) => t / 1000), values, source: file };
}

/** Reads `metadata/subjects.csv` (pid, initTime, startTime, endTime in epoch ms). */
export function readKEmoConSubjects(file: string): KEmoConSubject[] {
  const rows = readCsvRows(file, 'K-EmoCon subjects');
  const cols = ['pid', 'inittime', 'starttime', 'endtime'];
  const idx = headerIndex(rows, file, cols, 'the K-EmoCon subject table');
  const [p, i0, s0, e0] = cols.map((c) => idx.get(c)!);
  const width = Math.max(p, i0, s0, e0) + 1;
  const lineOf = new Map<string, number>();
  return rows.slice(1).map((r) => {
    checkWidth(file, r, width);
    const pid = String(parseNumberCell(file, r.line, r.cells[p].replace(/^P/i, ''), 'pid'));
    if (lineOf.has(pid)) {
      throw new DataFormatError(file, r.line, `participant ${pid} is listed again (first on line ${lineOf.get(pid)}); expected one row per participant. Delete the duplicate row.`);
    }
    lineOf.set(pid, r.line);
    const sub = {
      pid,
      initTime: parseNumberCell(file, r.line, r.cells[i0], 'initTime'),
      startTime: parseNumberCell(file, r.line, r.cells[s0], 'startTime'),
      endTime: parseNumberCell(file, r.line, r.cells[e0], 'endTime'),
    };
    if (!(sub.endTime > sub.startTime)) {
      throw new DataFormatError(file, r.line, `endTime ${r.cells[e0]} is not after startTime ${r.cells[s0]}; expected the debate to end after it starts (epoch ms). Fix the row.`);
    }
    return sub;
  });
}

/**
 * Reads one annotation file into 5-s label intervals on the debate clock: row `seconds = s` covers
 * [startTime + s - 5, startTime + s). Cells `x` or empty are missing and left out of `values`.
 */
export function readKEmoConAnnotations(file: string, startTimeMs: number, targets: readonly string[] = KEMOCON_TARGETS): LabelInterval[] {
  const rows = readCsvRows(file, 'K-EmoCon annotation');
  const idx = headerIndex(rows, file, ['seconds', ...targets], 'a K-EmoCon annotation file');
  const sCol = idx.get('seconds')!;
  const width = Math.max(sCol, ...targets.map((t) => idx.get(t)!)) + 1;
  const start = startTimeMs / 1000;
  const out: LabelInterval[] = [];
  const lineOf = new Map<number, number>();
  for (const r of rows.slice(1)) {
    checkWidth(file, r, width);
    const s = parseNumberCell(file, r.line, r.cells[sCol], 'seconds');
    if (lineOf.has(s)) {
      throw new DataFormatError(file, r.line, `seconds ${r.cells[sCol]} is listed again (first on line ${lineOf.get(s)}); expected one row per 5-s interval. Delete the duplicate row.`);
    }
    lineOf.set(s, r.line);
    if (s < ANNOTATION_STEP_S - 1e-9) {
      throw new DataFormatError(file, r.line, `seconds is ${r.cells[sCol]}; expected the end of a 5-s interval (5, 10, 15, ...). Fix the row.`);
    }
    const values: Record<string, number> = {};
    for (const t of targets) {
      const cell = r.cells[idx.get(t)!];
      if (cell === '' || cell.toLowerCase() === 'x') continue;
      const v = parseNumberCell(file, r.line, cell, t);
      if (v < 1 || v > 5) throw new DataFormatError(file, r.line, `${t} is ${cell}; expected a rating from 1 to 5 (or "x" when missing). Fix the cell.`);
      values[t] = v;
    }
    out.push({ start: start + s - ANNOTATION_STEP_S, end: start + s, values });
  }
  return out;
}

function annotationFile(root: string, annotator: Annotator, pid: string): string {
  return path.join(root, 'emotion_annotations', `${annotator}_annotations`, `P${pid}.${annotator}.csv`);
}

/** Reads one participant's signals, IBI, debate span and labels. */
export function readKEmoConParticipant(root: string, subject: KEmoConSubject, options: KEmoConOptions = {}): Recording {
  const warn = options.warn ?? ((): void => undefined);
  const dir = path.join(root, 'e4_data', subject.pid);
  const sensors = options.sensors ?? E4_SENSORS;
  const signals: Record<string, Signal> = {};
  for (const s of sensors) {
    if (!(s in E4_NOMINAL_RATES)) throw new DatasetError(`unknown K-EmoCon sensor "${s}"; known: ${Object.keys(E4_NOMINAL_RATES).join(', ')}.`);
    const file = path.join(dir, fileName(s));
    if (pathKind(file) === 'missing') {
      throw new DatasetError(`K-EmoCon ${s} file not found: ${file} (participant ${subject.pid}). Add it, or leave the participant out with "participants".`);
    }
    signals[s] = readKEmoConSignal(file, s, { device: options.device, warn });
  }
  const rec: Recording = {
    subject: subject.pid,
    signals,
    labels: [],
    span: { start: subject.startTime / 1000, end: subject.endTime / 1000 },
    source: dir,
  };
  const ibiFile = path.join(dir, fileName('ibi'));
  if (pathKind(ibiFile) !== 'missing') rec.events = { ibi: readKEmoConIbi(ibiFile, { device: options.device, warn }) };
  const annotator = options.annotator ?? 'external';
  const af = annotationFile(root, annotator, subject.pid);
  if (pathKind(af) !== 'missing') rec.labels = readKEmoConAnnotations(af, subject.startTime);
  else warn(`participant ${subject.pid}: no ${annotator} annotations (${af}); the recording has no labels.`);
  return rec;
}

/** Reads a K-EmoCon dataset root (`e4_data/`, `metadata/subjects.csv`, `emotion_annotations/`). */
export function readKEmoCon(root: string, options: KEmoConOptions = {}): Dataset {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    options.warn?.(m);
  };
  statDirectory(root, 'K-EmoCon folder', 'Give the dataset root that holds e4_data/, metadata/ and emotion_annotations/.');
  if (options.annotator !== undefined && !ANNOTATORS.includes(options.annotator)) {
    throw new DatasetError(`unknown annotator "${options.annotator}"; expected one of ${ANNOTATORS.join(', ')}.`);
  }
  const subjectsFile = path.join(root, 'metadata', 'subjects.csv');
  if (pathKind(subjectsFile) === 'missing') {
    throw new DatasetError(`K-EmoCon subject table not found: ${subjectsFile}. It gives each debate's start and end (pid,initTime,startTime,endTime); restore it from the dataset.`);
  }
  const e4Root = path.join(root, 'e4_data');
  statDirectory(e4Root, 'K-EmoCon signal folder', 'Restore e4_data/<pid>/ from the dataset.');
  const subjects = readKEmoConSubjects(subjectsFile);
  const byPid = new Map(subjects.map((s) => [s.pid, s]));
  const withData = new Set(fs.readdirSync(e4Root).filter((d) => pathKind(path.join(e4Root, d)) === 'directory'));
  let chosen: KEmoConSubject[];
  if (options.participants && options.participants.length) {
    chosen = options.participants.map((p) => {
      const pid = String(p).replace(/^P/i, '');
      const s = byPid.get(pid);
      if (!s || !withData.has(pid)) {
        const known = subjects.filter((x) => withData.has(x.pid)).map((x) => x.pid);
        throw new DatasetError(`participant "${p}" is not in ${root} (needs a row in metadata/subjects.csv and e4_data/${pid}/); available: ${known.join(', ')}.`);
      }
      return s;
    });
  } else {
    chosen = subjects.filter((s) => {
      if (withData.has(s.pid)) return true;
      warn(`participant ${s.pid} is in metadata/subjects.csv but has no e4_data/${s.pid}/ folder; skipped.`);
      return false;
    });
    for (const d of withData) if (!byPid.has(d)) warn(`e4_data/${d}/ has no row in metadata/subjects.csv; skipped.`);
  }
  chosen.sort((a, b) => Number(a.pid) - Number(b.pid));
  if (chosen.length === 0) throw new DatasetError(`no participant in ${root} has both a subjects.csv row and an e4_data folder.`);
  const recordings = chosen.map((s) => readKEmoConParticipant(root, s, { ...options, warn }));
  const copies = duplicateRecordings(recordings);
  if (copies) warn(`${root}: ${copies}`);
  return { name: `kemocon:${root}`, recordings, warnings };
}

/**
 * `readRecording` of the `kemocon` and `synthetic` adapters (replay): a participant folder `<root>/e4_data/<pid>`
 * (E4_*.csv) with the wanted sensors; when `<root>/metadata/subjects.csv` lists the participant, also its debate span
 * (so the replay's window grid starts where evaluation's does) and labels. Undefined for a location that holds no
 * E4_*.csv file.
 */
export function readKEmoConRecording(location: string, ctx: RecordingContext): Recording | undefined {
  if (pathKind(location) !== 'directory' || !fs.readdirSync(location).some((f) => /^E4_[A-Z]+\.csv$/i.test(f))) return undefined;
  const sensors = ctx.sensors.filter((s) => E4_SENSORS.includes(s));
  const dir = path.resolve(location);
  const pid = path.basename(dir);
  const root = path.dirname(path.dirname(dir));
  const subjectsFile = path.join(root, 'metadata', 'subjects.csv');
  const listed = path.basename(path.dirname(dir)) === 'e4_data' && pathKind(subjectsFile) !== 'missing';
  const subject = listed ? readKEmoConSubjects(subjectsFile).find((s) => s.pid === pid) : undefined;
  if (subject) return readKEmoConParticipant(root, subject, { sensors, warn: ctx.warn });
  const signals: Record<string, Signal> = {};
  for (const s of sensors) signals[s] = readKEmoConSignal(path.join(dir, fileName(s)), s, { warn: ctx.warn });
  const rec: Recording = { subject: pid, signals, labels: [], source: dir };
  const ibiFile = path.join(dir, fileName('ibi'));
  if (ctx.sensors.includes('ibi') && pathKind(ibiFile) !== 'missing') rec.events = { ibi: readKEmoConIbi(ibiFile, { warn: ctx.warn }) };
  return rec;
}
