import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, pathKind, PreprocessingSpec, Recording, recordingGrid, Signal, statDirectory } from '@fusion/core';
import { E4_NOMINAL_RATES, isE4Export, readE4Export, readKEmoConParticipant, readKEmoConSignal, readKEmoConSubjects } from '@fusion/sensors';

export { recordingStats, ReplayOptions, replaySource } from './replay-source';

export interface ReplayRecording {
  /** Stream id of the replay: the recording's subject (participant id or export folder name). */
  stream: string;
  recording: Recording;
  /** Where batch evaluation starts its grid for this recording (the debate start for K-EmoCon). */
  origin: number;
}

/**
 * Reads a recording to replay: an Empatica E4 export folder (ACC.csv, BVP.csv, ...) or a K-EmoCon participant folder
 * `<root>/e4_data/<pid>` (E4_*.csv; its debate span is read from `<root>/metadata/subjects.csv` when present, so the
 * window grid starts where batch evaluation starts it).
 */
export function loadReplay(dir: string, sensors: readonly string[], p: PreprocessingSpec): ReplayRecording {
  statDirectory(dir, 'replay folder', 'Give an E4 export folder or a K-EmoCon participant folder (.../e4_data/<pid>).');
  let recording: Recording;
  if (fs.readdirSync(dir).some((f) => /^E4_[A-Z]+\.csv$/i.test(f))) {
    const pid = path.basename(path.resolve(dir));
    const subjectsFile = path.join(dir, '..', '..', 'metadata', 'subjects.csv');
    const subject = pathKind(subjectsFile) !== 'missing' ? readKEmoConSubjects(subjectsFile).find((s) => s.pid === pid) : undefined;
    if (subject) recording = readKEmoConParticipant(path.resolve(dir, '..', '..'), subject, { sensors });
    else {
      const signals: Record<string, Signal> = {};
      for (const s of sensors) signals[s] = readKEmoConSignal(path.join(dir, `E4_${s.toUpperCase()}.csv`), s);
      recording = { subject: pid, signals, labels: [], source: dir };
    }
  } else if (isE4Export(dir)) {
    recording = readE4Export(dir, sensors.filter((s) => s in E4_NOMINAL_RATES), { ibi: false });
  } else {
    throw new DatasetError(`${dir} holds neither an E4 export (ACC.csv, BVP.csv, ...) nor K-EmoCon files (E4_BVP.csv, ...).`);
  }
  const grid = recordingGrid(recording, sensors, { ...p, normalize: 'none' });
  return { stream: recording.subject, recording, origin: grid.start };
}
