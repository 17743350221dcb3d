import type { MetricSummary } from './metrics';

/** Why the label-only baselines have no pooled balanced accuracy, macro-F1 or AUROC (metrics.json and the report). */
export const LABEL_ONLY_POOLED_NOTE =
  'left out: the majority and class-ratio baselines predict from each fold\u2019s training labels alone, a class (or a class share) that changes ' +
  'from fold to fold and is constant within it. Pooled over folds their balanced accuracy and AUROC would measure only how each fold\u2019s ' +
  'test class shares differ from its training shares (with one subject left out these run opposite, hence values below chance), not ' +
  'chance: within every fold they score balanced accuracy 1/classes in expectation and AUROC 0.5 by ties, the per-fold columns.';

/**
 * The pooled figures of a baseline that sees no window (majority, class-ratio): balanced accuracy, macro-F1 and AUROC
 * are left out (null) with the reason; n and accuracy stay (the share of windows whose class the baseline named).
 */
export function pooledLabelOnly(s: MetricSummary): MetricSummary {
  return { ...s, pooled: { ...s.pooled, balancedAccuracy: null, macroF1: null, auroc: null, leftOut: LABEL_ONLY_POOLED_NOTE } };
}
