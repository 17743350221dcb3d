import { expect } from 'chai';
import { Rng, selectWindows, WindowSet } from '@fusion/core';
import { computeMetrics, featureBaseline, featureNames, scrCount, windowFeatures } from '../src';

function windowsOf(series: number[][][], y: number[], sensors: string[], classes = ['low', 'high']): WindowSet {
  // series[i][s][t]
  const n = series.length;
  const L = series[0][0].length;
  const S = sensors.length;
  const x = new Float32Array(n * L * S);
  for (let i = 0; i < n; i++) for (let s = 0; s < S; s++) for (let t = 0; t < L; t++) x[(i * L + t) * S + s] = series[i][s][t];
  return { x, y: Int32Array.from(y), subjects: y.map((_, i) => `S${i % 5}`), ends: Float64Array.from(y.map((_, i) => i * 5)), length: L, sensors, classes };
}

/** n windows of hr/eda/bvp; with `learnable`, class 1 has higher hr and rising eda; labels random otherwise. */
function synthetic(n: number, seed: string, learnable: boolean, classes = 2): WindowSet {
  const rng = new Rng(seed);
  const L = 20;
  const series: number[][][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3 === 0 ? 1 % classes : rng.int(classes); // some imbalance
    y.push(c);
    const effect = learnable ? c : 0;
    const hr = Array.from({ length: L }, () => 0.6 * effect + rng.normal());
    const eda = Array.from({ length: L }, (_, t) => 0.05 * effect * t + 0.5 * rng.normal());
    const bvp = Array.from({ length: L }, () => rng.normal());
    series.push([hr, eda, bvp]);
  }
  return windowsOf(series, y, ['hr', 'eda', 'bvp'], Array.from({ length: classes }, (_, k) => `c${k}`));
}

describe('feature baseline', () => {
  it('names the features per sensor', () => {
    expect(featureNames(['hr', 'eda', 'bvp'])).to.deep.equal([
      'hr.mean', 'hr.sd', 'hr.slope', 'hr.min', 'hr.max',
      'eda.mean', 'eda.sd', 'eda.slope', 'eda.min', 'eda.max', 'eda.scr',
      'bvp.mean', 'bvp.sd', 'bvp.slope', 'bvp.min', 'bvp.max', 'bvp.mad1',
    ]);
  });

  it('computes the statistics of a tiny window by hand', () => {
    // hr: 1 2 3 6 -> mean 3, population sd sqrt((4+1+0+9)/4)=sqrt(3.5), slope: t-tm = -1.5,-.5,.5,1.5 -> (-1.5-1+1.5+9)/5 = 1.6
    // eda: 0 2 0 2 0 -> not used (length 4): 0 2 0 2 -> mean 1, sd 1; peaks at i=1 (rise 2 >= 1); i=3 is the last sample
    // bvp: 0 1 -1 1 -> mad1 (1+2+2)/3
    const w = windowsOf([[[1, 2, 3, 6], [0, 2, 0, 2], [0, 1, -1, 1]]], [0], ['hr', 'eda', 'bvp']);
    const { names, x } = windowFeatures(w);
    const get = (name: string): number => x[names.indexOf(name)];
    expect(get('hr.mean')).to.be.closeTo(3, 1e-9);
    expect(get('hr.sd')).to.be.closeTo(Math.sqrt(3.5), 1e-6);
    expect(get('hr.slope')).to.be.closeTo(1.6, 1e-6);
    expect(get('hr.min')).to.equal(1);
    expect(get('hr.max')).to.equal(6);
    expect(get('eda.mean')).to.be.closeTo(1, 1e-9);
    expect(get('eda.sd')).to.be.closeTo(1, 1e-9);
    expect(get('eda.slope')).to.be.closeTo(0.4, 1e-6); // (-1.5*0 + -.5*2 + .5*0 + 1.5*2)/5
    expect(get('eda.scr')).to.equal(1);
    expect(get('bvp.mad1')).to.be.closeTo(5 / 3, 1e-6);
    expect(get('bvp.sd')).to.be.closeTo(Math.sqrt(2.75 / 4), 1e-6); // mean .25: deviations -.25 .75 -1.25 .75
  });

  it('counts SCR-like peaks with a rise relative to the window sd', () => {
    // two clear responses on a flat baseline, plus a tiny ripple that must not count
    const v = [0, 0, 3, 2, 1, 0.5, 0.6, 0.5, 0, 4, 3, 2, 1, 0];
    expect(scrCount(v)).to.equal(2);
    expect(scrCount(new Array(10).fill(1))).to.equal(0);
    expect(scrCount([0, 1, 2, 3, 4, 5])).to.equal(0); // a ramp has no peak
  });

  it('learns a learnable synthetic set (balanced accuracy well above 0.5 on held-out windows)', () => {
    const train = synthetic(600, 'train', true);
    const test = synthetic(300, 'test', true);
    const { pred, probs } = featureBaseline(train, test, 2, 1);
    const m = computeMetrics(test.y, pred, 2, probs);
    expect(m.balancedAccuracy).to.be.greaterThan(0.8);
    expect(m.auroc!).to.be.greaterThan(0.85);
    for (let i = 0; i < test.y.length; i++) expect(probs[2 * i] + probs[2 * i + 1]).to.be.closeTo(1, 1e-5);
  });

  it('handles three classes (one-vs-rest) with probabilities that sum to 1', () => {
    const train = synthetic(600, 'train3', true, 3);
    const test = synthetic(300, 'test3', true, 3);
    const { pred, probs } = featureBaseline(train, test, 3, 1);
    const m = computeMetrics(test.y, pred, 3, probs);
    expect(m.balancedAccuracy).to.be.greaterThan(0.55); // chance is 1/3
    for (let i = 0; i < test.y.length; i++) expect(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2]).to.be.closeTo(1, 1e-5);
  });

  it('stays near chance on random labels', () => {
    const train = synthetic(600, 'train-r', false);
    const test = synthetic(600, 'test-r', false);
    const { pred, probs } = featureBaseline(train, test, 2, 1);
    const m = computeMetrics(test.y, pred, 2, probs);
    expect(m.balancedAccuracy).to.be.within(0.4, 0.6);
  });

  it('balances an imbalanced training set instead of predicting the majority class', () => {
    const train = synthetic(600, 'train-r2', false);
    // keep a fifth of class 0: about 7:1 imbalance, no signal -> must not collapse onto class 1 everywhere
    const idx = Array.from(train.y.keys()).filter((i) => train.y[i] === 1 || i % 5 === 0);
    const { pred } = featureBaseline(selectWindows(train, idx), synthetic(300, 'test-r2', false), 2, 1);
    const share1 = Array.from(pred).filter((p) => p === 1).length / pred.length;
    expect(share1).to.be.within(0.2, 0.8);
  });

  it('is deterministic for a seed', () => {
    const train = synthetic(300, 'train-d', true);
    const test = synthetic(100, 'test-d', true);
    const a = featureBaseline(train, test, 2, 7);
    const b = featureBaseline(train, test, 2, 7);
    expect(Array.from(a.probs)).to.deep.equal(Array.from(b.probs));
    expect(Array.from(a.pred)).to.deep.equal(Array.from(b.pred));
  });

  it('uses no test-set statistics: a window predicted alone gets the same prediction as in a batch', () => {
    const train = synthetic(300, 'train-t', true);
    const test = synthetic(50, 'test-t', true);
    const all = featureBaseline(train, test, 2, 3);
    for (const i of [0, 7, 49]) {
      const alone = featureBaseline(train, selectWindows(test, [i]), 2, 3);
      expect(alone.pred[0]).to.equal(all.pred[i]);
      expect(alone.probs[1]).to.be.closeTo(all.probs[2 * i + 1], 1e-7);
    }
    // a very different test set does not change a shared window's prediction either
    const other = synthetic(80, 'test-other', false);
    const mixed = featureBaseline(train, selectWindows({ ...test }, [7]), 2, 3);
    const withOthers = featureBaseline(train, concat(selectWindows(test, [7]), other), 2, 3);
    expect(withOthers.probs[1]).to.be.closeTo(mixed.probs[1], 1e-7);
  });

  it('copes with a class missing from the training windows', () => {
    const train = synthetic(200, 'train-m', true, 3);
    const idx = Array.from(train.y.keys()).filter((i) => train.y[i] !== 2);
    const { probs, pred } = featureBaseline(selectWindows(train, idx), synthetic(30, 'test-m', true, 3), 3, 1);
    for (let i = 0; i < 30; i++) {
      expect(probs[3 * i + 2]).to.equal(0);
      expect(pred[i]).to.not.equal(2);
    }
    const one = featureBaseline(selectWindows(train, idx.filter((i) => train.y[i] === 0)), synthetic(5, 'x', true), 3, 1);
    expect(Array.from(one.pred)).to.deep.equal([0, 0, 0, 0, 0]);
  });

  it('handles 2,000 windows x 27 features: one finite probability row per window, summing to 1 (correctness only; tests are never timed)', () => {
    const rng = new Rng('speed');
    const sensors = ['hr', 'eda', 'bvp', 'temp', 'acc'];
    const n = 2000;
    const L = 20;
    const x = new Float32Array(n * L * sensors.length).map(() => rng.normal());
    const y = Int32Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const w: WindowSet = { x, y, subjects: new Array(n).fill('S'), ends: new Float64Array(n), length: L, sensors, classes: ['a', 'b'] };
    expect(featureNames(sensors).length).to.equal(27);
    const { pred, probs } = featureBaseline(w, w, 2, 1);
    expect(pred.length).to.equal(n);
    expect(probs.length).to.equal(2 * n);
    for (let i = 0; i < n; i++) {
      expect(Number.isFinite(probs[2 * i]) && Number.isFinite(probs[2 * i + 1]), `window ${i}`).to.equal(true);
      expect(probs[2 * i] + probs[2 * i + 1], `window ${i}`).to.be.closeTo(1, 1e-5);
      expect(pred[i], `window ${i}`).to.equal(probs[2 * i + 1] > probs[2 * i] ? 1 : 0);
    }
  });
});

function concat(a: WindowSet, b: WindowSet): WindowSet {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  return {
    ...a,
    x,
    y: Int32Array.from([...a.y, ...b.y]),
    subjects: [...a.subjects, ...b.subjects],
    ends: Float64Array.from([...a.ends, ...b.ends]),
  };
}
