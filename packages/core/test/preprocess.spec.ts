import { expect } from 'chai';
import { augmentWithNoise, DatasetError, makeWindows, mapLabel, PreprocessingSpec, recordingGrid, reducerFor, resampleToGrid, Rng, magnitude, stats } from '../src';
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

describe('resampling: edge cases', () => {
  it('a bin is kept only when at least half of its samples are present', () => {
    const data = Float32Array.from([1, NaN, 3, NaN, 5, NaN, NaN, NaN, 7, 8, 9, 10]);
    const out = resampleToGrid({ t0: 0, fs: 16, channels: 1, data }, 0, 4, 3);
    expect(out[0]).to.equal(2); // 2 of 4
    expect(Number.isNaN(out[1])).to.equal(true); // 1 of 4
    expect(out[2]).to.equal(8.5);
  });

  it('a source starting inside the grid: earlier bins NaN, samples counted from the start; an empty source gives NaN', () => {
    const out = resampleToGrid({ t0: 0.5, fs: 4, channels: 1, data: Float32Array.from([1, 2, 3, 4]) }, 0, 4, 6);
    expect(Array.from(out).map((v) => (Number.isNaN(v) ? null : v))).to.deep.equal([null, null, 1, 2, 3, 4]);
    expect(Number.isNaN(resampleToGrid({ t0: 0, fs: 4, channels: 1, data: new Float32Array(0) }, 0, 4, 1)[0])).to.equal(true);
  });

  it('a slower source: the last value is held up to half a sample period past it, the first from half a period before', () => {
    const out = resampleToGrid({ t0: 0, fs: 1, channels: 1, data: Float32Array.from([0, 10, 20]) }, -1, 2, 8);
    // centres -0.75, -0.25, 0.25, ..., 2.25, 2.75
    const v = Array.from(out).map((x) => (Number.isNaN(x) ? null : x));
    expect(v).to.deep.equal([null, 0, 2.5, 7.5, 12.5, 17.5, 20, null]);
  });

  it('multi-channel signals: the default reducer takes channel 0; reducerFor picks the magnitude for more than one channel', () => {
    const sig = { t0: 0, fs: 2, channels: 3, data: Float32Array.from([3, 4, 0, 6, 8, 0]) };
    expect(Array.from(resampleToGrid(sig, 0, 2, 2))).to.deep.equal([3, 6]);
    expect(reducerFor(sig)).to.equal(magnitude);
    expect(reducerFor({ ...sig, channels: 1 })).to.equal(undefined);
    expect(magnitude(Float32Array.from([9, 1, 2, 2]), 1, 3)).to.equal(3);
  });
});

describe('windows: edge cases', () => {
  it('recordingGrid: over the recording\'s span when given, else where every sensor has data; a missing sensor is a DatasetError', () => {
    const rec = fakeRecording('A', 20, () => 0);
    rec.signals.eda.t0 = 2;
    const g = recordingGrid(rec, ['hr', 'eda'], P);
    expect(g.start).to.equal(2);
    expect(g.values[0]).to.have.length(72); // 2 .. 20 s at 4 Hz
    const spanned = recordingGrid({ ...rec, span: { start: 5, end: 10 } }, ['hr'], P);
    expect(spanned.start).to.equal(5);
    expect(spanned.values[0]).to.have.length(20);
    expect(spanned.values[0][0]).to.be.closeTo(rec.signals.hr.data[20], 1e-5);
    const apart = fakeRecording('B', 10, () => 0);
    apart.signals.eda.t0 = 100;
    expect(recordingGrid(apart, ['hr', 'eda'], P).values[0]).to.have.length(0);
    expect(() => recordingGrid(rec, ['hr', 'temp'], P)).to.throw(DatasetError, /subject A has no "temp" signal; it has hr, eda/);
  });

  it('recordingGrid z-scores each sensor with "subject" only', () => {
    const rec = fakeRecording('A', 20, () => 0);
    expect(stats(recordingGrid(rec, ['hr'], { ...P, normalize: 'subject' }).values[0]).mean).to.be.closeTo(0, 1e-5);
    expect(stats(recordingGrid(rec, ['hr'], { ...P, normalize: 'train' }).values[0]).mean).to.be.closeTo(70, 1);
  });

  it('a window may miss up to maxMissing of its samples (filled with 0); one more drops it', () => {
    const rec = fakeRecording('A', 10, () => 0);
    rec.signals.hr.data.fill(NaN, 0, 4); // 4 of 20 samples = 0.2
    rec.signals.hr.data.fill(NaN, 20, 25); // 5 of 20
    const { windows, report } = makeWindows([rec], ['hr', 'eda'], P);
    expect(windows.y.length).to.equal(1);
    expect(report.dropped.missing).to.equal(1);
    expect(Array.from(windows.x.subarray(0, 8))).to.deep.equal([0, rec.signals.eda.data[0], 0, rec.signals.eda.data[1], 0, rec.signals.eda.data[2], 0, rec.signals.eda.data[3]].map(Math.fround));
    expect(Array.from(windows.ends)).to.deep.equal([5]);
    expect(windows.subjects).to.deep.equal(['A']);
    expect(windows.sensors).to.deep.equal(['hr', 'eda']);
    expect(windows.classes).to.deep.equal(['low', 'high']);
  });

  it('windows outside every label are counted as unlabelled (kept with label -1 when asked); a subject without windows is warned about', () => {
    const rec = fakeRecording('A', 20, () => 0);
    rec.labels = [{ start: 0, end: 10, values: { arousal: 4 } }];
    const { windows, report } = makeWindows([rec], ['hr'], P);
    expect(Array.from(windows.y)).to.deep.equal([1, 1]);
    expect(report.dropped).to.deep.equal({ missing: 0, unlabelled: 2, straddling: 0 });
    expect(report.kept).to.deep.equal({ A: 2 });
    const all = makeWindows([rec], ['hr'], P, { keepUnlabelled: true }).windows;
    expect(Array.from(all.y)).to.deep.equal([1, 1, -1, -1]);
    expect(Array.from(all.ends)).to.deep.equal([5, 10, 15, 20]);
    const none = { ...rec, subject: 'B', labels: [] };
    const r = makeWindows([none], ['hr'], P).report;
    expect(r.kept).to.deep.equal({ B: 0 });
    expect(r.warnings).to.deep.equal(['subject B: no usable labelled windows (skipped).']);
  });

  it('a label value the mapping cannot place drops the window as unlabelled, unless unlabelled windows are kept', () => {
    const rec = fakeRecording('A', 10, () => 0);
    rec.labels = [{ start: 0, end: 10, values: { valence: 4 } }];
    expect(makeWindows([rec], ['hr'], P).report.dropped.unlabelled).to.equal(2);
    expect(Array.from(makeWindows([rec], ['hr'], P, { keepUnlabelled: true }).windows.y)).to.deep.equal([-1, -1]);
  });

  it('the hop is rounded to whole samples; the label intervals may be listed in any order', () => {
    const rec = fakeRecording('A', 20, (t) => (t >= 10 ? 1 : 0));
    rec.labels.reverse();
    const { windows } = makeWindows([rec], ['hr'], { ...P, hop: 10 });
    expect(Array.from(windows.ends)).to.deep.equal([5, 15]);
    expect(Array.from(windows.y)).to.deep.equal([0, 1]);
  });
});

describe('labels: edge cases', () => {
  it('identity: whole numbers within the classes only; threshold: at or above is class 1', () => {
    const id = { ...P.label, mapping: 'identity' as const, classes: ['a', 'b', 'c'] };
    expect(mapLabel(0, id)).to.equal(0);
    expect(mapLabel(-1, id)).to.equal(undefined);
    expect(mapLabel(1.5, id)).to.equal(undefined);
    expect(mapLabel(Infinity, id)).to.equal(undefined);
    expect(mapLabel(undefined, id)).to.equal(undefined);
    expect(mapLabel(2.999, P.label)).to.equal(0);
    expect(mapLabel(-Infinity, P.label)).to.equal(undefined);
  });
});
