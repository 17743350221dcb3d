/** Choosing each fold's sweep point from validation scores, and the sweep's table for metrics.json (how a sweep is expanded and checked: `sweep.ts`). */

import { mean, METRIC_KEYS, MetricKey, Metrics, sd } from '../eval/metrics';
import type { SweepPoint } from '@fusion/core';

/** One point's ensemble metrics per outer fold: on the fold's validation subjects and (for information) its test subjects. */
export interface SweepPointScores {
  index: number;
  folds: { validation: Metrics; test: Metrics }[];
}

type MeanSd = Record<MetricKey, { mean: number | null; sd: number | null }>;

export interface SweepMetrics {
  /** The grid, with each point's parameter count. */
  points: (SweepPoint & { parameters: number })[];
  /** How the point of each fold is chosen. */
  selection: string;
  /** Per point: mean and sd over folds of the validation metrics (what selects) and of the test metrics (for information only). */
  table: { index: number; values: Record<string, unknown>; validation: MeanSd; test: MeanSd; folds: { fold: number; validation: Metrics; test: Metrics }[] }[];
  /** Per outer fold (1-based), the chosen point and its validation balanced accuracy. */
  selected: { fold: number; point: number; values: Record<string, unknown>; validationBalancedAccuracy: number }[];
}

export const SWEEP_SELECTION =
  'per outer fold, the point whose ensemble has the highest balanced accuracy on the fold\'s validation subjects (held out of training inside the fold; ties: higher validation AUROC, then the lower index); test subjects are never used';

/**
 * The chosen point per fold, from validation scores only: highest validation balanced accuracy, then highest
 * validation AUROC, then the lowest index. (It takes the test scores only because they travel together; they are
 * never read.)
 */
export function selectSweepPoints(scores: SweepPointScores[]): number[] {
  const folds = scores[0]?.folds.length ?? 0;
  return Array.from({ length: folds }, (_, f) => {
    let best = 0;
    for (let i = 1; i < scores.length; i++) {
      const a = scores[i].folds[f].validation;
      const b = scores[best].folds[f].validation;
      const ba = a.balancedAccuracy - b.balancedAccuracy;
      if (ba > 1e-12 || (Math.abs(ba) <= 1e-12 && (a.auroc ?? -1) > (b.auroc ?? -1) + 1e-12)) best = i;
    }
    return scores[best].index;
  });
}

function meanSd(ms: Metrics[]): MeanSd {
  const out = {} as MeanSd;
  for (const k of METRIC_KEYS) {
    const xs = ms.map((m) => m[k]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    out[k] = xs.length ? { mean: mean(xs), sd: sd(xs) } : { mean: null, sd: null };
  }
  return out;
}

export function sweepMetrics(points: SweepPoint[], parameters: { total: number }[], scores: SweepPointScores[], selected: number[]): SweepMetrics {
  return {
    points: points.map((p, i) => ({ ...p, parameters: parameters[i].total })),
    selection: SWEEP_SELECTION,
    table: scores.map((s) => ({
      index: s.index,
      values: points[s.index].values,
      validation: meanSd(s.folds.map((f) => f.validation)),
      test: meanSd(s.folds.map((f) => f.test)),
      folds: s.folds.map((f, k) => ({ fold: k + 1, validation: f.validation, test: f.test })),
    })),
    selected: selected.map((point, k) => ({ fold: k + 1, point, values: points[point].values, validationBalancedAccuracy: scores[point].folds[k].validation.balancedAccuracy })),
  };
}
