import { Rng } from '@fusion/core';

/**
 * Paired statistics over subjects: one implementation for the run's model-vs-feature-baseline comparison
 * (metrics.json `summary.comparisons`) and for `fusion-cli compare` (run against run).
 */

/** The Wilcoxon signed-rank test of paired differences (two-sided), as scipy.stats.wilcoxon with its defaults. */
export interface WilcoxonResult {
  /** min(R+, R−): the smaller signed-rank sum over the non-zero differences. */
  statistic: number;
  /** Two-sided p; 1 where every difference is zero. */
  p: number;
  /**
   * exact: the null distribution of R+ enumerated (at most 50 non-zero differences, no zeros, no ties);
   * normal: normal approximation with zeros dropped (Wilcoxon's zero method) and the tie correction of the variance,
   * without continuity correction.
   */
  method: 'exact' | 'normal';
  /** Differences that are not zero (the ones ranked). */
  n: number;
  /** Differences that are exactly zero (dropped). */
  zeros: number;
  /** normal only: the z statistic (R+ standardised; its sign says which way the differences lean). */
  z?: number;
}

/** Largest number of differences whose exact null distribution is enumerated (as scipy's 'auto'). */
export const WILCOXON_EXACT_MAX = 50;

/** Average ranks (1-based) of `xs`, ties sharing their mean rank; also the sizes of the tie groups. */
function rankWithTies(xs: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const ranks = new Array<number>(xs.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

/** counts[k] = number of subsets of {1..n} whose sum is k (exact in doubles for n <= 50: at most 2^50). */
function signedRankCounts(n: number): number[] {
  const max = (n * (n + 1)) / 2;
  const counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) for (let k = max; k >= r; k--) counts[k] += counts[k - r];
  return counts;
}

/** Two-sided Wilcoxon signed-rank test of `d` (paired differences) against a median of zero. */
export function wilcoxonSignedRank(d: readonly number[]): WilcoxonResult {
  // Differences of metrics carry float noise (0.6 - 0.5 vs 0.7 - 0.6): compared at 12 decimals for zeros and ties.
  const nonZero = d.map((x) => Math.round(x * 1e12) / 1e12).filter((x) => x !== 0);
  const zeros = d.length - nonZero.length;
  const n = nonZero.length;
  if (n === 0) return { statistic: 0, p: 1, method: zeros ? 'normal' : 'exact', n, zeros };
  const { ranks, tieSizes } = rankWithTies(nonZero.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  nonZero.forEach((x, i) => (x > 0 ? (rPlus += ranks[i]) : (rMinus += ranks[i])));
  const statistic = Math.min(rPlus, rMinus);
  if (n <= WILCOXON_EXACT_MAX && zeros === 0 && tieSizes.length === 0) {
    const counts = signedRankCounts(n);
    const total = 2 ** n;
    const r = Math.round(rPlus);
    if (r * 2 === counts.length - 1) return { statistic, p: 1, method: 'exact', n, zeros };
    let below = 0;
    for (let k = 0; k <= r; k++) below += counts[k];
    let above = 0;
    for (let k = r; k < counts.length; k++) above += counts[k];
    return { statistic, p: Math.min(1, (2 * Math.min(below, above)) / total), method: 'exact', n, zeros };
  }
  const meanT = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1) - 0.5 * tieSizes.reduce((a, t) => a + t * (t * t - 1), 0)) / 24;
  if (!(variance > 0)) return { statistic, p: 1, method: 'normal', n, zeros, z: 0 };
  const z = (rPlus - meanT) / Math.sqrt(variance);
  return { statistic, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), method: 'normal', n, zeros, z };
}

/**
 * The complementary error function to about 1e-15 relative: a Taylor series of erf below 0.8, a continued fraction
 * (modified Lentz) of erfc above. Two-sided normal p = erfc(|z| / sqrt 2).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.8) {
    // erf(x) = 2/sqrt(pi) * sum_k (-1)^k x^(2k+1) / (k! (2k+1))
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? tiny : D;
    C = x + a / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Percentile bootstrap interval of the mean of `d`: `resamples` resamples with replacement, seeded. */
export function bootstrapMeanInterval(d: readonly number[], seed: string, resamples = 2000, level = 0.95): [number, number] | null {
  if (!d.length) return null;
  const rng = new Rng(seed);
  const means: number[] = [];
  for (let i = 0; i < resamples; i++) {
    let s = 0;
    for (let j = 0; j < d.length; j++) s += d[rng.int(d.length)];
    means.push(s / d.length);
  }
  means.sort((x, y) => x - y);
  const q = (p: number): number => means[Math.min(means.length - 1, Math.max(0, Math.round(p * (means.length - 1))))];
  return [q((1 - level) / 2), q(1 - (1 - level) / 2)];
}

/** The paired difference a − b over the subjects where both are defined. */
export interface PairedStatistics {
  /** Subjects where both values are defined (a subject with one class has no AUROC and is left out of it). */
  subjects: number;
  /** Mean of a − b over those subjects; null without any. */
  mean: number | null;
  /** Percentile bootstrap 95% interval of that mean over subjects (2000 resamples, seeded). */
  ci95: [number, number] | null;
  /** Two-sided Wilcoxon signed-rank test of the differences; null without any. */
  wilcoxon: WilcoxonResult | null;
  /** a − b of each subject, in subject order. */
  perSubject: Record<string, number>;
}

/** Paired statistics of per-subject values `a` against `b` (subjects sorted; undefined/null/non-finite values skipped). */
export function pairedStatistics(
  a: Record<string, number | null | undefined>,
  b: Record<string, number | null | undefined>,
  opts: { seed: string; resamples?: number }
): PairedStatistics {
  const ok = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const subjects = Object.keys(a)
    .filter((s) => ok(a[s]) && ok(b[s]))
    .sort();
  const perSubject: Record<string, number> = {};
  for (const s of subjects) perSubject[s] = (a[s] as number) - (b[s] as number);
  const d = subjects.map((s) => perSubject[s]);
  if (!d.length) return { subjects: 0, mean: null, ci95: null, wilcoxon: null, perSubject };
  return {
    subjects: d.length,
    mean: d.reduce((x, y) => x + y, 0) / d.length,
    ci95: bootstrapMeanInterval(d, opts.seed, opts.resamples),
    wilcoxon: wilcoxonSignedRank(d),
    perSubject,
  };
}

/** A p value for tables and text: three decimals, '< 0.001' below that, 'n/a' where there is none. */
export function formatPValue(p: number | null | undefined): string {
  if (typeof p !== 'number' || !Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}
