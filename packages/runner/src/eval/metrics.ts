/** Classification metrics that stay honest under class imbalance. */

export interface Metrics {
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  /** Binary: ROC AUC of the positive class; multi-class: macro one-vs-rest. Null where only one class is present (kept in JSON). */
  auroc: number | null;
  /** confusion[true][predicted] */
  confusion: number[][];
}

export function argmaxRows(probs: Float32Array | number[], classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** ROC AUC by the rank-sum (Mann-Whitney) statistic with ties averaged; undefined without both classes. */
export function auc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | undefined {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) nPos++;
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return undefined;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[idx[k]]) rankSum += avg;
    i = j + 1;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Metrics of predictions against truth, by scikit-learn's conventions: balanced accuracy averages the recall of the
 * classes present in the truth of this set (a class absent from the truth has no recall; sklearn's
 * balanced_accuracy_score); macro-F1 averages the F1 of the classes present in the truth or the predictions (sklearn's
 * f1_score(average='macro'): a class predicted but absent from the truth scores F1 0 and counts).
 */
export function computeMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number, probs?: ArrayLike<number>): Metrics {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    confusion[yTrue[i]][yPred[i]]++;
    if (yTrue[i] === yPred[i]) correct++;
  }
  const n = yTrue.length;
  const recalls: number[] = [];
  const f1s: number[] = [];
  for (let c = 0; c < classes; c++) {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const tp = confusion[c][c];
    if (support > 0) recalls.push(tp / support);
    if (support > 0 || predicted > 0) f1s.push(tp === 0 ? 0 : (2 * tp) / (support + predicted));
  }
  let auroc: number | null = null;
  if (probs) {
    const aucs: number[] = [];
    const targets = classes === 2 ? [1] : Array.from({ length: classes }, (_, c) => c);
    for (const c of targets) {
      const s = new Float64Array(n);
      const pos = new Array<boolean>(n);
      for (let i = 0; i < n; i++) {
        s[i] = probs[i * classes + c];
        pos[i] = yTrue[i] === c;
      }
      const a = auc(s, pos);
      if (a !== undefined) aucs.push(a);
    }
    auroc = aucs.length && (classes === 2 || aucs.length === targets.length) ? mean(aucs) : null;
  }
  return {
    n,
    accuracy: n ? correct / n : NaN,
    balancedAccuracy: recalls.length ? mean(recalls) : NaN,
    macroF1: f1s.length ? mean(f1s) : NaN,
    auroc,
    confusion,
  };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
}

export const METRIC_KEYS = ['accuracy', 'balancedAccuracy', 'macroF1', 'auroc'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricSummary {
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  /** Mean over the folds where it is defined; null when no fold has both classes. */
  auroc: number | null;
  sd: Record<MetricKey, number | null>;
  /** Number of folds each mean is taken over. */
  folds: Record<MetricKey, number>;
  /**
   * The same metrics over all test windows pooled. Null, with `leftOut` saying why, where pooling across folds does
   * not mean what the name says (the label-only baselines: see eval/pooled.ts).
   */
  pooled: { n: number; accuracy: number; balancedAccuracy: number | null; macroF1: number | null; auroc: number | null; leftOut?: string };
  confusion: number[][];
}

/** Mean and sd over folds (each fold weighs the same), plus pooled metrics over every test window. */
export function summarize(perFold: Metrics[], pooled: Metrics): MetricSummary {
  const agg = (k: MetricKey): { m: number | null; s: number | null; n: number } => {
    const xs = perFold.map((f) => f[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return xs.length ? { m: mean(xs), s: sd(xs), n: xs.length } : { m: null, s: null, n: 0 };
  };
  const a = agg('accuracy');
  const b = agg('balancedAccuracy');
  const f = agg('macroF1');
  const r = agg('auroc');
  return {
    accuracy: a.m ?? NaN,
    balancedAccuracy: b.m ?? NaN,
    macroF1: f.m ?? NaN,
    auroc: r.m,
    sd: { accuracy: a.s, balancedAccuracy: b.s, macroF1: f.s, auroc: r.s },
    folds: { accuracy: a.n, balancedAccuracy: b.n, macroF1: f.n, auroc: r.n },
    pooled: { n: pooled.n, accuracy: pooled.accuracy, balancedAccuracy: pooled.balancedAccuracy, macroF1: pooled.macroF1, auroc: pooled.auroc },
    confusion: pooled.confusion,
  };
}
