import { expect } from 'chai';
import { normalizeFold, stats, WindowSet, zscore } from '../src';

/** A window set of 2 sensors from its frames ([hr, eda] per time step), `length` frames per window. */
function windowsOf(frames: [number, number][], length = 2): WindowSet {
  const n = frames.length / length;
  return {
    x: Float32Array.from(frames.flat()),
    y: new Int32Array(n),
    subjects: Array.from({ length: n }, (_, i) => `s${i}`),
    ends: Float64Array.from({ length: n }, (_, i) => i),
    length,
    sensors: ['hr', 'eda'],
    classes: ['low', 'high'],
  };
}

describe('normalisation', () => {
  it('stats: mean and population sd of the finite values; NaN left out', () => {
    const st = stats([1, 3, NaN, 5, Infinity]);
    expect(st.n).to.equal(3);
    expect(st.mean).to.be.closeTo(3, 1e-12);
    expect(st.sd).to.be.closeTo(Math.sqrt(8 / 3), 1e-12);
  });

  it('stats: a constant or empty series gets sd 1 (no division by zero)', () => {
    expect(stats([4, 4, 4])).to.deep.equal({ mean: 4, sd: 1, n: 3 });
    expect(stats([NaN])).to.deep.equal({ mean: 0, sd: 1, n: 0 });
    // a tiny spread relative to a large mean counts as constant
    expect(stats([1000, 1000 + 1e-7]).sd).to.equal(1);
    expect(stats([0.5, 0.5 + 4e-6]).sd).to.be.closeTo(2e-6, 1e-9);
  });

  it('zscore: (x - mean) / sd in place', () => {
    const v = Float32Array.from([1, 3, 5]);
    expect(zscore(v, { mean: 3, sd: 2 })).to.equal(v);
    expect(Array.from(v)).to.deep.equal([-1, 0, 1]);
  });

  it('"train": statistics of the training windows only, per sensor, applied to every set of the fold', () => {
    // training: hr 1, 5, 1, 5 (mean 3, sd 2); eda constant 10 (sd floored to 1)
    const train = windowsOf([[1, 10], [5, 10], [1, 10], [5, 10]]);
    const test = windowsOf([[5, 12], [2, 10]]);
    const before = Array.from(test.x);
    const { stats: st, sets } = normalizeFold('train', { train, test });
    expect(st).to.deep.equal([{ mean: 3, sd: 2 }, { mean: 10, sd: 1 }]);
    expect(Array.from(sets.train.x)).to.deep.equal([-1, 0, 1, 0, -1, 0, 1, 0]);
    // the test set is z-scored with the training statistics, not its own
    expect(Array.from(sets.test.x)).to.deep.equal([1, 2, -0.5, 0]);
    expect(sets.test.subjects).to.deep.equal(test.subjects);
    expect(Array.from(test.x), 'the input set is left as it was').to.deep.equal(before);
  });

  it('"train": a training sd below 1e-6 is floored to 1', () => {
    const train = windowsOf([[0, 0], [1e-7, 0]]);
    const { stats: st } = normalizeFold('train', { train });
    expect(st?.[0].sd).to.equal(1);
    expect(st?.[0].mean).to.be.closeTo(5e-8, 1e-12);
  });

  it('"subject" and "none" leave the fold\'s sets as they are, without statistics', () => {
    const train = windowsOf([[1, 10], [3, 10]]);
    for (const mode of ['subject', 'none'] as const) {
      const r = normalizeFold(mode, { train });
      expect(r.stats).to.equal(undefined);
      expect(r.sets.train).to.equal(train);
    }
  });
});
