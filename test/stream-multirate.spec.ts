import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, ROOT, tmpDir, writeSpec } from './helpers';

/**
 * No train/serve skew with inputs at their own rates: replaying a test subject through `fusion-cli stream` cuts the
 * same multi-rate windows (each input aligned and resampled at its own rate) and gives predictions.csv's probabilities.
 */
describe('fusion-cli stream of a spec with inputs at their own rates: no train/serve skew (real process)', function () {
  this.timeout(300000);
  let dir: string;
  let participants: string;
  const QUICK = path.join(ROOT, 'specs', 'strategies', 'hybrid-quick.json');
  const small = {
    dataset: { type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 7 },
    training: { epochs: 1, batchSize: 64, learningRate: 0.003, patience: 2, ensemble: 1, validationFraction: 0, classWeight: 'balanced' },
    evaluation: { type: 'group-kfold', k: 2 },
  };
  before(() => {
    dir = tmpDir('fusion-stream-multirate-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const streamMatches = (out: string, args: string[]): void => {
    const rows = fs.readFileSync(path.join(dir, out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, out, 'metrics.json'), 'utf8'));
    if (!participants) {
      const cache = path.join(dir, '.fusion-cache');
      participants = path.join(cache, fs.readdirSync(cache).find((d) => d.startsWith('synthetic-')) as string, 'e4_data');
    }
    const fold = metrics.perSubject['1'].fold;
    const r = cli(['stream', '--model', path.join(dir, out), '--source', `replay:${path.join(participants, '1')}@max`, '--fold', String(fold), ...args, '--json'], dir, 120000);
    expect(r.status, r.stderr).to.equal(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.probs);
    const mine = rows.filter((row) => row[1] === '1');
    expect(mine.length).to.be.greaterThan(10);
    for (const row of mine) {
      const e = events.find((x) => Math.abs(x.windowEnd - Number(row[2])) < 1e-3);
      expect(e, `a streamed window ending at ${row[2]}`).to.not.equal(undefined);
      expect(e.probs.low, `p_low at ${row[2]}`).to.be.closeTo(Number(row[5]), 1e-4);
      expect(e.probs.high, `p_high at ${row[2]}`).to.be.closeTo(Number(row[6]), 1e-4);
    }
  };

  it('hybrid (32-Hz BVP TCN + features of 32, 4 and 1 Hz inputs), per-subject normalisation: stream equals predictions.csv', () => {
    const r = cli(['run', writeSpec(dir, 'mr', { name: 'mr', ...small }, QUICK), '--json', '--out', 'run'], dir);
    expect(r.status, r.stderr).to.equal(0);
    streamMatches('run', ['--norm', 'recording']);
  });

  it('evaluate cuts the same multi-rate windows from a dataset; export and bench take such a spec', () => {
    fs.writeFileSync(path.join(dir, 'ds.json'), JSON.stringify(small.dataset));
    const ev = cli(['evaluate', path.join(dir, 'run'), 'ds.json', '--json'], dir, 120000);
    expect(ev.status, ev.stderr).to.equal(0);
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'metrics.json'), 'utf8'));
    expect(JSON.parse(ev.stdout).windows).to.equal(metrics.dataset.windows);
    // one bundle input per graph input at its own rate (edge-graph.spec and web-export.spec check the rest)
    const ex = cli(['export', path.join(dir, 'run'), '--out', 'bundle', '--fold', '1', '--json'], dir, 120000);
    expect(ex.status, ex.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'bundle', 'fusion.json'), 'utf8'));
    expect(m.inputs.map((i: { name: string; rate: number }) => `${i.name}@${i.rate}`)).to.deep.equal(['bvp@32', 'acc@32', 'eda@4', 'temp@4', 'hr@1']);
    const b = cli(['bench', path.join(dir, 'mr.json'), '--steps', '1', '--batch', '8', '--json'], dir, 120000);
    expect(b.status, b.stderr).to.equal(0);
    expect(JSON.parse(b.stdout).inputs).to.have.length(5);
  });

  it('with training-fold statistics per input (normalize: "train") as well', () => {
    const spec = JSON.parse(fs.readFileSync(QUICK, 'utf8'));
    const r = cli(['run', writeSpec(dir, 'mr-train', { name: 'mr-train', ...small, preprocessing: { ...spec.preprocessing, normalize: 'train' } }, QUICK), '--json', '--out', 'run-train'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const stats = JSON.parse(fs.readFileSync(path.join(dir, 'run-train', 'models', 'fold-1', 'normalization.json'), 'utf8'));
    expect(stats.stats).to.have.length(5);
    streamMatches('run-train', ['--warmup', '0']);
  });
});
