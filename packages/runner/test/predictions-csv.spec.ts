import { expect } from 'chai';
import { formatPredictionsCsv, parsePredictionsCsv, PredictionRow } from '../src';

describe('predictions.csv (the one writer and reader of the format)', () => {
  const classes = ['low', 'high'];
  const f32 = (x: number): number => Math.fround(x);
  const rows: PredictionRow[] = [
    { fold: 1, subject: 'S,"1"', windowEnd: 12.5, trueClass: 1, pred: 0, probs: [f32(0.6), f32(0.4)], baselinePreds: { majority: 0, classRatio: 1, features: 1 }, featureProbs: [f32(1 / 3), f32(2 / 3)] },
    { fold: 2, subject: 'S2', windowEnd: 5, trueClass: 0, pred: 1, probs: [1e-9, 1 - 1e-9], baselinePreds: { majority: 0, classRatio: 0, features: 0 }, featureProbs: [0.1 + 0.2, 0.7] },
  ];

  it('reads back exactly what it wrote: float32 and float64 probabilities bit for bit, quoted subjects, every column', () => {
    const text = formatPredictionsCsv(classes, rows);
    expect(text.split('\n')[0]).to.equal('fold,subject,window_end,true,pred,p_low,p_high,majority_pred,class_ratio_pred,features_pred,features_p_low,features_p_high');
    expect(text.endsWith('\n')).to.equal(true);
    expect(parsePredictionsCsv(text, classes)).to.deep.equal(rows);
  });

  it('reads files of runs without the feature baseline, and names a missing column', () => {
    const old = parsePredictionsCsv('fold,subject,window_end,true,pred,p_low,p_high,majority_pred,class_ratio_pred\n1,a,5.000,1,1,0.4,0.6,0,1\n', classes);
    expect(old).to.deep.equal([{ fold: 1, subject: 'a', windowEnd: 5, trueClass: 1, pred: 1, probs: [0.4, 0.6], baselinePreds: { majority: 0, classRatio: 1 } }]);
    expect(() => parsePredictionsCsv('fold,subject,window_end,true,pred,p_low\n', classes)).to.throw(/no "p_high" column/);
  });
});
