import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, EventSeries, pathKind, Recording, RecordingContext, Signal, statDirectory } from '@fusion/core';
import { forEachCsvRow, readCsvRows } from './csv-text';
import { E4_FILES, E4_SENSORS, E4SignalParser, ibiFromRows } from './e4-parse';

export {
  ACC_COUNTS_PER_G,
  E4_EVENTS,
  E4_FILES,
  E4_NOMINAL_RATES,
  E4_SENSORS,
  EPOCH_RANGE_S,
  implausibleRate,
  implausibleTime,
  implausibleValue,
  parseE4Ibi,
  parseE4Signal,
  RATE_TOLERANCE,
  SENSOR_RANGES,
  SensorRange,
} from './e4-parse';

/**
 * Reads one regular E4 file (ACC, BVP, EDA, TEMP, HR) as a `Signal`. `sensor` fixes the channel count (ACC: 3, converted
 * from 1/64 g counts to g); an unknown sensor takes its channel count from row 1.
 */
export function readE4Signal(file: string, sensor?: string): Signal {
  const name = sensor ?? path.basename(file, path.extname(file)).toLowerCase();
  // The file is read in chunks and its rows parsed as they come, by the parser the browser uses (e4-parse.ts).
  const parser = new E4SignalParser(file, name);
  forEachCsvRow(file, `E4 ${name}`, (r) => parser.row(r));
  return parser.finish();
}

/** Reads an E4 IBI.csv: row 1 `<start>, IBI`, then `offset_seconds, ibi_seconds`; event times are start + offset. */
export function readE4Ibi(file: string): EventSeries {
  return ibiFromRows(file, readCsvRows(file, 'E4 IBI'));
}

export interface E4ExportOptions {
  /** Subject id of the recording; by default the folder name. */
  subject?: string;
  /** Read IBI.csv into `events.ibi`: `true` requires it, `'optional'` (default) reads it when present, `false` skips it. */
  ibi?: boolean | 'optional';
}

/**
 * Reads one E4 export folder into a `Recording` without labels. `sensors` (default all five regular signals) are the
 * required files; `'ibi'` in the list is the same as `options.ibi = true`.
 */
export function readE4Export(dir: string, sensors: readonly string[] = E4_SENSORS, options: E4ExportOptions = {}): Recording {
  statDirectory(dir, 'E4 export folder', 'Give the folder that holds ACC.csv, BVP.csv, EDA.csv, TEMP.csv, HR.csv.');
  const signals: Record<string, Signal> = {};
  let ibiMode: boolean | 'optional' = options.ibi ?? 'optional';
  for (const s of sensors) {
    if (s === 'ibi') {
      ibiMode = true;
      continue;
    }
    const fileName = E4_FILES[s];
    if (!fileName) {
      throw new DatasetError(`unknown E4 sensor "${s}" for ${dir}; known sensors: ${[...E4_SENSORS, 'ibi'].join(', ')}. Fix the sensor list.`);
    }
    const file = path.join(dir, fileName);
    if (pathKind(file) === 'missing') {
      throw new DatasetError(`E4 ${s} file not found: ${file} (sensor "${s}" was requested). Add ${fileName} to the export or stop requesting "${s}".`);
    }
    signals[s] = readE4Signal(file, s);
  }
  const recording: Recording = { subject: options.subject ?? path.basename(path.resolve(dir)), signals, labels: [], source: dir };
  if (ibiMode !== false) {
    const file = path.join(dir, 'IBI.csv');
    if (pathKind(file) !== 'missing') recording.events = { ibi: readE4Ibi(file) };
    else if (ibiMode === true) throw new DatasetError(`E4 IBI file not found: ${file} ("ibi" was requested). Add IBI.csv or stop requesting "ibi".`);
  }
  return recording;
}

/** True when `dir` looks like one E4 export (holds at least one of the signal files). */
export function isE4Export(dir: string): boolean {
  return Object.values(E4_FILES).some((f) => pathKind(path.join(dir, f)) !== 'missing');
}

/**
 * Reads a folder that is either one E4 export (subject = folder name) or holds one export per subfolder
 * (subject = subfolder name), sorted by subject.
 */
export function readE4Folder(dir: string, sensors: readonly string[] = E4_SENSORS): Recording[] {
  statDirectory(dir, 'E4 folder', 'Give an E4 export folder or a folder of one export per subject.');
  if (isE4Export(dir)) return [readE4Export(dir, sensors)];
  const subs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isE4Export(path.join(dir, d.name)))
    .map((d) => d.name)
    .sort();
  if (subs.length === 0) {
    throw new DatasetError(
      `no E4 export in ${dir}: expected ${Object.values(E4_FILES).join(', ')} in the folder itself or in one subfolder per subject.`
    );
  }
  return subs.map((s) => readE4Export(path.join(dir, s), sensors, { subject: s }));
}

/**
 * `readRecording` of the `e4` adapter (replay): one E4 export folder (ACC.csv, BVP.csv, ...) with the wanted E4 sensors,
 * IBI.csv read (and required) only when `ibi` is wanted; undefined for anything else.
 */
export function readE4Recording(location: string, ctx: RecordingContext): Recording | undefined {
  if (pathKind(location) !== 'directory' || !isE4Export(location)) return undefined;
  return readE4Export(location, e4Wanted(ctx.sensors), { ibi: false });
}

/** The E4 signals and event series among `sensors` (`ibi` in the list makes IBI.csv required, see `readE4Export`). */
export function e4Wanted(sensors: readonly string[]): string[] {
  return sensors.filter((s) => E4_SENSORS.includes(s) || s === 'ibi');
}
