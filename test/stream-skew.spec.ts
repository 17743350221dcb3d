import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parsePredictionsCsv, PredictionRow } from '@fusion/runner';
import { cli, tmpDir, writeSpec } from './helpers';

/**
 * No train/serve skew: replaying a test subject's recording through `fusion-cli stream` with that fold's models and the
 * whole-recording statistics gives the probabilities batch evaluation wrote to predictions.csv.
 */
describe('fusion-cli stream: no train/serve skew (end to end, real process)', function () {
  this.timeout(120000);
  let dir: string;
  let run: string;
  let metrics: { perSubject: Record<string, { fold: number }> };
  let rows: PredictionRow[];
  let participants: string;
  before(() => {
    dir = tmpDir('fusion-stream-skew-');
    const r = cli(['run', writeSpec(dir, 'tiny'), '--json', '--out', 'run'], dir);
    expect(r.status, r.stderr).to.equal(0);
    run = path.join(dir, 'run');
    metrics = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    rows = parsePredictionsCsv(fs.readFileSync(path.join(run, 'predictions.csv'), 'utf8'), ['low', 'high']);
    const cache = path.join(dir, '.fusion-cache');
    const synth = fs.readdirSync(cache).find((d) => d.startsWith('synthetic-'));
    expect(synth, 'synthetic dataset folder').to.be.a('string');
    participants = path.join(cache, synth as string, 'e4_data');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const subject of ['1', '2']) {
    it(`streams subject ${subject} with the probabilities of predictions.csv at every labelled window end`, () => {
      const fold = metrics.perSubject[subject].fold;
      const r = cli(['stream', '--model', run, '--source', `replay:${path.join(participants, subject)}@max`, '--fold', String(fold), '--norm', 'recording', '--json'], dir, 60000);
      expect(r.status, r.stderr).to.equal(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const summary = lines[lines.length - 1].summary;
      expect(summary, 'last line is the summary').to.be.an('object');
      expect(summary.dropped).to.equal(0);
      const events = lines.filter((e) => e.probs);
      const mine = rows.filter((row) => row.subject === subject);
      expect(mine.length).to.be.greaterThan(10);
      for (const row of mine) {
        const end = row.windowEnd;
        const e = events.find((x) => Math.abs(x.windowEnd - end) < 1e-3);
        expect(e, `a streamed window ending at ${row.windowEnd}`).to.not.equal(undefined);
        expect(row.fold).to.equal(fold);
        expect(e.probs.low, `p_low at ${row.windowEnd}`).to.be.closeTo(row.probs[0], 1e-4);
        expect(e.probs.high, `p_high at ${row.windowEnd}`).to.be.closeTo(row.probs[1], 1e-4);
        expect(e.label).to.equal(['low', 'high'][row.pred]);
      }
    });
  }

  // the recording starts 60 s before the debate (grid origin), so a 100-s warm-up covers the first 40 s of windows
  it('with running statistics the windows inside the warm-up are skipped and later ones predicted', () => {
    const r = cli(['stream', '--model', run, '--source', `replay:${path.join(participants, '3')}@max`, '--warmup', '100', '--json'], dir, 60000);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((e) => e.skipped === 'warmup')).to.equal(true);
    expect(lines.filter((e) => e.probs).length).to.be.greaterThan(10);
    expect(lines[lines.length - 1].summary.skippedBy.warmup).to.be.greaterThan(0);
  });

  it('a run normalised with training-fold statistics streams with those statistics (no skew either)', () => {
    const r = cli(['run', writeSpec(dir, 'tiny-train-norm', { name: 'tiny-train-norm', preprocessing: { sampleRate: 4, window: 5, hop: 5, normalize: 'train' } }), '--json', '--out', 'run-train-norm'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const out = path.join(dir, 'run-train-norm');
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    const fold = m.perSubject['1'].fold;
    const stats = JSON.parse(fs.readFileSync(path.join(out, 'models', `fold-${fold}`, 'normalization.json'), 'utf8'));
    expect(stats.stats).to.have.length(3);
    const s = cli(['stream', '--model', out, '--source', `replay:${path.join(participants, '1')}@max`, '--fold', String(fold), '--warmup', '0', '--json'], dir, 60000);
    expect(s.status, s.stderr).to.equal(0);
    const events = s.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.probs);
    const mine = parsePredictionsCsv(fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8'), ['low', 'high']).filter((row) => row.subject === '1');
    expect(mine.length).to.be.greaterThan(10);
    for (const row of mine) {
      const e = events.find((x) => Math.abs(x.windowEnd - row.windowEnd) < 1e-3);
      expect(e, `a streamed window ending at ${row.windowEnd}`).to.not.equal(undefined);
      expect(e.probs.high, `p_high at ${row.windowEnd}`).to.be.closeTo(row.probs[1], 1e-4);
    }
  });
});
