import type { GraphSpec } from '@fusion/core';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from '../eval/metrics';
import type { FoldPredictions } from './evaluation';

/**
 * Personalisation (`evaluation.calibration: { minutes: N | [N, ...] }`), reported apart from the subject-independent
 * figures, which it never changes.
 *
 * For each test subject, its calibration windows are those lying wholly within the first N minutes of its labelled
 * windows: window end <= t0 + 60 N, with t0 the start of its earliest window (earliest end minus the window length).
 * They are removed from that subject's test windows; the rest are scored twice, by the same trained models:
 * - "personalised": binary labels only, a per-subject decision threshold on the model's probability of the second
 *   class, chosen to maximise balanced accuracy on the calibration windows (candidates: 0.5 and the midpoints between
 *   consecutive distinct calibration scores; ties go to the one nearest 0.5). The subject's probabilities are shifted
 *   in logit space so the threshold maps to 0.5 (p' = sigmoid(logit p - logit t)): the ranking within a subject (its
 *   AUROC) is unchanged. Nothing is retrained, nothing is random.
 * - "subjectIndependent": the models without adaptation on the same remaining windows (the fair comparison).
 * A subject is not adapted (threshold 0.5, i.e. its unadapted predictions) when its calibration windows hold fewer than
 * MIN_PER_CLASS windows of either class, or when the labels have more than two classes; it still loses its calibration
 * windows, and `perSubject[s].notAdapted` says why. N = 0 removes nothing and adapts no one (the curve's first point).
 */
export const MIN_PER_CLASS = 2;

export interface PersonalisedSubject {
  fold: number;
  /** Calibration windows (removed from the test set) and the last one's end time (s). */
  calibrationWindows: number;
  calibrationLastEnd: number | null;
  /** Remaining (scored) windows and the first one's end time (s). */
  testWindows: number;
  testFirstEnd: number | null;
  /** The subject's threshold on the probability of the second class (null: not adapted). */
  threshold: number | null;
  notAdapted?: string;
  model: Metrics;
  subjectIndependent: Metrics;
}

export interface PersonalisedSummary {
  minutes: number;
  method: 'per-subject threshold';
  calibrationWindows: number;
  testWindows: number;
  adaptedSubjects: number;
  /** The adapted models on the remaining windows (mean ± sd over folds, and pooled). */
  model: MetricSummary;
  /** The same models without adaptation on the same remaining windows. */
  subjectIndependent: MetricSummary;
  perSubject: Record<string, PersonalisedSubject>;
}

/** The calibration minutes of a spec, in order (empty: no calibration). */
export function calibrationMinutes(spec: GraphSpec): number[] {
  const m = spec.evaluation.calibration?.minutes;
  if (m === undefined) return [];
  return (Array.isArray(m) ? [...m] : [m]).sort((a, b) => a - b);
}

function logit(p: number): number {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
}

function balancedAccuracyAt(scores: number[], y: number[], t: number): number {
  let tp = 0;
  let pos = 0;
  let tn = 0;
  let neg = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) {
      pos++;
      if (scores[i] > t) tp++;
    } else {
      neg++;
      if (scores[i] <= t) tn++;
    }
  }
  return (tp / pos + tn / neg) / 2;
}

/** The threshold maximising balanced accuracy on the calibration windows (both classes present). */
export function chooseThreshold(scores: number[], y: number[]): number {
  const sorted = [...new Set(scores)].sort((a, b) => a - b);
  const candidates = [0.5];
  for (let i = 0; i + 1 < sorted.length; i++) candidates.push((sorted[i] + sorted[i + 1]) / 2);
  let best = 0.5;
  let bestScore = -Infinity;
  for (const t of candidates) {
    const s = balancedAccuracyAt(scores, y, t);
    if (s > bestScore + 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t;
      bestScore = s;
    }
  }
  return best;
}

/** Every fold's test windows split per subject into calibration and remaining, scored adapted and unadapted: one entry per N, by increasing N. */
export function personalise(spec: GraphSpec, folds: readonly FoldPredictions[], C: number): PersonalisedSummary[] | undefined {
  const minutesList = calibrationMinutes(spec);
  if (!minutesList.length) return undefined;
  const windowSeconds = spec.preprocessing.window;
  const out: PersonalisedSummary[] = [];
  for (const minutes of minutesList) {
    const perSubject: Record<string, PersonalisedSubject> = {};
    const foldAdapted: Metrics[] = [];
    const foldPlain: Metrics[] = [];
    const pooled = { y: [] as number[], adapted: { pred: [] as number[], probs: [] as number[] }, plain: { pred: [] as number[], probs: [] as number[] } };
    let calibrationWindows = 0;
    let adaptedSubjects = 0;
    for (const fp of folds) {
      const { testW } = fp;
      const fy: number[] = [];
      const fa = { pred: [] as number[], probs: [] as number[] };
      const fu = { pred: [] as number[], probs: [] as number[] };
      const bySubject = new Map<string, number[]>();
      testW.subjects.forEach((s, i) => {
        if (!bySubject.has(s)) bySubject.set(s, []);
        bySubject.get(s)!.push(i);
      });
      for (const [subject, idx] of bySubject) {
        const t0 = Math.min(...idx.map((i) => testW.ends[i])) - windowSeconds;
        const limit = t0 + 60 * minutes + 1e-9;
        const cal = idx.filter((i) => testW.ends[i] <= limit);
        const rest = idx.filter((i) => testW.ends[i] > limit);
        calibrationWindows += cal.length;
        let threshold: number | null = null;
        let notAdapted: string | undefined;
        if (minutes === 0) notAdapted = 'no calibration minutes (N = 0)';
        else if (C !== 2) notAdapted = 'more than two classes: the per-subject threshold is for binary labels only';
        else {
          const counts = [0, 1].map((c) => cal.filter((i) => testW.y[i] === c).length);
          if (Math.min(...counts) < MIN_PER_CLASS)
            notAdapted = `calibration windows hold ${counts[0]} of class 0 and ${counts[1]} of class 1 (at least ${MIN_PER_CLASS} of each needed)`;
          else
            threshold = chooseThreshold(
              cal.map((i) => fp.model.probs[i * 2 + 1]),
              cal.map((i) => testW.y[i])
            );
        }
        if (threshold !== null) adaptedSubjects++;
        const sy = rest.map((i) => testW.y[i]);
        const su = { pred: rest.map((i) => fp.model.pred[i]), probs: rest.flatMap((i) => Array.from({ length: C }, (_, c) => fp.model.probs[i * C + c])) };
        const sa = threshold === null ? su : adapt(rest.map((i) => fp.model.probs[i * 2 + 1]), threshold);
        perSubject[subject] = {
          fold: fp.fold + 1,
          calibrationWindows: cal.length,
          calibrationLastEnd: cal.length ? Math.max(...cal.map((i) => testW.ends[i])) : null,
          testWindows: rest.length,
          testFirstEnd: rest.length ? Math.min(...rest.map((i) => testW.ends[i])) : null,
          threshold,
          ...(notAdapted ? { notAdapted } : {}),
          model: computeMetrics(sy, sa.pred, C, sa.probs),
          subjectIndependent: computeMetrics(sy, su.pred, C, su.probs),
        };
        fy.push(...sy);
        for (const [to, from] of [
          [fa, sa],
          [fu, su],
        ] as const) {
          to.pred.push(...from.pred);
          to.probs.push(...from.probs);
        }
      }
      foldAdapted.push(computeMetrics(fy, fa.pred, C, fa.probs));
      foldPlain.push(computeMetrics(fy, fu.pred, C, fu.probs));
      pooled.y.push(...fy);
      pooled.adapted.pred.push(...fa.pred);
      pooled.adapted.probs.push(...fa.probs);
      pooled.plain.pred.push(...fu.pred);
      pooled.plain.probs.push(...fu.probs);
    }
    // Pooled, as the subject-independent summary does: the argmax of the pooled probabilities.
    const pooledOf = (p: { probs: number[] }): Metrics => computeMetrics(pooled.y, argmaxRows(p.probs, C), C, p.probs);
    out.push({
      minutes,
      method: 'per-subject threshold',
      calibrationWindows,
      testWindows: pooled.y.length,
      adaptedSubjects,
      model: summarize(foldAdapted, pooledOf(pooled.adapted)),
      subjectIndependent: summarize(foldPlain, pooledOf(pooled.plain)),
      perSubject,
    });
  }
  return out;
}

/** Binary predictions and probabilities with the subject's threshold moved to 0.5. */
function adapt(scores: number[], threshold: number): { pred: number[]; probs: number[] } {
  const shift = logit(threshold);
  const pred = scores.map((s) => (s > threshold ? 1 : 0));
  const probs = scores.flatMap((s, i) => {
    let p1 = 1 / (1 + Math.exp(-(logit(s) - shift)));
    // Keep the argmax of the probabilities equal to the thresholded prediction (float rounding at the boundary).
    if (pred[i] === 1 && p1 <= 0.5) p1 = 0.5 + 1e-7;
    if (pred[i] === 0 && p1 > 0.5) p1 = 0.5;
    return [1 - p1, p1];
  });
  return { pred, probs };
}
