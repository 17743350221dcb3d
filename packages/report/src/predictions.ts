/** ROC curves from the class probabilities of `predictions.csv` (its format is @fusion/runner's predictions-csv module). */

import { auc, PredictionRow } from '@fusion/runner';

export { parsePredictionsCsv, splitCsvLine } from '@fusion/runner';
export type { PredictionRow } from '@fusion/runner';

export interface RocCurve {
  /** (false positive rate, true positive rate) from (0,0) to (1,1); ties in score make one diagonal step. */
  points: { fpr: number; tpr: number }[];
  auc: number;
  positives: number;
  negatives: number;
}

/** ROC curve of scores against a positive flag; undefined without both positives and negatives. */
export function rocCurve(scores: readonly number[], positive: readonly boolean[]): RocCurve | undefined {
  const P = positive.filter(Boolean).length;
  const N = positive.length - P;
  if (P === 0 || N === 0) return undefined;
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) {
      if (positive[idx[k]]) tp++;
      else fp++;
    }
    points.push({ fpr: fp / N, tpr: tp / P });
    i = j + 1;
  }
  // The area is the metrics' AUROC (rank statistic, ties one half): equal to the trapezoids under these points.
  return { points: thin(points), auc: auc(scores, positive)!, positives: P, negatives: N };
}

/** Drops points closer than `eps` (in both rates) to the last kept one; keeps the ends, so the shape is unchanged to the eye. */
function thin(points: { fpr: number; tpr: number }[], eps = 0.002): { fpr: number; tpr: number }[] {
  if (points.length <= 400) return points;
  const out = [points[0]];
  for (let i = 1; i < points.length - 1; i++) {
    const last = out[out.length - 1];
    if (Math.abs(points[i].fpr - last.fpr) >= eps || Math.abs(points[i].tpr - last.tpr) >= eps) out.push(points[i]);
  }
  out.push(points[points.length - 1]);
  return out;
}

export interface NamedRoc extends RocCurve {
  /** "high" (binary: the positive class) or "low vs rest" (multi-class). */
  name: string;
}

/** Binary: the ROC of the positive (second) class's probability; multi-class: one-vs-rest per class. */
export function rocCurves(rows: readonly PredictionRow[], classes: readonly string[]): NamedRoc[] {
  const targets = classes.length === 2 ? [1] : classes.map((_, c) => c);
  const out: NamedRoc[] = [];
  for (const c of targets) {
    const curve = rocCurve(
      rows.map((r) => r.probs[c]),
      rows.map((r) => r.trueClass === c)
    );
    if (curve) out.push({ ...curve, name: classes.length === 2 ? `${classes[c]} (positive class)` : `${classes[c]} vs rest` });
  }
  return out;
}
