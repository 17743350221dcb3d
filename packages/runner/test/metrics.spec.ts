import { expect } from 'chai';
import { Rng } from '@fusion/core';
import { argmaxRows, auc, classPrior, classRatioBaseline, computeMetrics, majorityBaseline, makeFolds, mean, naturalCompare, sd, splitValidation, summarize } from '../src';

describe('metrics', () => {
  it('computes accuracy, balanced accuracy, macro-F1 and the confusion matrix by hand', () => {
    // truth: 6 of class 0, 2 of class 1; predictions: 5/6 right for 0, 1/2 right for 1
    const y = [0, 0, 0, 0, 0, 0, 1, 1];
    const p = [0, 0, 0, 0, 0, 1, 1, 0];
    const m = computeMetrics(y, p, 2);
    expect(m.accuracy).to.be.closeTo(6 / 8, 1e-12);
    expect(m.balancedAccuracy).to.be.closeTo((5 / 6 + 1 / 2) / 2, 1e-12);
    const f0 = (2 * 5) / (6 + 6);
    const f1 = (2 * 1) / (2 + 2);
    expect(m.macroF1).to.be.closeTo((f0 + f1) / 2, 1e-12);
    expect(m.confusion).to.deep.equal([[5, 1], [1, 1]]);
  });

  it('macro-F1 and balanced accuracy follow scikit-learn (values from sklearn 1.2.1 written in)', () => {
    // [y_true, y_pred, classes, f1_score(average='macro'), balanced_accuracy_score]
    const cases: [number[], number[], number, number, number][] = [
      [[0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3, 0.26666666666666666, 0.3333333333333333],
      // class 2 predicted but absent from the truth: its F1 of 0 counts (average over the union of labels)
      [[0, 0, 1, 1], [0, 2, 1, 1], 3, 0.5555555555555555, 0.75],
      [[1, 1, 1, 1], [1, 0, 1, 1], 2, 0.42857142857142855, 0.75],
      [[0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0], 2, 0.3333333333333333, 0.5],
    ];
    for (const [y, p, k, f1, ba] of cases) {
      const m = computeMetrics(y, p, k);
      expect(m.macroF1, `macro-F1 of ${p} against ${y}`).to.be.closeTo(f1, 1e-12);
      expect(m.balancedAccuracy, `balanced accuracy of ${p} against ${y}`).to.be.closeTo(ba, 1e-12);
    }
  });

  it('computes AUROC with ties and gives undefined with one class', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).to.be.closeTo(0.75, 1e-12);
    expect(auc([0.5, 0.5, 0.5], [true, false, true])).to.be.closeTo(0.5, 1e-12);
    expect(auc([0.1, 0.2], [true, true])).to.equal(undefined);
    const m = computeMetrics([1, 1, 1], [1, 0, 1], 2, [0.2, 0.8, 0.6, 0.4, 0.3, 0.7]);
    expect(m.auroc).to.equal(null);
    expect(JSON.parse(JSON.stringify(m))).to.have.property('auroc', null);
  });

  it('majority baseline has balanced accuracy 0.5 and AUROC 0.5 on two classes', () => {
    const y = [0, 1, 1, 1, 0, 1];
    const b = majorityBaseline(classPrior([1, 1, 0], 2), y.length);
    const m = computeMetrics(y, b.pred, 2, b.probs);
    expect(m.balancedAccuracy).to.equal(0.5);
    expect(m.auroc).to.equal(0.5);
    expect(m.accuracy).to.be.closeTo(4 / 6, 1e-12);
  });

  it('class-ratio baseline is seeded and follows the prior', () => {
    const a = classRatioBaseline([0.25, 0.75], 4000, new Rng(1));
    const b = classRatioBaseline([0.25, 0.75], 4000, new Rng(1));
    expect(Array.from(a.pred)).to.deep.equal(Array.from(b.pred));
    const ones = a.pred.reduce((s, v) => s + v, 0) / 4000;
    expect(ones).to.be.closeTo(0.75, 0.03);
  });

  it('summarizes mean and sd over folds, AUROC over folds where defined', () => {
    const f1 = computeMetrics([0, 1], [0, 1], 2, [0.9, 0.1, 0.2, 0.8]);
    const f2 = computeMetrics([1, 1], [1, 0], 2, [0.2, 0.8, 0.6, 0.4]);
    const s = summarize([f1, f2], computeMetrics([0, 1, 1, 1], [0, 1, 1, 0], 2));
    expect(s.accuracy).to.be.closeTo(0.75, 1e-12);
    expect(s.sd.accuracy).to.be.closeTo(Math.SQRT1_2 * 0.5, 1e-12);
    expect(s.auroc).to.equal(1);
    expect(s.folds.auroc).to.equal(1);
  });
});

describe('folds', () => {
  const subjects = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S10'];
  it('leave-one-subject-out: each subject tested exactly once, never in its own training set', () => {
    const folds = makeFolds(subjects, { type: 'loso' }, 1);
    expect(folds).to.have.length(8);
    for (const f of folds) {
      expect(f.test).to.have.length(1);
      expect(f.train).to.not.include(f.test[0]);
      expect(f.train).to.have.length(7);
    }
    expect(folds.map((f) => f.test[0])).to.deep.equal(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S10']);
  });

  it('group k-fold partitions subjects, deterministically for a seed', () => {
    const a = makeFolds(subjects, { type: 'group-kfold', k: 3 }, 5);
    const b = makeFolds(subjects, { type: 'group-kfold', k: 3 }, 5);
    const c = makeFolds(subjects, { type: 'group-kfold', k: 3 }, 6);
    expect(a).to.deep.equal(b);
    expect(a.map((f) => f.test)).to.not.deep.equal(c.map((f) => f.test));
    expect(a.flatMap((f) => f.test).sort()).to.deep.equal([...subjects].sort());
    for (const f of a) expect(f.train.filter((s) => f.test.includes(s))).to.deep.equal([]);
  });

  it('fixed groups (EmoHEAL folds) use only the listed subjects and reject duplicates', () => {
    const f = makeFolds(subjects, { type: 'groups', groups: [['S1', 'S2'], ['S3'], [99]] }, 1);
    expect(f).to.have.length(2);
    expect(f[0].train).to.deep.equal(['S3']);
    expect(() => makeFolds(subjects, { type: 'groups', groups: [['S1'], ['S1']] }, 1)).to.throw(/twice/);
    expect(() => makeFolds(subjects, { type: 'group-kfold', k: 20 }, 1)).to.throw(/larger than/);
  });

  it('validation subjects come from the training subjects only', () => {
    const { fit, validation } = splitValidation(['A', 'B', 'C', 'D', 'E'], 0.2, new Rng(3));
    expect(validation).to.have.length(1);
    expect([...fit, ...validation].sort()).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
  });
});

describe('metrics: edge cases', () => {
  it('argmaxRows picks the most probable class per row, the first on a tie', () => {
    expect(Array.from(argmaxRows([0.2, 0.5, 0.3, 0.4, 0.4, 0.2, 0.1, 0.2, 0.7], 3))).to.deep.equal([1, 0, 2]);
  });

  it('balanced accuracy averages over the classes present in the truth, macro-F1 over true and predicted classes (as sklearn); a class never hit has F1 0', () => {
    const m = computeMetrics([0, 0], [0, 1], 2);
    expect(m.balancedAccuracy).to.equal(0.5);
    // class 0: F1 2/3; class 1 (predicted, never true): F1 0 -> 1/3 (sklearn's f1_score(average='macro'))
    expect(m.macroF1).to.be.closeTo(1 / 3, 1e-12);
    expect(m.confusion).to.deep.equal([[1, 1], [0, 0]]);
    const wrong = computeMetrics([0, 1], [1, 0], 2);
    expect(wrong.macroF1).to.equal(0);
    expect(wrong.accuracy).to.equal(0);
    expect(wrong.balancedAccuracy).to.equal(0);
  });

  it('an empty set has n 0 and NaN metrics, no AUROC', () => {
    const m = computeMetrics([], [], 2, []);
    expect(m.n).to.equal(0);
    expect(Number.isNaN(m.accuracy)).to.equal(true);
    expect(Number.isNaN(m.balancedAccuracy)).to.equal(true);
    expect(Number.isNaN(m.macroF1)).to.equal(true);
    expect(m.auroc).to.equal(null);
  });

  it('binary AUROC ranks the positive class (column 1) only; without probabilities it is null', () => {
    // column 0 would rank perfectly the other way round
    const m = computeMetrics([0, 0, 1, 1], [0, 0, 1, 1], 2, [0.9, 0.1, 0.6, 0.35, 0.7, 0.3, 0.2, 0.8]);
    expect(m.auroc).to.be.closeTo(0.75, 1e-12);
    expect(computeMetrics([0, 1], [0, 1], 2).auroc).to.equal(null);
  });

  it('multi-class AUROC is the macro mean of one-vs-rest AUCs, null when a class is absent from the truth', () => {
    const probs = [0.6, 0.3, 0.1, 0.7, 0.2, 0.1, 0.2, 0.2, 0.6, 0.1, 0.7, 0.2];
    const m = computeMetrics([0, 1, 2, 1], [0, 0, 2, 1], 3, probs);
    expect(m.auroc).to.be.closeTo((2 / 3 + 0.625 + 1) / 3, 1e-12);
    expect(computeMetrics([0, 1, 0, 1], [0, 0, 2, 1], 3, probs).auroc).to.equal(null);
  });

  it('mean and sample sd; sd of fewer than two values is 0', () => {
    expect(mean([1, 2, 6])).to.equal(3);
    expect(sd([1, 2, 6])).to.be.closeTo(Math.sqrt(7), 1e-12);
    expect(sd([5])).to.equal(0);
  });

  it('summarize leaves NaN folds out of each mean and counts the folds used; the pooled metrics are copied', () => {
    const ok = computeMetrics([0, 1], [0, 1], 2, [0.9, 0.1, 0.2, 0.8]);
    const half = computeMetrics([0, 1, 1, 0], [0, 0, 1, 1], 2, [0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.3, 0.7]);
    const empty = computeMetrics([], [], 2, []);
    const pooled = computeMetrics([0, 1, 1], [0, 1, 0], 2, [0.8, 0.2, 0.3, 0.7, 0.6, 0.4]);
    const s = summarize([ok, half, empty], pooled);
    expect(s.folds).to.deep.equal({ accuracy: 2, balancedAccuracy: 2, macroF1: 2, auroc: 2 });
    expect(s.accuracy).to.be.closeTo(0.75, 1e-12);
    expect(s.balancedAccuracy).to.be.closeTo(0.75, 1e-12);
    expect(s.macroF1).to.be.closeTo(0.75, 1e-12);
    expect(s.auroc).to.be.closeTo((1 + 0.75) / 2, 1e-12);
    expect(s.sd.auroc).to.be.closeTo(sd([1, 0.75]), 1e-12);
    expect(s.sd.macroF1).to.be.closeTo(sd([1, 0.5]), 1e-12);
    expect(s.sd.balancedAccuracy).to.be.closeTo(sd([1, 0.5]), 1e-12);
    expect(s.pooled).to.deep.equal({ n: 3, accuracy: pooled.accuracy, balancedAccuracy: pooled.balancedAccuracy, macroF1: pooled.macroF1, auroc: pooled.auroc });
    expect(s.confusion).to.deep.equal(pooled.confusion);
    const none = summarize([empty], empty);
    expect(Number.isNaN(none.accuracy)).to.equal(true);
    expect(Number.isNaN(none.balancedAccuracy)).to.equal(true);
    expect(Number.isNaN(none.macroF1)).to.equal(true);
    expect(none.auroc).to.equal(null);
    expect(none.sd).to.deep.equal({ accuracy: null, balancedAccuracy: null, macroF1: null, auroc: null });
  });
});

describe('baselines: edge cases', () => {
  it('the class prior is the training class frequency (all zero without training labels)', () => {
    expect(classPrior([0, 2, 2, 1], 3)).to.deep.equal([0.25, 0.25, 0.5]);
    expect(classPrior([], 2)).to.deep.equal([0, 0]);
  });

  it('the majority baseline answers the most frequent class (the first on a tie) with one-hot probabilities', () => {
    const b = majorityBaseline([0.3, 0.6, 0.1], 2);
    expect(Array.from(b.pred)).to.deep.equal([1, 1]);
    expect(Array.from(b.probs)).to.deep.equal([0, 1, 0, 0, 1, 0]);
    expect(Array.from(majorityBaseline([0.5, 0.5], 1).pred)).to.deep.equal([0]);
  });

  it('the class-ratio baseline draws each class with its prior and gives the prior as probabilities', () => {
    expect(Array.from(classRatioBaseline([0, 1], 5, new Rng(2)).pred)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(Array.from(classRatioBaseline([1, 0], 5, new Rng(2)).pred)).to.deep.equal([0, 0, 0, 0, 0]);
    const b = classRatioBaseline([0.2, 0.3, 0.5], 6000, new Rng(4));
    const share = (c: number): number => b.pred.filter((p) => p === c).length / 6000;
    expect(share(0)).to.be.closeTo(0.2, 0.03);
    expect(share(1)).to.be.closeTo(0.3, 0.03);
    expect(share(2)).to.be.closeTo(0.5, 0.03);
    expect(Array.from(b.probs.subarray(3, 6)).map((v) => Number(v.toFixed(6)))).to.deep.equal([0.2, 0.3, 0.5]);
  });
});

describe('folds: edge cases', () => {
  it('needs at least two distinct subjects; repeated names count once', () => {
    expect(() => makeFolds(['S1', 'S1'], { type: 'loso' }, 1)).to.throw(/at least 2 subjects with windows, found 1 \(S1\)/);
    expect(() => makeFolds([], { type: 'loso' }, 1)).to.throw(/found 0 \(none\)/);
    expect(makeFolds(['S2', 'S1', 'S2'], { type: 'loso' }, 1).map((f) => f.test)).to.deep.equal([['S1'], ['S2']]);
  });

  it('group k-fold: k groups of naturally sorted subjects, sizes differing by at most one', () => {
    const subjects = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S10'];
    const folds = makeFolds(subjects, { type: 'group-kfold', k: 3 }, 5);
    expect(folds.map((f) => f.index)).to.deep.equal([0, 1, 2]);
    expect(folds.map((f) => f.test.length).sort()).to.deep.equal([2, 3, 3]);
    for (const f of folds) {
      expect(f.test).to.deep.equal([...f.test].sort(naturalCompare));
      expect([...f.train, ...f.test].sort(naturalCompare)).to.deep.equal(subjects);
    }
    expect(makeFolds(subjects, { type: 'group-kfold', k: 8 }, 1)).to.have.length(8);
  });

  it('fixed groups: fewer than two groups with subjects is refused; numbers name subjects', () => {
    expect(() => makeFolds(['1', '2'], { type: 'groups', groups: [[1, 2], [3]] }, 1)).to.throw(/fewer than 2 groups/);
    const f = makeFolds(['1', '2', '3'], { type: 'groups', groups: [[1], [2]] }, 1);
    expect(f.map((x) => [x.test, x.train])).to.deep.equal([[['1'], ['2']], [['2'], ['1']]]);
  });

  it('validation: none for fraction 0 or a single subject, at least one, always leaving one to fit', () => {
    expect(splitValidation(['A', 'B'], 0, new Rng(1))).to.deep.equal({ fit: ['A', 'B'], validation: [] });
    expect(splitValidation(['A'], 0.5, new Rng(1))).to.deep.equal({ fit: ['A'], validation: [] });
    expect(splitValidation(['A', 'B', 'C'], 0.01, new Rng(1)).validation).to.have.length(1);
    const most = splitValidation(['S1', 'S2', 'S10'], 0.99, new Rng(1));
    expect(most.validation).to.have.length(2);
    expect(most.fit).to.have.length(1);
    expect(most.validation).to.deep.equal([...most.validation].sort(naturalCompare));
    expect(splitValidation(['A', 'B', 'C', 'D', 'E', 'F'], 0.5, new Rng(1)).validation).to.have.length(3);
  });

  it('natural order: S2 before S10', () => {
    expect(['S10', 'S2', 'S1'].sort(naturalCompare)).to.deep.equal(['S1', 'S2', 'S10']);
  });
});
