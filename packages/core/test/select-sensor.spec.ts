import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { gradCheck, maxAbsDiff, roundTrip, SelectSensor } from '../src';

describe('SelectSensor layer (per-sensor encoders)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('picks one sensor keeping the axis: [B, T, S, C] -> [B, T, 1, C]', () => {
    const layer = new SelectSensor({ index: 2 });
    expect(layer.computeOutputShape([null, 5, 3, 4])).to.deep.equal([null, 5, 1, 4]);
    const x = tf.tensor4d(Array.from({ length: 2 * 5 * 3 * 4 }, (_, i) => i), [2, 5, 3, 4]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).to.deep.equal([2, 5, 1, 4]);
    expect(maxAbsDiff(y, tf.slice(x, [0, 0, 2, 0], [-1, -1, 1, -1]))).to.equal(0);
  });

  it('round-trips through save and load with identical outputs', async () => {
    const input = tf.input({ shape: [4, 3, 2] });
    const model = tf.model({ inputs: input, outputs: new SelectSensor({ index: 1, name: 'encoder_select_eda' }).apply(input) as tf.SymbolicTensor });
    const loaded = await roundTrip(model);
    const x = tf.randomNormal([2, 4, 3, 2], 0, 1, 'float32', 3);
    expect(loaded.layers[1].getClassName()).to.equal('FusionSelectSensor');
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor)).to.equal(0);
  });

  it('passes gradients to the selected sensor only (finite differences)', () => {
    const layer = new SelectSensor({ index: 0 });
    const x = tf.randomNormal([1, 3, 2, 2], 0, 1, 'float32', 5);
    const w = tf.randomNormal([1, 3, 1, 2], 0, 1, 'float32', 6);
    const res = gradCheck((a) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, w)) as tf.Scalar, [x]);
    expect(res.ok, JSON.stringify(res.worst)).to.equal(true);
    const g = tf.grad((a: tf.Tensor) => tf.sum(layer.apply(a) as tf.Tensor) as tf.Scalar)(x);
    expect(Array.from(tf.slice(g, [0, 0, 1, 0], [-1, -1, 1, -1]).dataSync()).every((v) => v === 0)).to.equal(true);
    expect(Array.from(tf.slice(g, [0, 0, 0, 0], [-1, -1, 1, -1]).dataSync()).every((v) => v === 1)).to.equal(true);
  });
});
