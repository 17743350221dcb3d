import { LabelInterval, Recording, selectWindows, WindowSet } from '../data';
import { multiOutputs } from '../model/outputs';
import type { GraphSpec } from '../spec';
import { mapLabel } from './labels';
import type { WindowingReport } from './windows';

/**
 * Several outputs: every window gets the class of each output's label (`windows.ys`), read from the label interval
 * the window lies in (the one `makeWindows` kept it for: the first, by start, that holds the whole window).
 * Rule: a window is kept only where the label of EVERY output is known; the others are counted as unlabelled and
 * a warning says how many each output cost. A spec with one output is returned unchanged.
 */
export function withOutputLabels(made: { windows: WindowSet; report: WindowingReport }, recordings: readonly Recording[], spec: GraphSpec): { windows: WindowSet; report: WindowingReport } {
  const outs = multiOutputs(spec);
  if (!outs) return made;
  const { windows: w, report } = made;
  const window = spec.preprocessing.window;
  const labelsOf = new Map<string, LabelInterval[]>();
  for (const rec of recordings) labelsOf.set(rec.subject, [...(labelsOf.get(rec.subject) ?? []), ...rec.labels]);
  for (const ls of labelsOf.values()) ls.sort((a, b) => a.start - b.start);
  const n = w.y.length;
  const ys = outs.map(() => new Int32Array(n));
  const missing = outs.map(() => 0);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const we = w.ends[i];
    const ws = we - window;
    const iv = labelsOf.get(w.subjects[i])?.find((l) => l.start - 1e-6 <= ws && we <= l.end + 1e-6);
    let known = true;
    outs.forEach((o, k) => {
      const c = k === 0 ? w.y[i] : mapLabel(iv?.values[o.label.target], o.label);
      if (c === undefined || c < 0) {
        known = false;
        missing[k]++;
      } else ys[k][i] = c;
    });
    if (known) keep.push(i);
    else {
      report.dropped.unlabelled++;
      report.kept[w.subjects[i]]--;
    }
  }
  outs.forEach((o, k) => {
    if (missing[k])
      report.warnings.push(
        `${missing[k]} window(s) dropped: output "${o.name}" has no "${o.label.target}" label there (with several outputs, a window is kept only where every output's label is known).`
      );
  });
  for (const [s, kept] of Object.entries(report.kept)) {
    if (kept === 0 && w.subjects.includes(s)) report.warnings.push(`subject ${s}: no window has the label of every output (skipped).`);
  }
  const all: WindowSet = { ...w, ys: Object.fromEntries(outs.map((o, k) => [o.name, ys[k]])) };
  return { windows: keep.length === n ? all : selectWindows(all, keep), report };
}
