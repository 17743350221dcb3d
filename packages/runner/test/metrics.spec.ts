import { expect } from 'chai';
import { Rng } from '@fusion/core';
import { auc, classPrior, classRatioBaseline, computeMetrics, majorityBaseline, makeFolds, splitValidation, summarize } from '../src';

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
