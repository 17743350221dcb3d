import * as fs from 'fs';
import * as path from 'path';
import { Observable } from 'rxjs';
import { DatasetError, pathKind, PreprocessingSpec, Recording, recordingGrid, Signal, statDirectory, stats } from '@fusion/core';
import { E4_NOMINAL_RATES, isE4Export, readE4Export, readKEmoConParticipant, readKEmoConSignal, readKEmoConSubjects } from '@fusion/sensors';
import type { SampleChunk, SensorStats } from '../types';

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

/**
 * Statistics of each sensor over the whole recording on the model's grid: exactly what per-subject normalisation in
 * batch evaluation uses (`recordingGrid` then `stats`).
 */
export function recordingStats(rec: Recording, sensors: readonly string[], p: PreprocessingSpec): SensorStats[] {
  return recordingGrid(rec, sensors, { ...p, normalize: 'none' }).values.map((v) => stats(v));
}

export interface ReplayOptions {
  /** Times real time, or 'max' for as fast as the pipeline takes it. */
  speed: number | 'max';
  /** Sensors to send (default all of the recording's). */
  sensors?: readonly string[];
  /** Stream id (default the recording's subject). */
  stream?: string;
  /** Stream seconds per chunk (default 1), at every speed: keep it below the reorder tolerance. */
  chunkSeconds?: number;
  /** Awaited before each chunk at 'max' speed (backpressure). */
  room?: () => Promise<void>;
  /** Wall ms between chunks at a finite speed (default 100). */
  tickMs?: number;
}

/**
 * Replays a recording as sample chunks in time order: sample i of a signal at t0 + i / fs (gaps in the file, NaN, are
 * not sent). At a finite speed chunks follow the wall clock; at 'max' they go as fast as `room` allows.
 */
export function replaySource(rec: Recording, options: ReplayOptions): Observable<SampleChunk> {
  const speed = options.speed;
  if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) throw new RangeError(`replaySource: speed must be a positive number or "max", received ${speed}`);
  const names = (options.sensors ?? Object.keys(rec.signals)).filter((s) => rec.signals[s]);
  if (!names.length) throw new DatasetError(`nothing to replay: the recording has none of the sensors ${(options.sensors ?? []).join(', ')}.`);
  const stream = options.stream ?? rec.subject;
  const sigs = names.map((n) => rec.signals[n]);
  const count = (s: Signal): number => Math.floor(s.data.length / s.channels);
  const start = Math.min(...sigs.map((s) => s.t0));
  const end = Math.max(...sigs.map((s) => s.t0 + count(s) / s.fs));
  const next = sigs.map(() => 0);
  /** The chunks of every sensor with samples before `until`. */
  const take = (until: number): SampleChunk[] => {
    const out: SampleChunk[] = [];
    sigs.forEach((s, j) => {
      const n = count(s);
      const i0 = next[j];
      let i1 = i0;
      while (i1 < n && s.t0 + i1 / s.fs < until) i1++;
      next[j] = i1;
      const idx: number[] = [];
      for (let i = i0; i < i1; i++) if (Number.isFinite(s.data[i * s.channels])) idx.push(i);
      if (!idx.length) return;
      const C = s.channels;
      const times = new Float64Array(idx.length);
      const values = new Float32Array(idx.length * C);
      idx.forEach((i, k) => {
        times[k] = s.t0 + i / s.fs;
        values.set(s.data.subarray(i * C, (i + 1) * C), k * C);
      });
      out.push({ stream, sensor: names[j], times, values, channels: C, fs: s.fs });
    });
    return out;
  };
  // Both speeds send the same chunks: every sensor's samples of [start + k step, start + (k+1) step), in k order. A
  // finite speed only decides when chunk k goes out (once the wall clock has reached its end), never how the samples
  // are cut: chunks spanning many seconds per sensor would hand the reorder stage one sensor's future before the others'
  // present, and every window would look "missing" (the bug of `@100` on a 55-min recording).
  const step = options.chunkSeconds ?? 1;
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`replaySource: chunkSeconds must be a positive number, received ${step}`);
  const chunks = Math.max(1, Math.ceil((end - start) / step));
  return new Observable<SampleChunk>((subscriber) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let k = 0;
    /** Sends chunk k; the last one takes everything left. */
    const sendNext = (): void => {
      for (const c of take(k + 1 >= chunks ? Infinity : start + (k + 1) * step)) subscriber.next(c);
      k++;
    };
    if (speed === 'max') {
      (async (): Promise<void> => {
        while (k < chunks && !stopped) {
          if (options.room) await options.room();
          else await new Promise((r) => setImmediate(r));
          if (stopped) return;
          sendNext();
        }
        if (!stopped) subscriber.complete();
      })().catch((e) => subscriber.error(e));
    } else {
      const wall0 = Date.now();
      const tick = (): void => {
        const until = start + ((Date.now() - wall0) / 1000) * speed;
        while (k < chunks && (k + 1 >= chunks ? end : start + (k + 1) * step) <= until) sendNext();
        if (k >= chunks) subscriber.complete();
        else timer = setTimeout(tick, options.tickMs ?? 100);
      };
      timer = setTimeout(tick, 0);
    }
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  });
}
