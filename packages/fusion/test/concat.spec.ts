import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { concatFusion } from '../src';
import { maxAbsDiff, testContext, useBackend } from './helpers';

describe('concat fusion', () => {
  before(() => useBackend('cpu'));

  it('maps [B, T, S, F] to [B, T, S*F], sensor s in columns s*F..(s+1)*F-1', () => {
    const input = tf.input({ shape: [4, 3, 2] });
    const out = concatFusion.apply(input, { type: 'concat' }, testContext());
    expect(out.shape).to.deep.equal([null, 4, 6]);
    const m = tf.model({ inputs: input, outputs: out });
    const x = tf.randomNormal([2, 4, 3, 2], 0, 1, 'float32', 1);
    const y = m.predict(x) as tf.Tensor;
    expect(y.shape).to.deep.equal([2, 4, 6]);
    for (let s = 0; s < 3; s++) {
      expect(maxAbsDiff(tf.slice(y, [0, 0, 2 * s], [2, 4, 2]), tf.squeeze(tf.slice(x, [0, 0, s, 0], [2, 4, 1, 2]), [2]))).to.equal(0);
    }
  });

  it('works with an unknown time length and rejects a rank-3 input', () => {
    const input = tf.input({ shape: [null, 3, 2] });
    const out = concatFusion.apply(input, { type: 'concat' }, testContext());
    expect(out.shape).to.deep.equal([null, null, 6]);
    const y = tf.model({ inputs: input, outputs: out }).predict(tf.ones([1, 7, 3, 2])) as tf.Tensor;
    expect(y.shape).to.deep.equal([1, 7, 6]);
    expect(() => concatFusion.apply(tf.input({ shape: [4, 6] }), { type: 'concat' }, testContext())).to.throw(/expected \[batch, time, sensors, features\]/);
  });
});
