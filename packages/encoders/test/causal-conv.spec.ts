import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { causalConv1d, causalShiftStack, gradCheck, GROUPED_BATCHED_MAX_ROWS, GROUPED_TINY_MAX_MACS, groupedPointwise, mixSeed, SeededDropout } from '@fusion/core';
import { maxAbsDiff, useBackend } from './helpers';

/** y[g,b,t,o] = bias + sum_j sum_c W[g, j*C + c, o] * x[g, b, t - (k-1-j)d, c]. */
function naiveConv(x: number[][][][], w: number[][][], bias: number[][], k: number, d: number): number[][][][] {
  return x.map((xg, g) =>
    xg.map((xb) =>
      xb.map((_, t) =>
        bias[g].map((b0, o) => {
          let s = b0;
          for (let j = 0; j < k; j++) {
            const src = t - (k - 1 - j) * d;
            if (src < 0) continue;
            xb[src].forEach((v, c) => (s += w[g][j * xb[src].length + c][o] * v));
          }
          return s;
        })
      )
    )
  );
}

describe('core layers: causal dilated convolution', () => {
  before(() => useBackend('cpu'));

  for (const [k, d] of [
    [2, 1],
    [2, 4],
    [3, 2],
    [2, 9],
  ]) {
    it(`grouped kernel equals a naive loop (kernel ${k}, dilation ${d})`, () => {
      const [g, b, t, cin, cout] = [3, 2, 8, 2, 3];
      const x = tf.randomNormal([g, b, t, cin], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([g, k * cin, cout], 0, 1, 'float32', 2) as tf.Tensor3D;
      const bias = tf.randomNormal([g, cout], 0, 1, 'float32', 3) as tf.Tensor2D;
      const y = causalConv1d(x, w, k, d, bias);
      const ref = tf.tensor(naiveConv(x.arraySync(), w.arraySync(), bias.arraySync(), k, d));
      expect(y.shape).to.deep.equal([g, b, t, cout]);
      expect(maxAbsDiff(y, ref)).to.be.below(1e-5);
      tf.dispose([x, w, bias, y, ref]);
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives the naive loop's values at inference (one batched product) and under a gradient tape (per-group products) on ${backend}, below and above ${GROUPED_BATCHED_MAX_ROWS} rows`, async () => {
      await useBackend(backend);
      try {
        for (const [b, t] of [[1, 5], [1, GROUPED_BATCHED_MAX_ROWS], [2, GROUPED_BATCHED_MAX_ROWS], [3, 40]]) {
          tf.tidy(() => {
            const [g, cin, cout, k, d] = [4, 3, 5, 2, 3];
            const x = tf.randomNormal([g, b, t, cin], 0, 1, 'float32', b * 100 + t) as tf.Tensor4D;
            const w = tf.randomNormal([g, k * cin, cout], 0, 1, 'float32', 2) as tf.Tensor3D;
            const bias = tf.randomNormal([g, cout], 0, 1, 'float32', 3) as tf.Tensor2D;
            const ref = tf.tensor(naiveConv(x.arraySync(), w.arraySync(), bias.arraySync(), k, d));
            const label = `${backend} rows ${b * t}`;
            expect(maxAbsDiff(causalConv1d(x, w, k, d, bias), ref), `${label}, inference`).to.be.below(1e-4);
            let taped: tf.Tensor | undefined;
            const grad = tf.grad((xi: tf.Tensor) => {
              taped = tf.keep(causalConv1d(xi as tf.Tensor4D, w, k, d, bias));
              return tf.sum(taped);
            })(x);
            expect(maxAbsDiff(taped!, ref), `${label}, under a tape`).to.be.below(1e-4);
            expect(grad.shape, label).to.deep.equal(x.shape);
            taped!.dispose();
          });
        }
        // Which path ran: the per-group products unstack their operands, the batched product does not.
        const unpacks = async (rows: number): Promise<number> => {
          const x = tf.ones([4, 1, rows, 3]) as tf.Tensor4D;
          const w = tf.ones([4, 6, 5]) as tf.Tensor3D;
          const prof = await tf.profile(() => causalConv1d(x, w, 2, 1));
          tf.dispose([x, w, prof.result as tf.Tensor]);
          return prof.kernels.filter((kernel) => kernel.name === 'Unpack').length;
        };
        expect(await unpacks(GROUPED_BATCHED_MAX_ROWS), `${backend}: few rows, one batched product`).to.equal(0);
        // A product [rows, 6] x [6, 5] per group counts as tiny (one batched product, in training too) up to
        // GROUPED_TINY_MAX_MACS multiply-adds.
        expect(await unpacks(GROUPED_BATCHED_MAX_ROWS + 1), `${backend}: many rows, tiny product`).to.equal(0);
        expect(await unpacks(Math.floor(GROUPED_TINY_MAX_MACS / 30) + 1), `${backend}: many rows, per-group products`).to.be.above(0);
      } finally {
        await useBackend('cpu');
      }
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`tiny grouped products (the channel attention's MLP) give the per-group 2-D products' values and gradients bit for bit on ${backend}`, async () => {
      await useBackend(backend);
      try {
        // [sensors, 2B rows, C] x [C, 1] and [sensors, 2B, 1] x [1, C] with 2B = 64 > 48 rows.
        for (const [cin, cout] of [[25, 1], [1, 25]]) {
          tf.tidy(() => {
            const [g, rows] = [5, 64];
            const x = tf.randomNormal([g, 1, rows, cin], 0, 1, 'float32', 11) as tf.Tensor4D;
            const w = tf.randomNormal([g, cin, cout], 0, 1, 'float32', 12) as tf.Tensor3D;
            const dy = tf.randomNormal([g, 1, rows, cout], 0, 1, 'float32', 13);
            const f = (xi: tf.Tensor, wi: tf.Tensor): tf.Scalar => tf.sum(tf.mul(groupedPointwise(xi as tf.Tensor4D, wi as tf.Tensor3D), dy));
            const [dx, dw] = tf.grads(f)([x, w]);
            // The per-group reference: plain untransposed 2-D products (explicit transposes), as the split path does.
            const xs = tf.unstack(tf.reshape(x, [g, rows, cin]));
            const ws = tf.unstack(w);
            const dys = tf.unstack(tf.reshape(dy, [g, rows, cout]));
            const y = groupedPointwise(x, w);
            const label = `${backend} [${rows}, ${cin}] x [${cin}, ${cout}]`;
            expect(Array.from(y.dataSync()), `${label}: values`).to.deep.equal(Array.from(tf.stack(xs.map((xi, i) => tf.matMul(xi, ws[i]))).dataSync()));
            expect(Array.from(dx.dataSync()), `${label}: input gradient`).to.deep.equal(Array.from(tf.stack(dys.map((d, i) => tf.matMul(d, tf.transpose(ws[i])))).dataSync()));
            expect(Array.from(dw.dataSync()), `${label}: weight gradient`).to.deep.equal(Array.from(tf.stack(xs.map((xi, i) => tf.matMul(tf.transpose(xi), dys[i]))).dataSync()));
          });
        }
      } finally {
        await useBackend('cpu');
      }
    });
  }

  it('a shared kernel equals the grouped kernel tiled over groups', () => {
    const x = tf.randomNormal([2, 2, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = tf.randomNormal([4, 3], 0, 1, 'float32', 5) as tf.Tensor2D;
    const bias = tf.tensor1d([0.1, -0.2, 0.3]);
    const shared = causalConv1d(x, w, 2, 2, bias);
    const grouped = causalConv1d(x, tf.stack([w, w]) as tf.Tensor3D, 2, 2, tf.stack([bias, bias]) as tf.Tensor2D);
    expect(maxAbsDiff(shared, grouped)).to.be.below(1e-6);
  });

  it('stacks the taps oldest first, the current step last', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
    expect(causalShiftStack(x, 3, 1).arraySync()).to.deep.equal([[[[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]]]);
  });

  it('rejects a kernel of the wrong shape, saying what was expected', () => {
    const x = tf.zeros([2, 1, 4, 3]) as tf.Tensor4D;
    expect(() => causalConv1d(x, tf.zeros([2, 5, 4]) as tf.Tensor3D, 2, 1)).to.throw(/expected \[2, 6, cout\]/);
  });

  it('matches finite differences (grouped and shared, dilated)', () => {
    const x = tf.randomNormal([2, 1, 5, 2], 0, 1, 'float32', 6);
    const w = tf.randomNormal([2, 4, 2], 0, 0.5, 'float32', 7);
    const ws = tf.randomNormal([4, 2], 0, 0.5, 'float32', 8);
    const bias = tf.randomNormal([2, 2], 0, 0.5, 'float32', 9);
    const r = tf.randomNormal([2, 1, 5, 2], 0, 1, 'float32', 10);
    const grouped = gradCheck(
      (a, k, b) => tf.sum(tf.mul(tf.tanh(causalConv1d(a as tf.Tensor4D, k as tf.Tensor3D, 2, 2, b as tf.Tensor2D)), r)),
      [x, w, bias]
    );
    expect(grouped.ok, JSON.stringify(grouped.worst)).to.equal(true);
    const shared = gradCheck((a, k) => tf.sum(tf.mul(tf.tanh(causalConv1d(a as tf.Tensor4D, k as tf.Tensor2D, 2, 3)), r)), [x, ws]);
    expect(shared.ok, JSON.stringify(shared.worst)).to.equal(true);
    expect(grouped.checked).to.equal(20 + 16 + 4);
  });

  it('gradCheck detects a wrong gradient', () => {
    const wrong = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const a = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([a]);
      return { value: tf.sum(tf.square(a)), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
    });
    const res = gradCheck((a) => wrong(a) as tf.Scalar, [tf.tensor1d([0.5, -1, 2])]);
    expect(res.ok).to.equal(false);
    expect(res.failures).to.have.length(3);
  });
});

describe('core layers: seeded dropout', () => {
  before(() => useBackend('cpu'));

  it('is the identity unless training', () => {
    const x = tf.ones([4, 8]);
    const d = new SeededDropout(1);
    expect(d.apply(x, 0.5, false)).to.equal(x);
  });

  it('gives a new mask per call and the same sequence for the same seed', () => {
    const x = tf.ones([8, 16]);
    const a = new SeededDropout(7);
    const b = new SeededDropout(7);
    const a1 = a.apply(x, 0.5, true);
    const a2 = a.apply(x, 0.5, true);
    const b1 = b.apply(x, 0.5, true);
    const b2 = b.apply(x, 0.5, true);
    expect(maxAbsDiff(a1, b1)).to.equal(0);
    expect(maxAbsDiff(a2, b2)).to.equal(0);
    expect(maxAbsDiff(a1, a2)).to.be.above(0);
    const kept = tf.tidy(() => tf.sum(tf.greater(a1, 0)).dataSync()[0]);
    expect(kept).to.be.within(32, 96);
    expect(a1.max().dataSync()[0]).to.be.closeTo(2, 1e-6); // inverted dropout scales by 1 / (1 - rate)
    expect(mixSeed(7, 0)).to.not.equal(mixSeed(7, 1));
  });
});
