import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, readCsvRows, ROOT, tmpDir } from './helpers';

/**
 * A multi-task run (specs/strategies/multitask-quick.json, 1 epoch) served: `fusion-cli predict` writes every output's
 * probabilities (the first output's columns as for one output, then `<output>_pred` and `<output>_p_<class>`), and
 * `fusion-cli stream` emits them per window under `outputs` (keeping `probs`/`label` of the first output). Both equal
 * the run's own predictions.csv / predictions-<output>.csv for the same windows with that fold's models.
 */
describe('several outputs served: predict and stream give every output (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  type Row = Record<string, string>;
  const readCsv = readCsvRows;
  const OUTPUTS: Record<string, { file: string; classes: string[] }> = {
    arousal: { file: 'predictions.csv', classes: ['low', 'high'] },
    valence: { file: 'predictions-valence.csv', classes: ['negative', 'positive'] },
  };
  /** The run's predictions of fold 1 per output, by subject@window_end. */
  let evaluated: Record<string, Map<string, Row>>;

  before(() => {
    dir = tmpDir('fusion-mt-serve-');
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'strategies', 'multitask-quick.json'), 'utf8'));
    spec.training.epochs = 1;
    fs.writeFileSync(path.join(dir, 'mt.json'), JSON.stringify(spec));
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify(spec.dataset));
    const r = cli(['run', 'mt.json', '--workers', '1', '--out', 'out', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    evaluated = {};
    for (const [name, o] of Object.entries(OUTPUTS))
      evaluated[name] = new Map(readCsv(path.join(dir, 'out', o.file)).filter((x) => x.fold === '1').map((x) => [`${x.subject}@${x.window_end}`, x]));
    expect(evaluated.arousal.size).to.be.greaterThan(10);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('predict --fold 1 on the run\'s data: per-output probabilities equal predictions.csv and predictions-valence.csv (1e-5)', () => {
    const r = cli(['predict', 'out', 'same.json', '--fold', '1', '--out', 'p.csv', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const [head] = fs.readFileSync(path.join(dir, 'p.csv'), 'utf8').split('\n');
    // the first output's columns as for a one-output run, then the others'
    expect(head).to.equal('subject,window_end,pred,p_low,p_high,true,valence_pred,valence_p_negative,valence_p_positive');
    const mine = new Map(readCsv(path.join(dir, 'p.csv')).map((x) => [`${x.subject}@${x.window_end}`, x]));
    let compared = 0;
    for (const [key, e] of evaluated.arousal) {
      const m = mine.get(key);
      expect(m, key).to.not.equal(undefined);
      const v = evaluated.valence.get(key)!;
      expect(v, `valence ${key}`).to.not.equal(undefined);
      for (const c of OUTPUTS.arousal.classes) expect(Number(m![`p_${c}`]), `${key} p_${c}`).to.be.closeTo(Number(e[`p_${c}`]), 1e-5);
      for (const c of OUTPUTS.valence.classes) expect(Number(m![`valence_p_${c}`]), `${key} valence_p_${c}`).to.be.closeTo(Number(v[`p_${c}`]), 1e-5);
      expect(m!.pred).to.equal(OUTPUTS.arousal.classes[Number(e.pred)]);
      expect(m!.valence_pred).to.equal(OUTPUTS.valence.classes[Number(v.pred)]);
      compared++;
    }
    expect(compared).to.equal(evaluated.arousal.size);
  });

  it('stream --fold 1 replaying a test subject: each window\'s outputs equal the run\'s predictions (1e-5), the top-level fields are the first output\'s', () => {
    const cache = path.join(dir, 'cache');
    const synth = fs.readdirSync(cache).find((d) => d.startsWith('synthetic-'))!;
    const subject = [...evaluated.arousal.values()][0].subject;
    const r = cli(['stream', '--model', 'out', '--source', `replay:${path.join(cache, synth, 'e4_data', subject)}@max`, '--fold', '1', '--norm', 'recording', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.probs);
    const mine = [...evaluated.arousal.values()].filter((x) => x.subject === subject);
    expect(mine.length).to.be.greaterThan(10);
    for (const e of mine) {
      const key = `${e.subject}@${e.window_end}`;
      const x = events.find((ev) => Math.abs(ev.windowEnd - Number(e.window_end)) < 1e-3);
      expect(x, `a streamed window ending at ${e.window_end}`).to.not.equal(undefined);
      expect(Object.keys(x.outputs)).to.deep.equal(['arousal', 'valence']);
      for (const [name, o] of Object.entries(OUTPUTS)) {
        const want = evaluated[name].get(key)!;
        for (const c of o.classes) expect(x.outputs[name].probs[c], `${key} ${name} p_${c}`).to.be.closeTo(Number(want[`p_${c}`]), 1e-5);
        expect(x.outputs[name].pred).to.equal(o.classes[Number(want.pred)]);
      }
      expect(x.probs).to.deep.equal(x.outputs.arousal.probs);
      expect(x.label).to.equal(x.outputs.arousal.pred);
    }
  });
});
