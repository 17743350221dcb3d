import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src';
import { dropoutMultiplier, SeededDropout } from '../src/layers/seeded-dropout';

describe('SeededDropout', function () {
  this.timeout(60000);
  before(async () => {
    await selectBackend('cpu');
  });

  it("draws tf.dropout's multiplier bit for bit (same seeds, rates, shapes)", () => {
    for (const [shape, rate, seed] of [
      [[7], 0.5, 1],
      [[3, 40, 5], 0.2, 123456789],
      [[2, 1000], 0.1, -42],
      [[4, 4], 0.75, 2 ** 31 - 1],
      [[5, 3, 20, 25], 0.3, 987654.5],
    ] as [number[], number, number][]) {
      const ones = tf.ones(shape);
      const want = tf.dropout(ones, rate, undefined, seed);
      const got = dropoutMultiplier(shape, rate, seed);
      expect(got.shape).to.deep.equal(shape);
      expect(Array.from(got.dataSync()), `${shape} rate ${rate} seed ${seed}`).to.deep.equal(Array.from(want.dataSync()));
      tf.dispose([ones, want, got]);
    }
  });

  it('applies it with one kernel and no random-number kernels (the mask is made on the host)', async () => {
    const x = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 3);
    const stream = new SeededDropout(11);
    let y: tf.Tensor | undefined;
    const prof = await tf.profile(() => {
      y = stream.apply(x, 0.4, true);
      return y;
    });
    expect(prof.kernels.map((k) => k.name)).to.deep.equal(['Multiply']);
    stream.reset();
    const want = tf.dropout(x, 0.4, undefined, stream.nextSeed());
    expect(Array.from(y!.dataSync())).to.deep.equal(Array.from(want.dataSync()));
    tf.dispose([x, y!, want]);
  });
});
