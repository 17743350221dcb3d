import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bestThreshold, createContainer, getRegistries, personalise, runExperiment, SpecValidationError, SpecValidator } from '../src';
import { fakeModule, fakeSpec } from './fakes';

describe('personalisation (evaluation.calibration: per-subject threshold, reported apart)', function () {
  this.timeout(60000);

  it('bestThreshold: the best balanced accuracy on the calibration windows, 0.5 with one class or on ties', () => {
    expect(bestThreshold([0.7, 0.8, 0.9, 0.95], [false, false, true, true])).to.be.closeTo(0.85, 1e-12);
    expect(bestThreshold([0.1, 0.9], [false, false])).to.equal(0.5);
    expect(bestThreshold([0.2, 0.8], [false, true])).to.equal(0.5);
  });

  it('shifts each subject by its own threshold, scores only the windows after the calibration minutes', () => {
    // Subject A ranks well but every probability is high (subject-independent: all "high"); B is fine as it is.
    const subjects: string[] = [];
    const ends: number[] = [];
    const y: number[] = [];
    const probs: number[] = [];
    for (const [s, base] of [['A', 0.6], ['B', 0.3]] as const) {
      for (let k = 0; k < 48; k++) {
        const label = Math.floor(k / 3) % 2;
        subjects.push(s);
        ends.push(100 + (k + 1) * 5);
        y.push(label);
        const p1 = Math.min(0.99, base + (label ? 0.35 : 0.1) + 0.01 * (k % 3));
        probs.push(1 - p1, p1);
      }
    }
    const r = personalise([{ subjects, ends, y, probs }], 1, 5);
    expect(r.perSubject.A).to.deep.include({ calibrationWindows: 12, testWindows: 36 });
    expect(r.perSubject.A.threshold).to.be.within(0.72, 0.95);
    expect(r.perSubject.B.threshold).to.equal(0.5);
    expect(r.subjectIndependent.pooled.n).to.equal(72);
    expect(r.personalised.pooled.n).to.equal(72);
    expect(r.subjectIndependent.balancedAccuracy).to.be.below(0.8);
    expect(r.personalised.balancedAccuracy).to.equal(1);
  });

  it('a run with evaluation.calibration writes summary.personalised; more than two classes is a spec error before training', async () => {
    await tf.setBackend('cpu');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-pers-'));
    try {
      const reg = getRegistries(createContainer(fakeModule));
      const spec = new SpecValidator(reg).check(fakeSpec({ evaluation: { type: 'loso', calibration: { minutes: 1 } }, training: { epochs: 1, batchSize: 16 } }));
      const { metrics } = await runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir: path.join(tmp, 'p'), backend: 'cpu' });
      const p = metrics.summary.personalised!;
      expect(p).to.include({ minutes: 1, method: 'per-subject threshold' });
      const per = Object.values(p.perSubject);
      expect(per).to.have.length(4);
      for (const s of per) expect(s.calibrationWindows).to.equal(12); // 5-s windows ending within the first minute
      expect(p.personalised.pooled.n).to.equal(metrics.dataset.windows - 4 * 12);
      // the subject-independent summary is untouched: all windows
      expect(metrics.summary.model.pooled.n).to.equal(metrics.dataset.windows);
      expect(JSON.parse(fs.readFileSync(path.join(tmp, 'p', 'metrics.json'), 'utf8')).summary.personalised.minutes).to.equal(1);
      // the curve against the calibration minutes: 0 is the subject-independent model on every window
      expect(p.curve!.map((c) => c.minutes)).to.deep.equal([0, 1, 2, 5]);
      expect(p.curve![0].windows).to.equal(metrics.dataset.windows);
      expect(p.curve![0].personalised).to.equal(p.curve![0].subjectIndependent);
      expect(p.curve![1].personalised).to.equal(p.personalised.balancedAccuracy);
      // the fake recordings last 200 s: after 5 calibration minutes nothing is left to score
      expect(p.curve![3]).to.include({ windows: 0, personalised: null, subjectIndependent: null });
      expect(p.curve![2].windows).to.equal(metrics.dataset.windows - 4 * 24);
      const three = new SpecValidator(reg).check(
        fakeSpec({ evaluation: { type: 'loso', calibration: { minutes: 1 } }, preprocessing: { sampleRate: 4, window: 5, hop: 5, label: { mapping: 'identity', classes: ['a', 'b', 'c'] } } })
      );
      let err: unknown;
      try {
        await runExperiment(three, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir: path.join(tmp, 'q'), backend: 'cpu' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SpecValidationError);
      expect(String((err as Error).message)).to.contain('/evaluation/calibration');
      expect(fs.existsSync(path.join(tmp, 'q'))).to.equal(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
