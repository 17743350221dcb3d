import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src';

/** Data-movement ops with odd shapes, short and long rows, every axis; each returns plain arrays. */
const cases: { name: string; run: () => tf.Tensor | tf.Tensor[] }[] = [];
const seq = (shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i - 7 : Math.sin(i) * 1e3 + i / 7)), shape, dtype);
};
for (const [shape, begin, size] of [
  [[7, 5], [2, 1], [3, 4]],
  [[7, 130], [1, 3], [4, 120]],
  [[4, 6, 5], [1, 2, 0], [2, 3, 5]],
  [[4, 6, 5], [0, 0, 1], [4, 6, 3]],
  [[4, 6, 5], [1, 0, 0], [2, 6, 5]],
  [[3, 4, 5, 6], [1, 1, 2, 0], [2, 2, 2, 6]],
  [[3, 4, 5, 6], [0, 1, 0, 1], [-1, 3, -1, 4]],
  [[2, 3, 4, 5, 6], [1, 0, 1, 2, 3], [1, 3, 2, 3, 3]],
  [[5, 200], [0, 0], [5, 100]],
] as number[][][]) {
  cases.push({ name: `slice ${shape} at ${begin} size ${size}`, run: () => tf.slice(seq(shape), begin, size) });
}
cases.push({ name: 'slice int32', run: () => tf.slice(seq([6, 4, 3], 'int32'), [1, 1, 0], [4, 2, 3]) });
cases.push({ name: 'slice bool', run: () => tf.slice(tf.greater(seq([6, 4, 3]), 0), [1, 1, 1], [4, 2, 2]) });
for (const axis of [0, 1, 2, -1]) {
  cases.push({ name: `split axis ${axis}`, run: () => tf.split(seq([6, 8, 10]), axis === 0 ? [1, 2, 3] : 2, axis) });
  cases.push({ name: `unstack axis ${axis}`, run: () => tf.unstack(seq([3, 4, 5]), axis) });
  cases.push({ name: `concat axis ${axis}`, run: () => tf.concat([seq([3, 4, 5]), tf.mul(seq([3, 4, 5]), -1), tf.add(seq([3, 4, 5]), 1)], axis) });
  cases.push({ name: `stack axis ${axis}`, run: () => tf.stack([seq([3, 4, 5]), tf.mul(seq([3, 4, 5]), 2)], axis) });
}
cases.push({ name: 'concat of uneven widths, long rows', run: () => tf.concat([seq([4, 100]), seq([4, 3]), seq([4, 0]), seq([4, 150])], 1) });
cases.push({ name: 'concat int32', run: () => tf.concat([seq([3, 2], 'int32'), seq([3, 5], 'int32')], 1) });
cases.push({ name: 'stack of one', run: () => tf.stack([seq([3, 2])], 1) });
cases.push({ name: 'split of long rows', run: () => tf.split(seq([3, 400]), [100, 300], 1) });
cases.push({ name: 'gradient of slice and concat', run: () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.concat([tf.slice(x, [0, 1, 0], [2, 2, 5]), x], 1), seq([2, 6, 5]))))(seq([2, 4, 5])) });

function values(): { shape: number[]; dtype: string; data: number[] }[][] {
  return cases.map((c) =>
    tf.tidy(() => {
      const out = c.run();
      return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync() as ArrayLike<number>) }));
    })
  );
}

describe('wasm kernels (Identity, Sum, Mean, Max, Slice, SplitV, Unpack, Concat, Pack)', function () {
  this.timeout(60000);
  after(async () => {
    await selectBackend('cpu');
  });

  it('give the cpu backend values bit for bit, for every shape, axis and dtype', async () => {
    await selectBackend('cpu');
    const want = values();
    await selectBackend('wasm');
    const before = tf.memory().numTensors;
    const got = values();
    expect(tf.memory().numTensors).to.equal(before);
    cases.forEach((c, i) => expect(got[i], c.name).to.deep.equal(want[i]));
  });

  it('read their inputs in place and copy each byte once (no copy of the whole input per output)', async () => {
    await selectBackend('wasm');
    const x = seq([64, 8, 25]);
    const proto = Object.getPrototypeOf(Uint8Array.prototype) as {
      set: (...a: unknown[]) => void;
      slice: (...a: unknown[]) => unknown;
      copyWithin: (target: number, start: number, end: number) => unknown;
    };
    const { set, slice, copyWithin } = proto;
    let calls = 0;
    let moved = 0;
    proto.set = function (this: unknown, ...a: unknown[]) {
      calls++;
      return set.apply(this, a);
    };
    proto.slice = function (this: unknown, ...a: unknown[]) {
      calls++;
      return slice.apply(this, a);
    };
    proto.copyWithin = function (this: unknown, target: number, start: number, end: number) {
      moved += end - start;
      return copyWithin.call(this, target, start, end);
    };
    let parts: tf.Tensor[];
    try {
      // An unpack into 8 pieces of 64 rows of 25 values (the stock kernel: 8 copies of the whole input, then 512
      // row copies with set).
      parts = tf.unstack(x, 1);
    } finally {
      proto.set = set;
      proto.slice = slice;
      proto.copyWithin = copyWithin;
    }
    expect(calls).to.equal(0);
    expect(moved).to.equal(x.size * 4);
    expect(Array.from(parts[3].dataSync().slice(0, 3))).to.deep.equal(Array.from(x.dataSync().slice(75, 78)));
    tf.dispose([x, ...parts]);
  });

  it('share a clone\'s memory with its source (Identity), which outlives the source and a variable\'s assign', async () => {
    await selectBackend('wasm');
    const x = seq([3, 4]);
    const want = Array.from(x.dataSync());
    const y = tf.clone(x);
    expect(y.dataId).to.equal(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).to.deep.equal(want);
    const v = tf.variable(y);
    const kept = tf.clone(v);
    const other = tf.zeros([3, 4]);
    v.assign(other);
    expect(Array.from(kept.dataSync())).to.deep.equal(want);
    expect(Array.from(v.dataSync())).to.deep.equal(new Array(12).fill(0));
    tf.dispose([y, v, kept, other]);
  });

  it('sum, average and take the max over axes before the innermost one as the stock kernels do, without their transposed copy', async () => {
    await selectBackend('wasm');
    // Host reference: each output adds its terms in row-major order, rounding to float32 after every addition.
    const reference = (x: tf.Tensor, axes: number[]): number[] => {
      const v = x.dataSync();
      const shape = x.shape;
      const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const outSize = kept.reduce((a, i) => a * shape[i], 1);
      const out = new Array<number>(outSize).fill(0);
      for (let flat = 0; flat < v.length; flat++) {
        let o = 0;
        for (const i of kept) o = o * shape[i] + (Math.floor(flat / strides[i]) % shape[i]);
        out[o] = Math.fround(out[o] + v[flat]);
      }
      return out;
    };
    const big = tf.randomNormal([3, 700, 5, 7], 0, 1e3, 'float32', 5);
    for (const [axis, keepDims] of [[0, false], [1, false], [[1, 2], true], [[0, 1, 2], false], [2, true], [-2, false]] as [number | number[], boolean][]) {
      const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + 4 : a));
      const got = tf.sum(big, axis, keepDims);
      expect(Array.from(got.dataSync()), `axis ${axis}`).to.deep.equal(reference(big, axes));
      expect(got.shape).to.deep.equal(keepDims ? big.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : big.shape.filter((_, i) => !axes.includes(i)));
      got.dispose();
    }
    // Whole vectors of four only, and one output per row.
    for (const [shape, axis] of [[[13, 8], 0], [[13, 2, 1], 1], [[2, 3, 12], 1]] as [number[], number][]) {
      const t = tf.randomNormal(shape, 0, 1e3, 'float32', 6);
      const got = tf.sum(t, axis);
      expect(Array.from(got.dataSync()), `${shape} axis ${axis}`).to.deep.equal(reference(t, [axis]));
      tf.dispose([t, got]);
    }
    // Mean: the same sum divided by the count in float32.
    for (const axis of [1, [1, 2], 0]) {
      const axes = Array.isArray(axis) ? axis : [axis];
      const n = axes.reduce((p, a) => p * big.shape[a], 1);
      const got = tf.mean(big, axis);
      expect(Array.from(got.dataSync()), `mean axis ${axis}`).to.deep.equal(reference(big, axes).map((v) => Math.fround(v / n)));
      got.dispose();
    }
    // Max: the first value, replaced by a greater one or by NaN (the stock kernel's semantics, also over the
    // innermost axis, where it stays in use): NaN anywhere gives NaN, of -0 and 0 the first stays.
    const maxRef = (v: number[][]): number[] =>
      v[0].map((_, j) => v.slice(1).reduce((m, row) => (row[j] > m || row[j] !== row[j] ? row[j] : m), v[0][j]));
    const edge = [[NaN, 1, -0, 0, 5], [1, NaN, 0, -0, -Infinity], [2, 3, -0, -0, -Infinity], [0, 2, 0, 0, -Infinity]];
    const edgeT = tf.tensor2d(edge);
    const colMax = tf.max(edgeT, 0);
    const rowMax = tf.max(tf.transpose(edgeT), 1);
    const show = (a: ArrayLike<number>): string[] => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)));
    expect(show(colMax.dataSync())).to.deep.equal(show(maxRef(edge)));
    expect(show(rowMax.dataSync())).to.deep.equal(show(maxRef(edge)));
    const maxBig = tf.max(big, 1, true);
    const bv = big.dataSync();
    const maxWant = maxRef(Array.from({ length: 700 }, (_, r) => Array.from({ length: 3 * 35 }, (_, k) => bv[Math.floor(k / 35) * 700 * 35 + r * 35 + (k % 35)])));
    expect(maxBig.shape).to.deep.equal([3, 1, 5, 7]);
    expect(Array.from(maxBig.dataSync())).to.deep.equal(maxWant);
    tf.dispose([edgeT, colMax, rowMax, maxBig]);
    // Without a transposed copy of the input: one allocation, the output's.
    const backend = tf.backend() as unknown as { makeOutput: (...a: unknown[]) => unknown };
    const makeOutput = backend.makeOutput;
    let allocations = 0;
    backend.makeOutput = function (this: unknown, ...a: unknown[]) {
      allocations++;
      return makeOutput.apply(this, a);
    };
    try {
      tf.sum(big, 1).dispose();
      tf.mean(big, 1).dispose();
      tf.max(big, 1).dispose();
    } finally {
      backend.makeOutput = makeOutput;
    }
    expect(allocations).to.equal(3);
    // The stock kernel's cases: the innermost axis, axes that are not one block, int32.
    for (const axis of [3, [0, 2], [2, 3]]) {
      const got = tf.sum(big, axis);
      expect(Array.from(got.dataSync()), `axis ${axis}`).to.deep.equal(reference(big, Array.isArray(axis) ? axis : [axis]));
      got.dispose();
    }
    const ints = tf.sum(seq([4, 3], 'int32'), 0);
    expect(Array.from(ints.dataSync())).to.deep.equal([-10, -6, -2]);
    tf.dispose([big, ints]);
  });

  it('take the gradient of Mean with the ones from the Fill kernel, with tfjs\'s values', async () => {
    await selectBackend('wasm');
    const x = seq([2, 5, 3]);
    const w = tf.tensor([[1.5, -2, 3.25], [7, 0.1, -0.3]]);
    let g: tf.Tensor | undefined;
    const prof = await tf.profile(() => {
      g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mean(v, 1), w)))(x);
      return g;
    });
    expect(prof.kernels.map((k) => k.name)).to.include('Fill');
    const wv = w.dataSync();
    const want = Array.from({ length: 30 }, (_, i) => Math.fround(wv[Math.floor(i / 15) * 3 + (i % 3)] / 5));
    expect(Array.from(g!.dataSync())).to.deep.equal(want);
    tf.dispose([x, w, g!]);
  });

  it('leave string tensors to the stock kernels', async () => {
    await selectBackend('wasm');
    const s = tf.tensor([['a', 'b', 'c'], ['d', 'e', 'f']]);
    const parts = [tf.slice(s, [0, 1], [2, 2]), tf.concat([s, s], 1), ...tf.unstack(s, 1)];
    expect(parts.map((p) => p.arraySync())).to.deep.equal([[['b', 'c'], ['e', 'f']], [['a', 'b', 'c', 'a', 'b', 'c'], ['d', 'e', 'f', 'd', 'e', 'f']], ['a', 'd'], ['b', 'e'], ['c', 'f']]);
    tf.dispose([s, ...parts]);
  });
});
