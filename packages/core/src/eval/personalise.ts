import { SpecValidationError } from '../errors';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from './metrics';

/**
 * Personalisation by a per-subject decision threshold (`evaluation.calibration: { minutes: N }`), reported apart from
 * the subject-independent figures and never mixed with them.
 *
 * Method: the trained fold models are not changed. For each test subject, its windows that end within the first N
 * minutes after its first window starts (the calibration windows, with their labels) choose a threshold on the model's
 * probability of the positive class: the one with the best balanced accuracy on them (ties: the one nearest 0.5; 0.5
 * when the calibration windows hold one class only). The subject's later windows are then scored with the probability
 * shifted on the logit scale so that the threshold becomes 0.5. Calibration windows are never scored. Binary labels only.
 */

export interface PersonalisedResult {
  minutes: number;
  method: 'per-subject threshold';
  /** Personalised metrics per fold and over folds, on the windows after each subject's calibration minutes. */
  personalised: MetricSummary;
  /** The subject-independent model on exactly the same windows, for a fair side by side. */
  subjectIndependent: MetricSummary;
  /** Threshold chosen per subject and the number of calibration / scored windows. */
  perSubject: Record<string, { threshold: number; calibrationWindows: number; testWindows: number }>;
  /**
   * Balanced accuracy (mean over folds) against the calibration minutes, 0, 1, 2, 5 and the spec's N: personalised and
   * subject-independent, each on the windows after that many minutes (0: every window, no personalisation).
   */
  curve?: { minutes: number; personalised: number | null; subjectIndependent: number | null; windows: number }[];
}

/** CURVE_MINUTES plus the spec's minutes, ascending. */
export const CURVE_MINUTES = [0, 1, 2, 5] as const;

/** The threshold with the best balanced accuracy of (score >= t) on labelled windows; ties: nearest 0.5. */
export function bestThreshold(scores: readonly number[], positive: readonly boolean[]): number {
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return 0.5;
  const sorted = [...new Set(scores)].sort((a, b) => a - b);
  const candidates = [0.5, ...sorted.map((v, i) => (i === 0 ? v / 2 : (v + sorted[i - 1]) / 2)), (sorted[sorted.length - 1] + 1) / 2];
  let best = 0.5;
  let bestBa = -1;
  for (const t of candidates) {
    let tp = 0;
    let tn = 0;
    scores.forEach((s, i) => {
      if (positive[i] && s >= t) tp++;
      else if (!positive[i] && s < t) tn++;
    });
    const ba = (tp / nPos + tn / nNeg) / 2;
    if (ba > bestBa + 1e-12 || (Math.abs(ba - bestBa) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t;
      bestBa = ba;
    }
  }
  return best;
}

const logit = (p: number): number => {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
};

/** One fold's test windows: subject, window end (s), label and the ensemble's probabilities (row-major, 2 classes). */
export interface FoldPredictions {
  subjects: readonly string[];
  ends: ArrayLike<number>;
  y: ArrayLike<number>;
  probs: ArrayLike<number>;
}

/** Personalised and subject-independent metrics on the windows after each subject's first `minutes` (see above). */
export function personalise(folds: readonly FoldPredictions[], minutes: number, windowSeconds: number): PersonalisedResult {
  const perSubject: PersonalisedResult['perSubject'] = {};
  const pers: Metrics[] = [];
  const indep: Metrics[] = [];
  const pooled = { y: [] as number[], pers: [] as number[], indep: [] as number[] };
  for (const f of folds) {
    const y: number[] = [];
    const pPers: number[] = [];
    const pIndep: number[] = [];
    for (const s of [...new Set(f.subjects)]) {
      const idx = f.subjects.map((x, i) => (x === s ? i : -1)).filter((i) => i >= 0);
      const start = Math.min(...idx.map((i) => f.ends[i])) - windowSeconds;
      const cal = idx.filter((i) => f.ends[i] <= start + minutes * 60 + 1e-9);
      const rest = idx.filter((i) => f.ends[i] > start + minutes * 60 + 1e-9);
      const t = bestThreshold(cal.map((i) => f.probs[i * 2 + 1]), cal.map((i) => f.y[i] === 1));
      perSubject[s] = { threshold: t, calibrationWindows: cal.length, testWindows: rest.length };
      const shift = logit(t);
      for (const i of rest) {
        const p1 = 1 / (1 + Math.exp(-(logit(f.probs[i * 2 + 1]) - shift)));
        y.push(f.y[i]);
        pPers.push(1 - p1, p1);
        pIndep.push(f.probs[i * 2], f.probs[i * 2 + 1]);
      }
    }
    if (!y.length) continue;
    pers.push(computeMetrics(y, argmaxRows(pPers, 2), 2, pPers));
    indep.push(computeMetrics(y, argmaxRows(pIndep, 2), 2, pIndep));
    pooled.y.push(...y);
    pooled.pers.push(...pPers);
    pooled.indep.push(...pIndep);
  }
  const pooledOf = (p: number[]): Metrics => computeMetrics(pooled.y, argmaxRows(p, 2), 2, p);
  return {
    minutes,
    method: 'per-subject threshold',
    personalised: summarize(pers, pooledOf(pooled.pers)),
    subjectIndependent: summarize(indep, pooledOf(pooled.indep)),
    perSubject,
  };
}

/** Checked before any training: personalisation needs binary labels. */
export function checkCalibration(calibration: { minutes: number } | undefined, classes: number): void {
  if (calibration && classes !== 2)
    throw new SpecValidationError(undefined, [{ path: '/evaluation/calibration', message: `personalisation sets a per-subject threshold on the probability of the second class, so it needs 2 classes; the spec has ${classes}. Remove evaluation.calibration or use two classes.` }]);
}

/** metrics.json `summary.personalised` when the spec asks for it (`evaluation.calibration`). */
export function personaliseRun(calibration: { minutes: number } | undefined, folds: readonly FoldPredictions[], classes: number, windowSeconds: number): PersonalisedResult | undefined {
  if (!calibration) return undefined;
  checkCalibration(calibration, classes);
  const main = personalise(folds, calibration.minutes, windowSeconds);
  const points = [...new Set([...CURVE_MINUTES, calibration.minutes])].sort((a, b) => a - b);
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  main.curve = points.map((minutes) => {
    const r = minutes === calibration.minutes ? main : personalise(folds, minutes, windowSeconds);
    return { minutes, personalised: finite(r.personalised.balancedAccuracy), subjectIndependent: finite(r.subjectIndependent.balancedAccuracy), windows: r.personalised.pooled.n };
  });
  return main;
}

/** Rows for the printed table and the report: [label, balanced accuracy, macro-F1, AUROC] (mean ± sd over folds). */
export function personalisedRows(p: PersonalisedResult): [string, string, string, string][] {
  const f = (v: number | null, sdv: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(3)} ± ${(sdv ?? 0).toFixed(3)}`);
  const row = (label: string, s: MetricSummary): [string, string, string, string] => [label, f(s.balancedAccuracy, s.sd.balancedAccuracy), f(s.macroF1, s.sd.macroF1), f(s.auroc, s.sd.auroc)];
  return [row('subject-independent, same windows', p.subjectIndependent), row(`personalised (${p.minutes} min, per-subject threshold)`, p.personalised)];
}

/** The curve as text: "N min: personalised X (subject-independent Y, W windows)" per point. */
export function personalisedCurveText(p: PersonalisedResult): string {
  const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
  return (p.curve ?? []).map((c) => `${c.minutes} min: ${f(c.personalised)} (subject-independent ${f(c.subjectIndependent)}, ${c.windows} windows)`).join('; ');
}

/** What the personalised row means, in one sentence. */
export function personalisedNote(p: PersonalisedResult): string {
  const cal = Object.values(p.perSubject).reduce((a, s) => a + s.calibrationWindows, 0);
  return `Personalised, reported apart: each test subject's first ${p.minutes} min (${cal} labelled windows in all) chose a decision threshold for that subject (the model itself unchanged); both rows score only the later windows.`;
}
