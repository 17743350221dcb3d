import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { useBackend } from '@fusion/core';
import { FlatAdamOptimizer } from '../src';

/** Variables of several shapes and a loss that reaches all of them. */
function problem(): { vars: tf.Variable[]; loss: () => tf.Scalar; dispose: () => void } {
  const shapes = [[4, 3], [3], [2, 3, 5], [1], [7, 2]];
  const vars = shapes.map((s, i) => {
    const init = tf.randomNormal(s, 0, 1, 'float32', 10 + i);
    const v = tf.variable(init, true, `flat_adam_test_${i}_${Math.random()}`);
    init.dispose();
    return v;
  });
  const x = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const h = tf.tanh(tf.add(tf.matMul(x, vars[0]), vars[1]));
      const others = vars.slice(2).map((v) => tf.sum(tf.square(tf.sin(v))));
      return tf.add(tf.sum(tf.square(h)), tf.addN(others)) as tf.Scalar;
    });
  return { vars, loss, dispose: () => [x, ...vars].forEach((t) => t.dispose()) };
}

async function train(opt: tf.Optimizer, steps: number, lrAt?: (step: number) => number): Promise<{ values: number[][]; kernels: number }> {
  const { vars, loss, dispose } = problem();
  let kernels = 0;
  for (let i = 0; i < steps; i++) {
    if (lrAt) (opt as unknown as { learningRate: number }).learningRate = lrAt(i);
    if (i === steps - 1) kernels = (await tf.profile(() => void opt.minimize(loss, false, vars))).kernels.length;
    else opt.minimize(loss, false, vars);
  }
  const values = vars.map((v) => Array.from(v.dataSync()));
  dispose();
  opt.dispose();
  return { values, kernels };
}

describe('FlatAdamOptimizer', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives tf.train.adam's values bit for bit, learning-rate changes included, in fewer kernels (${backend})`, async () => {
      await useBackend(backend);
      const lrAt = (i: number): number => (i < 3 ? 0.05 : 0.01);
      const ref = await train(tf.train.adam(0.05), 5, lrAt);
      const before = tf.memory().numTensors;
      const flat = await train(new FlatAdamOptimizer(0.05), 5, lrAt);
      expect(flat.values).to.deep.equal(ref.values);
      // Per variable, tfjs's Adam launches 14 kernels: the flat one launches its update once for all five.
      expect(flat.kernels).to.be.below(ref.kernels);
      expect(tf.memory().numTensors, 'tensors left after dispose').to.equal(before);
    });
  }

  it('refuses a different variable list on a later step', () => {
    const opt = new FlatAdamOptimizer(0.1);
    const { vars, loss, dispose } = problem();
    opt.minimize(loss, false, vars);
    expect(() => opt.minimize(loss, false, vars.slice(1))).to.throw(/variables changed between steps/);
    opt.dispose();
    dispose();
  });
});
