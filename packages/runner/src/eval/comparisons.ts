import type { Metrics } from './metrics';
import { formatPValue, pairedStatistics, PairedStatistics } from './paired';

/** The model against one baseline, paired by test subject (each subject's windows scored by both). */
export interface PairedComparison {
  /** The baseline compared against (a key of `summary.baselines`). */
  reference: string;
  /** Model minus baseline, balanced accuracy on each subject's windows. */
  balancedAccuracy: PairedStatistics;
  /** Model minus baseline, AUROC on each subject's windows (subjects whose windows hold one class are left out). */
  auroc: PairedStatistics;
}

type PerSubject = Record<string, { model: Metrics; baselines: Record<string, Metrics> }>;

/** metrics.json `summary.comparisons`: the model against the feature baseline per subject; seeded by the run's seed. */
export function baselineComparisons(perSubject: PerSubject, seed: number): { featureBaseline: PairedComparison } {
  return { featureBaseline: compareWithBaseline(perSubject, 'features', `${seed}/paired/features`) };
}

export function compareWithBaseline(perSubject: PerSubject, baseline: string, seed: string): PairedComparison {
  const of = (pick: (m: Metrics) => number | null, side: 'model' | 'baseline'): Record<string, number | null> =>
    Object.fromEntries(
      Object.entries(perSubject).map(([s, r]) => {
        const m = side === 'model' ? r.model : r.baselines[baseline];
        return [s, m ? pick(m) : null];
      })
    );
  const stat = (pick: (m: Metrics) => number | null, key: string): PairedStatistics => pairedStatistics(of(pick, 'model'), of(pick, 'baseline'), { seed: `${seed}/${key}` });
  return {
    reference: baseline,
    balancedAccuracy: stat((m) => m.balancedAccuracy, 'balancedAccuracy'),
    auroc: stat((m) => m.auroc, 'auroc'),
  };
}

/** Column heads of {@link comparisonRows}. */
export const COMPARISON_COLUMNS = ['mean difference', '95% bootstrap interval', 'Wilcoxon p', 'subjects'] as const;

/** One row per metric for the printed table and the report: label, then the cells of COMPARISON_COLUMNS. */
export function comparisonRows(c: PairedComparison): [string, string, string, string, string][] {
  const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;
  const row = (label: string, st: PairedStatistics): [string, string, string, string, string] => [
    label,
    st.mean === null ? 'n/a' : signed(st.mean),
    st.ci95 ? `${signed(st.ci95[0])} to ${signed(st.ci95[1])}` : 'n/a',
    st.wilcoxon ? `${formatPValue(st.wilcoxon.p)} (${st.wilcoxon.method})` : 'n/a',
    String(st.subjects),
  ];
  return [row('balanced accuracy', c.balancedAccuracy), row('AUROC', c.auroc)];
}

/**
 * One or two sentences: does the model beat the baseline by balanced accuracy on unseen subjects? "Beats" needs both the
 * bootstrap interval clear of zero and a Wilcoxon p below 0.05 (with few subjects the percentile interval is narrow).
 */
export function comparisonVerdict(c: PairedComparison, baselineLabel: string): string {
  const st = c.balancedAccuracy;
  if (st.mean === null || !st.ci95) return `No subject was scored by both the model and the ${baselineLabel}.`;
  const p = st.wilcoxon?.p ?? 1;
  const few = st.subjects < 6 ? ` With ${st.subjects} subject(s) the interval and p are rough.` : '';
  const side = st.ci95[0] > 0 ? 'above' : st.ci95[1] < 0 ? 'below' : undefined;
  if (!side) return `The model's balanced-accuracy margin over the ${baselineLabel} is not distinguishable from zero (the 95% interval spans it).${few}`;
  const winner = side === 'above' ? `The model beats the ${baselineLabel}` : `The ${baselineLabel} beats the model`;
  if (p < 0.05) return `${winner} on unseen subjects: the 95% interval of the model's balanced-accuracy margin lies ${side} zero and the Wilcoxon signed-rank p is ${formatPValue(p)}.${few}`;
  return `The 95% interval of the model's balanced-accuracy margin over the ${baselineLabel} lies ${side} zero, but the Wilcoxon signed-rank test does not confirm it (p ${formatPValue(p)}, ${st.subjects} subjects): weak evidence.${few}`;
}
