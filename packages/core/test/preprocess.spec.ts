import { expect } from 'chai';
import { augmentWithNoise, makeWindows, mapLabel, PreprocessingSpec, resampleToGrid, Rng, magnitude, stats } from '../src';
import { fakeRecording } from '../src/testing/fakes';

const P: PreprocessingSpec = {
  sampleRate: 4,
  window: 5,
  hop: 5,
  normalize: 'none',
  maxMissing: 0.2,
  label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] },
  augment: { noise: 0, copies: 1 },
};

describe('resampling', () => {
  it('averages a faster signal over each bin', () => {
    const data = Float32Array.from({ length: 64 }, (_, i) => i);
    const out = resampleToGrid({ t0: 0, fs: 16, channels: 1, data }, 0, 4, 16);
    expect(Array.from(out.subarray(0, 3))).to.deep.equal([1.5, 5.5, 9.5]);
  });

  it('interpolates a slower signal linearly at bin centres and leaves uncovered bins NaN', () => {
    const out = resampleToGrid({ t0: 0, fs: 1, channels: 1, data: Float32Array.from([0, 10, 20]) }, -2, 2, 12);
    // centres at -1.75 .. 3.75: the first bins are before the signal
    expect(Number.isNaN(out[0])).to.equal(true);
    expect(out[4]).to.be.closeTo(2.5, 1e-6); // t = 0.25
    expect(out[5]).to.be.closeTo(7.5, 1e-6); // t = 0.75
    expect(Number.isNaN(out[11])).to.equal(true);
  });

  it('reduces multi-channel frames (acceleration magnitude)', () => {
    const data = Float32Array.from([3, 4, 0, 3, 4, 0]);
    const out = resampleToGrid({ t0: 0, fs: 2, channels: 3, data }, 0, 2, 2, magnitude);
    expect(Array.from(out)).to.deep.equal([5, 5]);
  });
});

describe('windows', () => {
  it('cuts labelled windows in [n, length, sensors] layout with the interval label', () => {
    const rec = fakeRecording('A', 50, (t) => (t >= 25 ? 1 : 0), 1);
    const { windows, report } = makeWindows([rec], ['hr', 'eda'], P);
    expect(windows.y.length).to.equal(10);
    expect(windows.length).to.equal(20);
    expect(Array.from(windows.y)).to.deep.equal([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // sensor order follows the spec: element [w=0, t=0, s=1] is eda
    expect(windows.x[1]).to.be.closeTo(rec.signals.eda.data[0], 1e-5);
    expect(windows.x[0]).to.be.closeTo(rec.signals.hr.data[0], 1e-5);
    expect(report.kept.A).to.equal(10);
  });

  it('drops windows straddling a label change and windows missing too much data', () => {
    const rec = fakeRecording('A', 50, () => 1, 1);
    const hop: PreprocessingSpec = { ...P, hop: 2.5 };
    const { report } = makeWindows([rec], ['hr'], hop);
    expect(report.dropped.straddling).to.be.greaterThan(0);
    rec.signals.hr.data.fill(NaN, 0, 10); // 2.5 s missing of the first 5-s window
    const { windows, report: r2 } = makeWindows([rec], ['hr'], P);
    expect(r2.dropped.missing).to.equal(1);
    expect(windows.y.length).to.equal(9);
  });

  it('per-subject normalisation uses only the signals, never labels', () => {
    const a = fakeRecording('A', 50, (t) => (t >= 25 ? 1 : 0), 1);
    const b = fakeRecording('A', 50, (t) => (t >= 25 ? 1 : 0), 1);
    b.labels.forEach((l) => (l.values.arousal = 5 - l.values.arousal + 1));
    const wa = makeWindows([a], ['hr'], { ...P, normalize: 'subject' }).windows;
    const wb = makeWindows([b], ['hr'], { ...P, normalize: 'subject' }).windows;
    expect(Array.from(wa.x)).to.deep.equal(Array.from(wb.x));
    const st = stats(wa.x);
    expect(st.mean).to.be.closeTo(0, 0.05);
  });

  it('maps labels by threshold or identity', () => {
    expect(mapLabel(2, P.label)).to.equal(0);
    expect(mapLabel(3, P.label)).to.equal(1);
    expect(mapLabel(NaN, P.label)).to.equal(undefined);
    const id = { ...P.label, mapping: 'identity' as const, classes: ['a', 'b', 'c'] };
    expect(mapLabel(2, id)).to.equal(2);
    expect(mapLabel(3, id)).to.equal(undefined);
  });

  it('noise augmentation duplicates windows, is seeded, and leaves originals intact', () => {
    const { windows } = makeWindows([fakeRecording('A', 50, () => 1)], ['hr'], P);
    const a = augmentWithNoise(windows, 0.01, 1, new Rng(1));
    const b = augmentWithNoise(windows, 0.01, 1, new Rng(1));
    expect(a.y.length).to.equal(2 * windows.y.length);
    expect(Array.from(a.x.subarray(0, windows.x.length))).to.deep.equal(Array.from(windows.x));
    expect(Array.from(a.x)).to.deep.equal(Array.from(b.x));
    const d = a.x[windows.x.length] - windows.x[0];
    expect(Math.abs(d)).to.be.greaterThan(0).and.lessThan(0.1);
  });
});
