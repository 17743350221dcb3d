import { partsSize } from '../data';
import type { Recording, WindowPart, WindowSet } from '../data';
import { DatasetError } from '../errors';
import type { GraphSpec, PreprocessingSpec } from '../spec';
import { eventsToGrid } from './events';
import { stats, zscore } from './normalize';
import { reducerFor, resampleToGrid } from './resample';
import { spanOf, windowClass, WindowCollector, WindowingReport } from './windows';

/**
 * Inputs at their own rates. A graph-form spec whose inputs declare a `rate` other than `preprocessing.sampleRate`
 * is windowed here instead of on one common grid: each input is resampled to its own rate (box average from the
 * sensor's native rate, see `resampleToGrid`), z-scored per subject per input, and every window covers the same
 * `preprocessing.window` seconds in all inputs (window k of every input ends at the same time). A window is kept
 * when it lies inside one label interval and no input misses more than its own `maxMissing` (default
 * `preprocessing.maxMissing`) of its samples. Specs with one common rate keep the single-rate path (`makeWindows`).
 * An event input (`missing.maxGap`, e.g. `ibi`) is put on its grid by `eventsToGrid` (events.ts) and never z-scored.
 */
export interface InputRate {
  name: string;
  sensor: string;
  rate: number;
  maxMissing: number;
  /** Event inputs only: seconds after the last event a sample is still valid (`missing.maxGap`). */
  maxGap?: number;
}

/** The inputs of a multi-rate spec in declaration order, or undefined when every input is at the common rate. */
export function multiRateInputs(spec: Pick<GraphSpec, 'inputs' | 'nodes' | 'preprocessing'>): InputRate[] | undefined {
  if (!spec.nodes || !spec.inputs) return undefined;
  const p = spec.preprocessing;
  const all = Object.entries(spec.inputs).map(([name, i]) => ({ name, sensor: i.sensor, rate: i.rate ?? p.sampleRate, maxMissing: i.maxMissing ?? p.maxMissing, own: i.maxMissing !== undefined, maxGap: i.missing?.maxGap }));
  if (all.every((i) => i.rate === p.sampleRate && !i.own && i.maxGap === undefined)) return undefined;
  return all.map(({ name, sensor, rate, maxMissing, maxGap }) => ({ name, sensor, rate, maxMissing, ...(maxGap !== undefined ? { maxGap } : {}) }));
}

/** The row layout of a spec's windows when its inputs have their own rates (undefined: one common rate). */
export function modelParts(spec: Pick<GraphSpec, 'inputs' | 'nodes' | 'preprocessing'>): WindowPart[] | undefined {
  const inputs = multiRateInputs(spec);
  return inputs && windowParts(inputs, spec.preprocessing.window);
}

/** Row layout of multi-rate windows. */
export function windowParts(inputs: readonly InputRate[], window: number): WindowPart[] {
  let offset = 0;
  return inputs.map((i) => {
    const length = Math.round(window * i.rate);
    const part: WindowPart = { name: i.name, sensor: i.sensor, rate: i.rate, length, offset, ...(i.maxGap !== undefined ? { maxGap: i.maxGap } : {}) };
    offset += length;
    return part;
  });
}

/** Like `makeWindows`, for inputs at their own rates (see the module comment). */
export function makeMultiRateWindows(
  recordings: readonly Recording[],
  inputs: readonly InputRate[],
  p: PreprocessingSpec,
  options: { keepUnlabelled?: boolean } = {}
): { windows: WindowSet; report: WindowingReport } {
  const parts = windowParts(inputs, p.window);
  const row = partsSize(parts);
  const sensors = [...new Set(inputs.map((i) => i.sensor))];
  const out = new WindowCollector();
  const report = out.report;
  for (const rec of recordings) {
    const span = recordingSpan(rec, inputs);
    const grids = inputs.map((i) => inputSeries(rec, i, span.start, span.end, p));
    const labels = [...rec.labels].sort((a, b) => a.start - b.start);
    const count = Math.floor((span.end - span.start - p.window) / p.hop + 1e-6) + 1;
    let kept = 0;
    for (let j = 0; j < count; j++) {
      const ws = span.start + j * p.hop;
      const we = ws + p.window;
      const cls = windowClass(labels, ws, we, p, report, options.keepUnlabelled);
      if (cls === null) continue;
      const w = new Float32Array(row);
      let bad = false;
      parts.forEach((q, k) => {
        if (bad) return;
        const v = grids[k];
        const k0 = Math.round(j * p.hop * q.rate);
        let missing = 0;
        for (let t = 0; t < q.length; t++) {
          const val = v[k0 + t];
          if (Number.isFinite(val)) w[q.offset + t] = val;
          else missing++;
        }
        if (missing > inputs[k].maxMissing * q.length) bad = true;
      });
      if (out.add(bad ? undefined : w, cls, rec.subject, we)) kept++;
    }
    out.recordingDone(rec.subject, kept);
  }
  const length = Math.max(...parts.map((q) => q.length));
  return { windows: { ...out.arrays(row), length, sensors, classes: [...p.label.classes], parts }, report };
}

/**
 * Where a recording's windows are cut: its `span`, else the time every regular input's signal covers; with event inputs
 * only, from the first event to the last.
 */
export function recordingSpan(rec: Recording, inputs: readonly InputRate[]): { start: number; end: number } {
  if (rec.span) return rec.span;
  const regular = [...new Set(inputs.filter((i) => i.maxGap === undefined).map((i) => i.sensor))];
  if (regular.length) return spanOf(rec, regular);
  const evs = inputs.map((i) => rec.events?.[i.sensor]).filter((e) => e !== undefined && e.times.length > 0);
  if (!evs.length) return { start: 0, end: 0 };
  return { start: Math.max(...evs.map((e) => e!.times[0])), end: Math.min(...evs.map((e) => e!.times[e!.times.length - 1])) };
}

/** One input of a recording on its own grid over [start, end), z-scored per subject when asked (never an event input). */
export function inputSeries(rec: Recording, i: InputRate, start: number, end: number, p: PreprocessingSpec): Float32Array {
  const n = Math.max(0, Math.floor((end - start) * i.rate + 1e-6));
  if (i.maxGap !== undefined) {
    const ev = rec.events?.[i.sensor];
    if (!ev)
      throw new DatasetError(
        `subject ${rec.subject}${rec.source ? ` (${rec.source})` : ''} has no "${i.sensor}" events; it has ${Object.keys(rec.events ?? {}).join(', ') || 'none'}. Remove input "${i.name}" or add the file (for ibi: IBI.csv).`
      );
    return eventsToGrid(ev, start, i.rate, n, i.maxGap);
  }
  const sig = rec.signals[i.sensor];
  if (!sig) throw new DatasetError(`subject ${rec.subject}${rec.source ? ` (${rec.source})` : ''} has no "${i.sensor}" signal; it has ${Object.keys(rec.signals).join(', ') || 'none'}. Remove input "${i.name}" or add the file.`);
  if (sig.fs < i.rate - 1e-9)
    throw new DatasetError(`subject ${rec.subject}${sig.source ? ` (${sig.source})` : ''}: "${i.sensor}" is sampled at ${sig.fs} Hz, below input "${i.name}"'s rate ${i.rate} Hz (inputs are never upsampled). Lower inputs.${i.name}.rate to at most ${sig.fs}.`);
  const v = resampleToGrid(sig, start, i.rate, n, reducerFor(sig));
  if (p.normalize === 'subject') zscore(v, stats(v));
  return v;
}

/** Statistics of each input over a whole recording on its own grid: what per-subject normalisation uses (streaming replays). */
export function inputRecordingStats(rec: Recording, inputs: readonly InputRate[], p: PreprocessingSpec): { mean: number; sd: number; n: number }[] {
  const span = recordingSpan(rec, inputs);
  // an event input stays in its own unit: identity statistics
  return inputs.map((i) => (i.maxGap !== undefined ? { mean: 0, sd: 1, n: 0 } : stats(inputSeries(rec, i, span.start, span.end, { ...p, normalize: 'none' }))));
}

/** Part k of every window: [n, length_k] (a copy). */
export function partColumns(w: WindowSet, k: number): Float32Array {
  const parts = w.parts!;
  const q = parts[k];
  const row = partsSize(parts);
  const n = w.y.length;
  const out = new Float32Array(n * q.length);
  for (let i = 0; i < n; i++) out.set(w.x.subarray(i * row + q.offset, i * row + q.offset + q.length), i * q.length);
  return out;
}

/** Per-input statistics over multi-rate windows (`normalize: "train"`). */
export function partStats(w: WindowSet): { mean: number; sd: number }[] {
  return w.parts!.map((q, k) => {
    if (q.maxGap !== undefined) return { mean: 0, sd: 1 };
    const st = stats(partColumns(w, k));
    return { mean: st.mean, sd: st.sd };
  });
}

/** Multi-rate windows z-scored per input with `st` (one entry per part). */
export function applyPartStats(w: WindowSet, st: { mean: number; sd: number }[]): WindowSet {
  const parts = w.parts!;
  const row = partsSize(parts);
  const x = new Float32Array(w.x.length);
  const col = new Int32Array(row);
  parts.forEach((q, k) => col.fill(k, q.offset, q.offset + q.length));
  for (let i = 0; i < x.length; i++) {
    const s = st[col[i % row]];
    x[i] = (w.x[i] - s.mean) / s.sd;
  }
  return { ...w, x };
}
