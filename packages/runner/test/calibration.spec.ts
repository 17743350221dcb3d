import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createContainer, getRegistries, SpecValidator } from '@fusion/core';
import { chooseThreshold, parsePredictionsCsv, runExperiment, RunMetrics } from '../src';
import { fakeModule, fakeSpec } from '@fusion/core/testing';

// The fake dataset: 4 subjects, 200 s each, 5-s windows, the label alternating every 25 s.
async function run(over: Record<string, unknown>, outDir: string): Promise<RunMetrics> {
  const reg = getRegistries(createContainer(fakeModule));
  const spec = new SpecValidator(reg).check(fakeSpec({ training: { epochs: 2, batchSize: 16, learningRate: 0.02 }, ...over }));
  return (await runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir, backend: 'cpu' })).metrics;
}

describe('evaluation.calibration (personalisation, reported apart)', function () {
  this.timeout(120000);
  let tmp: string;
  let plain: RunMetrics;
  let calibrated: RunMetrics;
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-calib-'));
    plain = await run({}, path.join(tmp, 'plain'));
    calibrated = await run({ evaluation: { type: 'loso', calibration: { minutes: [0, 0.2, 1] } } }, path.join(tmp, 'calib'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('leaves the subject-independent figures exactly as without calibration', () => {
    expect(calibrated.summary.model).to.deep.equal(plain.summary.model);
    expect(calibrated.summary.baselines).to.deep.equal(plain.summary.baselines);
    expect(calibrated.folds.map((f) => f.model)).to.deep.equal(plain.folds.map((f) => f.model));
    expect(calibrated.perSubject).to.deep.equal(plain.perSubject);
    expect(plain.summary.personalised).to.equal(undefined);
  });

  it('removes each subject\'s first N minutes (by window end time) from its personalised test windows', () => {
    const rows = parsePredictionsCsv(fs.readFileSync(path.join(tmp, 'calib', 'predictions.csv'), 'utf8'), calibrated.dataset.classes);
    const all = calibrated.summary.personalised!;
    expect(all.map((e) => e.minutes)).to.deep.equal([0, 0.2, 1]);
    for (const entry of all) {
      const N = entry.minutes;
      let removed = 0;
      for (const [subject, s] of Object.entries(entry.perSubject)) {
        const ends = rows.filter((r) => r.subject === subject).map((r) => r.windowEnd);
        const t0 = Math.min(...ends) - 5;
        const inCalibration = ends.filter((e) => e <= t0 + 60 * N).length;
        expect(s.calibrationWindows, `${subject} at N=${N}`).to.equal(inCalibration);
        expect(s.testWindows, `${subject} at N=${N}`).to.equal(ends.length - inCalibration);
        expect(s.model.n).to.equal(s.testWindows);
        expect(s.subjectIndependent.n).to.equal(s.testWindows);
        if (N > 0) expect(s.testFirstEnd!, `${subject}: first scored window ends after the calibration minutes`).to.be.greaterThan(t0 + 60 * N);
        if (s.calibrationLastEnd !== null) expect(s.calibrationLastEnd).to.be.at.most(t0 + 60 * N);
        removed += inCalibration;
      }
      expect(entry.calibrationWindows).to.equal(removed);
      expect(entry.testWindows).to.equal(rows.length - removed);
      expect(entry.model.pooled.n).to.equal(rows.length - removed);
    }
    expect(all[2].calibrationWindows).to.equal(4 * 12);
  });

  it('N = 0 is the subject-independent model on all windows; too few windows of a class leave a subject unadapted, said why', () => {
    const [p0, p02, p1] = calibrated.summary.personalised!;
    expect(p0.model.pooled).to.deep.equal(calibrated.summary.model.pooled);
    expect(p0.subjectIndependent.pooled).to.deep.equal(calibrated.summary.model.pooled);
    expect(p0.adaptedSubjects).to.equal(0);
    // 12 s: two windows of the first 25-s label block, one class only.
    for (const s of Object.values(p02.perSubject)) {
      expect(s.threshold).to.equal(null);
      expect(s.notAdapted).to.match(/at least 2 of each needed/);
      expect(s.model).to.deep.equal(s.subjectIndependent);
    }
    // One minute holds both classes: every subject gets its own threshold.
    expect(p1.adaptedSubjects).to.equal(4);
    for (const s of Object.values(p1.perSubject)) expect(s.threshold).to.be.a('number');
  });

  it('gives the same personalised figures for the same seed', async () => {
    const again = await run({ evaluation: { type: 'loso', calibration: { minutes: [0, 0.2, 1] } } }, path.join(tmp, 'again'));
    expect(again.summary.personalised).to.deep.equal(calibrated.summary.personalised);
  });

  it('chooses the threshold that best separates the calibration windows (balanced accuracy), nearest 0.5 on ties', () => {
    expect(chooseThreshold([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])).to.be.closeTo(0.25, 1e-12);
    expect(chooseThreshold([0.6, 0.7, 0.8, 0.9], [0, 0, 1, 1])).to.be.closeTo(0.75, 1e-12);
    expect(chooseThreshold([0.2, 0.8], [0, 1])).to.equal(0.5);
    // 0.125 and 0.8 both reach balanced accuracy 0.75; 0.8 is nearer 0.5.
    expect(chooseThreshold([0.05, 0.2, 0.7, 0.9], [0, 1, 0, 1])).to.be.closeTo(0.8, 1e-12);
  });
});
