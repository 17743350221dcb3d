import type { LabelInterval, Recording, WindowSet } from '../data';
import { DatasetError } from '../errors';
import type { PreprocessingSpec } from '../spec';
import { mapLabel } from './labels';
import { stats, zscore } from './normalize';
import { reducerFor, resampleToGrid } from './resample';

export interface WindowingReport {
  /** Windows kept per subject. */
  kept: Record<string, number>;
  dropped: { missing: number; unlabelled: number; straddling: number };
  warnings: string[];
}

/** The resampled, optionally normalised, sensor grid of one recording: `grid[s][k]`. */
export interface SensorGrid {
  start: number;
  fs: number;
  values: Float32Array[];
}

/** Resamples every requested sensor of a recording onto one common grid over its span. */
export function recordingGrid(rec: Recording, sensors: readonly string[], p: PreprocessingSpec): SensorGrid {
  const span = rec.span ?? spanOf(rec, sensors);
  const n = Math.max(0, Math.floor((span.end - span.start) * p.sampleRate + 1e-6));
  const values = sensors.map((name) => {
    const sig = rec.signals[name];
    if (!sig) throw new DatasetError(`subject ${rec.subject}${rec.source ? ` (${rec.source})` : ''} has no "${name}" signal; it has ${Object.keys(rec.signals).join(', ') || 'none'}. Remove "${name}" from "sensors" or add the file.`);
    const v = resampleToGrid(sig, span.start, p.sampleRate, n, reducerFor(sig));
    if (p.normalize === 'subject') zscore(v, stats(v));
    return v;
  });
  return { start: span.start, fs: p.sampleRate, values };
}

/**
 * The class of the window [ws, we): the label interval holding it, mapped; -1 or undefined (kept without a label,
 * `keepUnlabelled`); null when the window is dropped (counted in `report`).
 */
export function windowClass(
  labels: readonly LabelInterval[],
  ws: number,
  we: number,
  p: PreprocessingSpec,
  report: WindowingReport,
  keepUnlabelled?: boolean
): number | undefined | null {
  const iv = labels.find((l) => l.start - 1e-6 <= ws && we <= l.end + 1e-6);
  if (!iv && !keepUnlabelled) {
    if (labels.some((l) => l.start < we && ws < l.end)) report.dropped.straddling++;
    else report.dropped.unlabelled++;
    return null;
  }
  const cls = iv ? mapLabel(iv.values[p.label.target], p.label) : -1;
  if (cls === undefined && !keepUnlabelled) {
    report.dropped.unlabelled++;
    return null;
  }
  return cls;
}

/** The span all of `sensors` cover in a recording. */
export function spanOf(rec: Recording, sensors: readonly string[]): { start: number; end: number } {
  let start = -Infinity;
  let end = Infinity;
  for (const s of sensors) {
    const sig = rec.signals[s];
    if (!sig) continue;
    start = Math.max(start, sig.t0);
    end = Math.min(end, sig.t0 + sig.data.length / sig.channels / sig.fs);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return { start: 0, end: 0 };
  return { start, end };
}

/**
 * Cuts labelled windows out of recordings. A window is kept when it lies entirely inside one label interval
 * (windows straddling a label change are dropped: they have no single true label) and no sensor misses more than
 * `maxMissing` of it; remaining gaps are filled with the subject mean (0 after z-scoring).
 */
export function makeWindows(
  recordings: readonly Recording[],
  sensors: readonly string[],
  p: PreprocessingSpec,
  /** keepUnlabelled: also windows outside the labels (label -1), for prediction on new recordings. */
  options: { keepUnlabelled?: boolean } = {}
): { windows: WindowSet; report: WindowingReport } {
  const length = Math.round(p.window * p.sampleRate);
  const hopN = Math.max(1, Math.round(p.hop * p.sampleRate));
  const S = sensors.length;
  const out = new WindowCollector();
  const report = out.report;
  for (const rec of recordings) {
    const grid = recordingGrid(rec, sensors, p);
    const n = grid.values[0]?.length ?? 0;
    const labels = [...rec.labels].sort((a, b) => a.start - b.start);
    let kept = 0;
    for (let k0 = 0; k0 + length <= n; k0 += hopN) {
      const ws = grid.start + k0 / p.sampleRate;
      const we = ws + p.window;
      const cls = windowClass(labels, ws, we, p, report, options.keepUnlabelled);
      if (cls === null) continue;
      const w = new Float32Array(length * S);
      let bad = false;
      for (let s = 0; s < S && !bad; s++) {
        const v = grid.values[s];
        let missing = 0;
        for (let t = 0; t < length; t++) {
          const val = v[k0 + t];
          if (Number.isFinite(val)) w[t * S + s] = val;
          else {
            missing++;
            w[t * S + s] = 0;
          }
        }
        if (missing > p.maxMissing * length) bad = true;
      }
      if (out.add(bad ? undefined : w, cls, rec.subject, we)) kept++;
    }
    out.recordingDone(rec.subject, kept);
  }
  return { windows: { ...out.arrays(length * S), length, sensors: [...sensors], classes: [...p.label.classes] }, report };
}

/** Kept windows and the windowing report, gathered window by window. */
export class WindowCollector {
  readonly report: WindowingReport = { kept: {}, dropped: { missing: 0, unlabelled: 0, straddling: 0 }, warnings: [] };
  private readonly chunks: Float32Array[] = [];
  private readonly y: number[] = [];
  private readonly subjects: string[] = [];
  private readonly ends: number[] = [];

  /** Keeps a window (undefined: dropped for missing data); true when kept. */
  add(w: Float32Array | undefined, cls: number | undefined, subject: string, end: number): boolean {
    if (!w) {
      this.report.dropped.missing++;
      return false;
    }
    this.chunks.push(w);
    this.y.push(cls ?? -1);
    this.subjects.push(subject);
    this.ends.push(end);
    return true;
  }

  recordingDone(subject: string, kept: number): void {
    this.report.kept[subject] = kept;
    if (kept === 0) this.report.warnings.push(`subject ${subject}: no usable labelled windows (skipped).`);
  }

  arrays(per: number): Pick<WindowSet, 'x' | 'y' | 'subjects' | 'ends'> {
    const x = new Float32Array(this.chunks.length * per);
    this.chunks.forEach((c, i) => x.set(c, i * per));
    return { x, y: Int32Array.from(this.y), subjects: this.subjects, ends: Float64Array.from(this.ends) };
  }
}
