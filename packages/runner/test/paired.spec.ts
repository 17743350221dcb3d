import { expect } from 'chai';
import { comparisonVerdict, PairedComparison } from '../src/eval/comparisons';
import { bootstrapMeanInterval, erfc, pairedStatistics, wilcoxonSignedRank } from '../src/eval/paired';

// Reference values computed with scipy 1.10.1 (scipy.stats.wilcoxon, scipy.special.erfc), written in here.
describe('paired statistics', () => {
  const doc = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]; // scipy's wilcoxon docstring example

  it('Wilcoxon exact p for small n without ties or zeros (scipy: 24.0, 0.041259765625)', () => {
    const r = wilcoxonSignedRank(doc);
    expect(r.method).to.equal('exact');
    expect(r.statistic).to.equal(24);
    expect(r.p).to.equal(0.041259765625);
    expect(wilcoxonSignedRank([0.2, -0.1, 0.3]).p).to.equal(0.5);
    // R+ at the centre of the null distribution: p = 1
    expect(wilcoxonSignedRank([1, 2, -3]).p).to.equal(1);
  });

  it('Wilcoxon normal approximation with the tie correction (scipy method="approx": 17.0, 0.08258759183921423)', () => {
    const r = wilcoxonSignedRank([0.1, -0.05, 0.1, 0.2, -0.1, 0.05, 0.3, 0.1, -0.2, 0.15, 0.25, 0.05]);
    expect(r.method).to.equal('normal');
    expect(r.statistic).to.equal(17);
    expect(r.p).to.be.closeTo(0.08258759183921423, 1e-13);
  });

  it('Wilcoxon drops zero differences and uses the normal approximation (scipy: 3.0, 0.020879263166351643)', () => {
    const r = wilcoxonSignedRank([0.1, 0, -0.05, 0.2, 0, 0.3, 0.12, -0.02, 0.07, 0.4, 0.11]);
    expect(r).to.include({ method: 'normal', n: 9, zeros: 2, statistic: 3 });
    expect(r.p).to.be.closeTo(0.020879263166351643, 1e-13);
    // float noise in a difference is no tie-breaker: 0.3 - 0.2 and 0.4 - 0.3 are one tie, 0.1 + 0.2 - 0.3 a zero
    expect(wilcoxonSignedRank([0.3 - 0.2, 0.4 - 0.3, 0.1 + 0.2 - 0.3, 0.2]).zeros).to.equal(1);
    expect(wilcoxonSignedRank([0.3 - 0.2, 0.4 - 0.3, 0.2]).method).to.equal('normal');
    expect(wilcoxonSignedRank([0, 0]).p).to.equal(1);
  });

  it('Wilcoxon normal approximation above 50 differences (scipy: 579.0, 0.013379732514095138; docstring approx 0.04088813291185591)', () => {
    // prettier-ignore
    const big = [0.234092, -0.225567, 0.07181, -0.026777, -0.015265, 0.00844, -0.171999, 0.006807, -0.056521, 0.3623, 0.052579, -0.005263, 0.001871, -0.036805, -0.075515, -0.00908, 0.078195, 0.006145, 0.125776, 0.01002, 0.032426, 0.184582, 0.084511, -0.020523, 0.011716, 0.084053, 0.223509, 0.003038, 0.005644, 0.130231, -0.058646, 0.000828, 0.118254, 0.088035, 0.039152, 0.09701, -0.252816, 0.132131, -0.065964, -0.136862, 0.057645, 0.100054, -0.014477, -0.077641, 0.032612, 0.024725, 0.17056, 0.104741, 0.049382, 0.141163, 0.009448, -0.06259, 0.088406, 0.088254, 0.008517, -0.048281, 0.052915, -0.219389, 0.099012, 0.079137];
    const r = wilcoxonSignedRank(big);
    expect(r).to.include({ method: 'normal', n: 60, statistic: 579 });
    expect(r.p).to.be.closeTo(0.013379732514095138, 1e-13);
  });

  it('erfc matches scipy.special.erfc to 1e-13 relative', () => {
    const ref: [number, number][] = [
      [0.1, 0.8875370839817152],
      [0.79, 0.2638965461793089],
      [0.81, 0.25199671940221036],
      [1, 0.15729920705028516],
      [2.4, 0.0006885138966450789],
      [2.6, 0.000236034416529349],
      [4, 1.541725790028002e-8],
      [6, 2.1519736712498913e-17],
      [10, 2.0884875837625446e-45],
    ];
    for (const [x, v] of ref) expect(Math.abs(erfc(x) - v) / v, `erfc(${x})`).to.be.below(1e-13);
    expect(erfc(-1)).to.be.closeTo(2 - 0.15729920705028516, 1e-15);
  });

  it('the bootstrap interval is seeded, brackets the mean and is a single point for constant differences', () => {
    const d = [0.1, 0.05, -0.02, 0.2, 0.08, 0.0, 0.12];
    const a = bootstrapMeanInterval(d, 's')!;
    expect(bootstrapMeanInterval(d, 's')).to.deep.equal(a);
    expect(bootstrapMeanInterval(d, 't')).to.not.deep.equal(a);
    const m = d.reduce((x, y) => x + y, 0) / d.length;
    expect(a[0]).to.be.below(m);
    expect(a[1]).to.be.above(m);
    expect(bootstrapMeanInterval([0.3, 0.3, 0.3], 's')).to.deep.equal([0.3, 0.3]);
    expect(bootstrapMeanInterval([], 's')).to.equal(null);
  });

  it('pairs subjects defined on both sides only (a one-class subject has no AUROC)', () => {
    const r = pairedStatistics({ A: 0.9, B: 0.7, C: null, D: 0.6 }, { A: 0.8, B: 0.75, C: 0.5, E: 0.5 }, { seed: 'x' });
    expect(r.subjects).to.equal(2);
    expect(Object.keys(r.perSubject)).to.deep.equal(['A', 'B']);
    expect(r.mean).to.be.closeTo(0.025, 1e-12);
    expect(r.wilcoxon!.method).to.equal('exact');
    expect(pairedStatistics({ A: null }, { A: 0.5 }, { seed: 'x' })).to.include({ subjects: 0, mean: null, ci95: null, wilcoxon: null });
  });
});

describe('comparisonVerdict', () => {
  const cmp = (ci95: [number, number], p: number, subjects = 10): PairedComparison => {
    const st = { subjects, mean: (ci95[0] + ci95[1]) / 2, ci95, wilcoxon: { statistic: 1, p, method: 'exact' as const, n: subjects, zeros: 0 }, perSubject: {} };
    return { reference: 'features', balancedAccuracy: st, auroc: st };
  };
  it('says "beats" only when the interval is clear of zero and the Wilcoxon p is below 0.05', () => {
    expect(comparisonVerdict(cmp([0.01, 0.1], 0.01), 'feature baseline')).to.match(/^The model beats the feature baseline on unseen subjects/);
    expect(comparisonVerdict(cmp([-0.1, -0.01], 0.02), 'feature baseline')).to.match(/^The feature baseline beats the model/);
    expect(comparisonVerdict(cmp([0.002, 0.126], 0.109, 8), 'feature baseline')).to.match(/lies above zero, but the Wilcoxon signed-rank test does not confirm it \(p 0\.109, 8 subjects\)/);
    expect(comparisonVerdict(cmp([-0.02, 0.1], 0.3), 'feature baseline')).to.match(/not distinguishable from zero/);
  });
});
