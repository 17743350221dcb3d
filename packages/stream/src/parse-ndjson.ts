import { Observable, OperatorFunction } from 'rxjs';
import { implausibleRate, implausibleTime, implausibleValue } from '@fusion/sensors/e4-text';
import type { Line, Malformed, SampleChunk } from './types';

export interface ParseOptions {
  /** Longest accepted stream id (default 200 characters). */
  maxIdLength?: number;
  /** Most samples in one batch line (default 100000). */
  maxBatch?: number;
}

/**
 * Parses NDJSON sample lines into sample chunks. Two forms are accepted:
 * - one sample: `{"stream":"dev-1","sensor":"eda","t":1644226061.25,"values":[0.41]}` (`values`: one number per channel);
 * - a batch: `{"stream":"dev-1","sensor":"bvp","t0":1644226061,"fs":64,"values":[[1.2],[1.3]]}`, sample i at t0 + i/fs
 *   (a one-channel batch may also be a flat list `[1.2, 1.3]`).
 * A line that is not one of these becomes a `Malformed` item (the stream goes on); blank lines are ignored. So does a
 * line whose values cannot be real: times outside 2000-2100, a value outside the sensor's plausible range or a rate far
 * from its nominal one (the readers' table, `SENSOR_RANGES`), since one such sample would poison a stream's statistics
 * and an absurd rate or time would size its buffers.
 */
export function parseNdjson(options: ParseOptions = {}): OperatorFunction<Line, SampleChunk | Malformed> {
  const maxId = options.maxIdLength ?? 200;
  const maxBatch = options.maxBatch ?? 100000;
  if (!Number.isInteger(maxId) || maxId < 1) throw new RangeError(`parseNdjson: maxIdLength must be an integer >= 1, received ${maxId}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`parseNdjson: maxBatch must be an integer >= 1, received ${maxBatch}`);
  return (source) =>
    new Observable<SampleChunk | Malformed>((subscriber) => {
      const sub = source.subscribe({
        next(line) {
          if (line.text.trim() === '') return;
          const r = parseLine(line.text, maxId, maxBatch);
          subscriber.next(typeof r === 'string' ? { malformed: true, origin: line.origin, lineNo: line.lineNo, reason: r } : r);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
}

/** The chunk a line holds, or the reason it holds none. */
export function parseLine(text: string, maxId = 200, maxBatch = 100000): SampleChunk | string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return `not JSON: ${preview(text)}`;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return `expected a JSON object with stream, sensor, t and values; received ${preview(text)}`;
  const r = o as Record<string, unknown>;
  if (typeof r.stream !== 'string' || r.stream === '' || r.stream.length > maxId) return `"stream" must be a non-empty string of at most ${maxId} characters`;
  if (typeof r.sensor !== 'string' || r.sensor === '') return '"sensor" must be a non-empty string (bvp, eda, temp, acc, hr, ibi)';
  if (!Array.isArray(r.values) || r.values.length === 0) return '"values" must be a non-empty array';
  const sensor = r.sensor.toLowerCase();
  if (r.t !== undefined) {
    if (typeof r.t !== 'number' || !Number.isFinite(r.t)) return '"t" must be a finite number (Unix seconds)';
    const vals = r.values as unknown[];
    if (!vals.every(isSampleValue)) return '"values" must hold finite numbers, one per channel';
    const badT = implausibleTime(r.t);
    if (badT) return `"t": ${badT}`;
    const chunk = { stream: r.stream, sensor, times: Float64Array.of(r.t), values: Float32Array.from(vals as number[]), channels: vals.length };
    return implausibleValues(chunk) ?? chunk;
  }
  if (typeof r.t0 !== 'number' || !Number.isFinite(r.t0)) return 'expected "t" (one sample) or "t0" and "fs" (a batch)';
  if (typeof r.fs !== 'number' || !(r.fs > 0) || !Number.isFinite(r.fs)) return '"fs" must be a positive number (Hz) in a batch';
  const badRate = implausibleRate(sensor, r.fs);
  if (badRate) return `"fs": ${badRate}`;
  const rows = r.values as unknown[];
  if (rows.length > maxBatch) return `a batch holds at most ${maxBatch} samples, received ${rows.length}`;
  const channels = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : 1;
  if (channels === 0) return '"values" rows must not be empty';
  const values = new Float32Array(rows.length * channels);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (channels === 1 && isSampleValue(row)) values[i] = row;
    else if (Array.isArray(row) && row.length === channels && row.every(isSampleValue)) values.set(row as number[], i * channels);
    else return `"values" row ${i} must be ${channels === 1 ? 'a number or ' : ''}an array of ${channels} finite number(s)`;
  }
  const times = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) times[i] = r.t0 + i / r.fs;
  const badT = implausibleTime(r.t0) ?? implausibleTime(times[times.length - 1]);
  if (badT) return `"t0": ${badT}`;
  const chunk = { stream: r.stream, sensor, times, values, channels, fs: r.fs };
  return implausibleValues(chunk) ?? chunk;
}

/** The first value of a chunk outside its sensor's plausible range, as a reason, or undefined. */
function implausibleValues(c: SampleChunk): string | undefined {
  for (let i = 0; i < c.values.length; i++) {
    const bad = implausibleValue(c.sensor, c.values[i]);
    if (bad) return `${bad}${c.times.length > 1 ? ` (row ${Math.floor(i / c.channels)} of "values")` : ''}`;
  }
  return undefined;
}

/** A sample value is stored as float32: a finite double beyond its range (e.g. 1e308) would become Infinity. */
function isSampleValue(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(Math.fround(v));
}

function preview(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '...' : s);
}

export function isMalformed(x: SampleChunk | Malformed): x is Malformed {
  return (x as Malformed).malformed === true;
}
