import * as fs from 'fs';
import * as path from 'path';
import { Dataset, DatasetAdapter, DatasetError, LabelInterval, LoadContext, pathKind, PluginConfig, Recording, RecordingContext, statDirectory } from '@fusion/core';
import { parseNumberCell, readCsvRows } from './csv-text';
import { duplicateRecordings } from './duplicates';
import { folderSchema } from './folder-schema';
import { e4Wanted, E4_SENSORS, isE4Export, readE4Export } from './e4-reader';
import { E4_EVENTS, E4_NOMINAL_RATES } from './e4-parse';

/**
 * The Stress-Predict dataset (Iqbal et al., Sensors 22(21):8135, 2022; github.com/italha-d/Stress-Predict-Dataset):
 * `Raw_data/SXX/` holds one Empatica E4 export per person plus `tags_SXX.csv`, the Unix-second times at which the
 * experimenter pressed the E4 button. The protocol is baseline rest, Stroop colour-word test, rest, interview, rest,
 * hyperventilation, rest.
 *
 * Tag rule (derived from the 25 subjects of the stored copy and the processed labels of the repository):
 * 1. A tag outside the recording [first sample, last sample] that lies inside it when moved by exactly 12 h
 *    (43,200 s, an AM/PM entry error: S17 #4 and #7, S18 #1, S30 #1) is moved, with a warning.
 * 2. Tags less than `SETUP_TAG_SECONDS` after the recording start are set-up presses, not task boundaries: every
 *    protocol begins with a baseline rest (the first task starts 374-798 s in, in the 24 consistent subjects); only S01 has one (79 s in), and its
 *    next six tags then follow the protocol's timing exactly.
 * 3. The next six tags are Stroop start/end, interview start/end, hyperventilation start/end. A seventh tag ends the
 *    final rest (about 5 min after the hyperventilation in every subject); S02-S04 have two more after it. Tags
 *    after the sixth are not used (everything outside the three tasks is non-stress anyway).
 * 4. The six must be strictly increasing, inside the recording, and each task must last a plausible time for its
 *    protocol step (`TASK_SECONDS`; the 24 consistent subjects lie well inside). A subject that fails is skipped with
 *    a warning and never labelled: S06 fails here (its button presses do not mark the tasks: the repository's
 *    processed labels put its Stroop at 600-960 s, but its first tag is at 1043 s).
 */

/** The three stress tasks, in protocol order. */
export const STRESS_PHASES = ['stroop', 'interview', 'hyperventilation'] as const;
export type StressPhase = (typeof STRESS_PHASES)[number];

/** The AM/PM entry error of some tags. */
export const TWELVE_HOURS_S = 43200;

/** Tags earlier than this after the recording start are set-up presses (the protocol opens with a baseline rest). */
export const SETUP_TAG_SECONDS = 180;

/** Plausible task durations [min, max] in seconds (Stroop ~5 min, interview ~10 min, hyperventilation ~2 min). */
export const TASK_SECONDS: Readonly<Record<StressPhase, readonly [number, number]>> = Object.freeze({
  stroop: [180, 600] as const,
  interview: [360, 900] as const,
  hyperventilation: [60, 240] as const,
});

export interface TaskInterval {
  phase: StressPhase;
  start: number;
  end: number;
}

export interface TagProtocol {
  /** The three tasks, in protocol order; absent when the tags cannot be made consistent. */
  tasks?: TaskInterval[];
  /** Why the subject cannot be labelled (set exactly when `tasks` is absent). */
  error?: string;
  /** Corrections and ignored tags, one sentence each (prefixed with the subject). */
  warnings: string[];
}

export interface StressPredictOptions {
  /** Subject ids to read (`S01`, `s1`, `1` all name S01); default every `SXX` subfolder. */
  subjects?: readonly string[];
  /** Which tasks count as stress (default all three); a task not listed is left unlabelled (its windows are dropped). */
  phases?: readonly StressPhase[];
  /** Sensors to read (default the five regular E4 signals). */
  sensors?: readonly string[];
}

export interface StressPredictConfig extends PluginConfig {
  type: 'stress-predict';
  path: string;
  subjects?: string[];
  phases?: StressPhase[];
}

/** `S01`, `s1`, `1` -> `S01`; anything else is returned unchanged. */
export function normalizeSubjectId(id: string | number): string {
  const m = /^[Ss]?0*(\d+)$/.exec(String(id).trim());
  return m ? `S${m[1].padStart(2, '0')}` : String(id);
}

/** Reads a tags file: one Unix-second time per line, no header (CRLF or LF; a trailing blank line is fine). */
export function readStressPredictTags(file: string): number[] {
  const rows = readCsvRows(file, 'Stress-Predict tags');
  return rows.map((r) => parseNumberCell(file, r.line, r.cells[0], 'the tag time (Unix seconds)'));
}

function fmt(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().replace('.000Z', 'Z');
}

/**
 * Applies the tag rule (see the top of this file) to one subject's tags against the recording's extent
 * `[start, end]` (Unix seconds).
 */
export function stressPredictTasks(subject: string, tags: readonly number[], extent: { start: number; end: number }): TagProtocol {
  const warnings: string[] = [];
  const inside = (t: number): boolean => t >= extent.start && t <= extent.end;
  const rec = `[${fmt(extent.start)}, ${fmt(extent.end)}]`;
  const fixed = tags.map((t, i) => {
    if (inside(t) || !Number.isFinite(t)) return t;
    for (const shift of [TWELVE_HOURS_S, -TWELVE_HOURS_S]) {
      if (inside(t + shift)) {
        warnings.push(
          `${subject}: tag #${i + 1} (${t} = ${fmt(t)}) is outside the recording ${rec}; it is exactly 12 h ${shift > 0 ? 'early' : 'late'} ` +
            `(AM/PM entry error), corrected by ${shift > 0 ? '+' : ''}${shift} s to ${fmt(t + shift)}.`
        );
        return t + shift;
      }
    }
    return t;
  });
  let first = 0;
  while (first < fixed.length && fixed[first] >= extent.start && fixed[first] < extent.start + SETUP_TAG_SECONDS) {
    warnings.push(
      `${subject}: tag #${first + 1} is ${(fixed[first] - extent.start).toFixed(0)} s after the recording start, before the protocol's baseline rest; ` +
        `ignored as a set-up press (tasks start at the next tag).`
    );
    first++;
  }
  const fail = (why: string): TagProtocol => ({
    error: `${subject}: ${why}; subject skipped (its windows would be mislabelled).`,
    warnings,
  });
  const six = fixed.slice(first, first + 6);
  if (six.length < 6) {
    return fail(`${tags.length} tag(s)${first ? ` (${first} set-up press(es) ignored)` : ''}; expected at least 6 (Stroop, interview, hyperventilation start/end)`);
  }
  const num = (k: number): number => first + k + 1;
  for (let k = 0; k < 6; k++) {
    if (!Number.isFinite(six[k]) || !inside(six[k])) {
      return fail(`tag #${num(k)} (${tags[first + k]}) is outside the recording ${rec}, also after a 12-h correction`);
    }
    if (k > 0 && six[k] <= six[k - 1]) {
      return fail(`tag #${num(k)} (${fmt(six[k])}) is not after tag #${num(k - 1)} (${fmt(six[k - 1])}); tags must increase`);
    }
  }
  const tasks = STRESS_PHASES.map((phase, j) => ({ phase, start: six[2 * j], end: six[2 * j + 1] }));
  for (const t of tasks) {
    const d = t.end - t.start;
    const [lo, hi] = TASK_SECONDS[t.phase];
    if (d < lo || d > hi) {
      return fail(
        `the ${t.phase} task would last ${d.toFixed(0)} s (tags #${num(STRESS_PHASES.indexOf(t.phase) * 2)}-#${num(STRESS_PHASES.indexOf(t.phase) * 2 + 1)}), ` +
          `outside the plausible ${lo}-${hi} s; the button presses do not follow the protocol`
      );
    }
  }
  const extra = fixed.length - first - 7;
  if (extra > 0) {
    const later = extra === 1 ? `tag #${fixed.length} comes` : `tags #${first + 8}-#${fixed.length} come`;
    warnings.push(`${subject}: ${fixed.length} tags; tag #${first + 7} ends the final rest, ${later} after the protocol and ${extra === 1 ? 'is' : 'are'} ignored.`);
  }
  return { tasks, warnings };
}

/**
 * Labels a recording span as consecutive intervals: non-stress (`stress: 0`) outside the tasks, stress (`stress: 1`)
 * inside the tasks in `phases`; a task not in `phases` gets no interval (unlabelled). Clipped to `span`.
 */
export function stressPredictLabels(
  tasks: readonly TaskInterval[],
  span: { start: number; end: number },
  phases: readonly StressPhase[] = STRESS_PHASES
): LabelInterval[] {
  const out: LabelInterval[] = [];
  const push = (start: number, end: number, stress: number | undefined): void => {
    const s = Math.max(start, span.start);
    const e = Math.min(end, span.end);
    if (e > s && stress !== undefined) out.push({ start: s, end: e, values: { stress } });
  };
  let t = span.start;
  for (const task of [...tasks].sort((a, b) => a.start - b.start)) {
    push(t, task.start, 0);
    push(task.start, task.end, phases.includes(task.phase) ? 1 : undefined);
    t = Math.max(t, task.end);
  }
  push(t, span.end, 0);
  return out;
}

function extents(rec: Recording): { union: { start: number; end: number }; common: { start: number; end: number } } {
  let uStart = Infinity;
  let uEnd = -Infinity;
  let cStart = -Infinity;
  let cEnd = Infinity;
  for (const sig of Object.values(rec.signals)) {
    const end = sig.t0 + sig.data.length / sig.channels / sig.fs;
    uStart = Math.min(uStart, sig.t0);
    uEnd = Math.max(uEnd, end);
    cStart = Math.max(cStart, sig.t0);
    cEnd = Math.min(cEnd, end);
  }
  return { union: { start: uStart, end: uEnd }, common: { start: cStart, end: cEnd } };
}

/** The `SXX` export folders of a Stress-Predict `Raw_data` folder, sorted. */
export function stressPredictSubjects(root: string): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^S\d+$/i.test(d.name) && isE4Export(path.join(root, d.name)))
    .map((d) => d.name)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b));
}

/**
 * Reads a Stress-Predict `Raw_data` folder: one labelled `Recording` per usable subject (`span` = the extent every
 * read sensor covers, labels target `stress`). Subjects whose tags cannot be made consistent are skipped with a
 * warning; corrections are reported in `warnings` too.
 */
export function readStressPredict(root: string, options: StressPredictOptions = {}): Dataset {
  statDirectory(root, 'Stress-Predict folder', 'Give the Raw_data folder that holds S01/, S02/, ...');
  const available = stressPredictSubjects(root);
  const seen = new Map<string, string>();
  for (const s of available) {
    const first = seen.get(normalizeSubjectId(s));
    if (first !== undefined) {
      throw new DatasetError(
        `Stress-Predict subject folders ${path.join(root, first)} and ${path.join(root, s)} name the same subject ${normalizeSubjectId(s)}; ` +
          `keep one (a copy would put the same person on both sides of a fold).`
      );
    }
    seen.set(normalizeSubjectId(s), s);
  }
  if (available.length === 0) {
    throw new DatasetError(`no Stress-Predict subject in ${root}: expected subfolders S01/, S02/, ... each holding an E4 export and tags_SXX.csv.`);
  }
  let chosen = available;
  if (options.subjects) {
    const byId = new Map(available.map((s) => [normalizeSubjectId(s), s]));
    const missing = options.subjects.filter((s) => !byId.has(normalizeSubjectId(s)));
    if (missing.length) {
      throw new DatasetError(`Stress-Predict subject(s) ${missing.join(', ')} not found in ${root}; it holds ${available.join(', ')}. Fix "subjects".`);
    }
    chosen = [...new Set(options.subjects.map((s) => byId.get(normalizeSubjectId(s)) as string))];
  }
  const phases = options.phases ?? STRESS_PHASES;
  const sensors = options.sensors ?? E4_SENSORS;
  const warnings: string[] = [];
  const recordings: Recording[] = [];
  for (const subject of chosen) {
    const dir = path.join(root, subject);
    const tagFile = tagFileOf(dir, subject);
    if (!tagFile) {
      warnings.push(`${subject}: no tags_${subject}.csv (or tags.csv) in ${dir}; without the task times it cannot be labelled, subject skipped.`);
      continue;
    }
    let tags: number[];
    try {
      tags = readStressPredictTags(tagFile);
    } catch (e) {
      warnings.push(`${subject}: unreadable tags (${(e as Error).message}); subject skipped.`);
      continue;
    }
    const rec = readE4Export(dir, sensors, { subject });
    const { union, common } = extents(rec);
    if (!(common.end > common.start)) {
      warnings.push(`${subject}: the sensors ${Object.keys(rec.signals).join(', ')} have no common time span; subject skipped.`);
      continue;
    }
    const protocol = stressPredictTasks(subject, tags, union);
    warnings.push(...protocol.warnings);
    if (!protocol.tasks) {
      warnings.push(protocol.error as string);
      continue;
    }
    rec.span = common;
    rec.labels = stressPredictLabels(protocol.tasks, common, phases);
    recordings.push(rec);
  }
  const copies = duplicateRecordings(recordings);
  if (copies) warnings.push(`${root}: ${copies}`);
  if (recordings.length === 0) {
    throw new DatasetError(`no usable Stress-Predict subject in ${root} (${chosen.join(', ')}): ${warnings.join(' ')}`);
  }
  return { name: `stress-predict:${root}`, recordings, warnings };
}

/** A subject folder's tags file (`tags_SXX.csv`, or `tags.csv`), if there is one. */
function tagFileOf(dir: string, subject: string): string | undefined {
  return [`tags_${subject}.csv`, 'tags.csv'].map((f) => path.join(dir, f)).find((f) => pathKind(f) !== 'missing');
}

/**
 * `readRecording` of the `stress-predict` adapter (replay): a subject folder `Raw_data/SXX` (an E4 export with its
 * tags file) with the wanted sensors, its span the time every sensor covers (as `readStressPredict` windows it) and its
 * stress labels when the tags follow the protocol (a warning otherwise). Undefined for a folder without a tags file.
 */
export function readStressPredictRecording(location: string, ctx: RecordingContext): Recording | undefined {
  const dir = path.resolve(location);
  const subject = path.basename(dir);
  const tagFile = pathKind(dir) === 'directory' && isE4Export(dir) ? tagFileOf(dir, subject) : undefined;
  if (!tagFile) return undefined;
  const rec = readE4Export(dir, e4Wanted(ctx.sensors), { subject, ibi: false });
  const { union, common } = extents(rec);
  if (common.end > common.start) rec.span = common;
  let tags: number[];
  try {
    tags = readStressPredictTags(tagFile);
  } catch (e) {
    ctx.warn(`${subject}: unreadable tags (${(e as Error).message}); replayed without labels.`);
    return rec;
  }
  const protocol = stressPredictTasks(subject, tags, union);
  protocol.warnings.forEach((w) => ctx.warn(w));
  if (protocol.tasks && rec.span) rec.labels = stressPredictLabels(protocol.tasks, rec.span, STRESS_PHASES);
  else if (protocol.error) ctx.warn(protocol.error);
  return rec;
}

export const stressPredictAdapter: DatasetAdapter<StressPredictConfig> = {
  type: 'stress-predict',
  description:
    'Stress-Predict (Empatica E4, 35 people): Raw_data/SXX/ exports + tags_SXX.csv; stress = inside the Stroop, interview and hyperventilation tasks, non-stress elsewhere',
  sensors: E4_SENSORS,
  labels: ['stress'],
  rates: E4_NOMINAL_RATES,
  events: E4_EVENTS,
  schema: folderSchema('stress-predict', 'the Raw_data folder holding one SXX/ E4 export (with tags_SXX.csv) per subject', {
    subjects: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[Ss]?[0-9]+$' },
      description: 'subject ids to read, e.g. ["S01", "S02"] (default all)',
    },
    phases: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: [...STRESS_PHASES] },
      default: [...STRESS_PHASES],
      description: 'tasks that count as stress; a task not listed is left unlabelled (neither stress nor rest)',
    },
  }),
  async load(config: StressPredictConfig, ctx: LoadContext): Promise<Dataset> {
    const root = path.resolve(ctx.baseDir, config.path);
    statDirectory(
      root,
      'dataset folder',
      `(from "path": ${JSON.stringify(config.path)} in the spec) Fix the path; relative paths are resolved against the spec file's folder (${ctx.baseDir}).`
    );
    const sensors = ctx.sensors.filter((s) => E4_SENSORS.includes(s));
    // `ibi` in the list makes each subject's IBI.csv required
    const events = ctx.sensors.filter((s) => E4_EVENTS.includes(s));
    return readStressPredict(root, { subjects: config.subjects, phases: config.phases, sensors: [...(sensors.length ? sensors : E4_SENSORS), ...events] });
  },
  readRecording: readStressPredictRecording,
};
