import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { buildModel, createContainer, estimateMemory, getRegistries, GraphSpec, parameterCounts, SpecValidator } from '@fusion/core';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { cli, readCsvRows, ROOT, tmpDir } from './helpers';

/**
 * Two outputs on one decision node (a multi-task design: the node is built once per output, each with its own
 * classifiers and weights): run trains and scores both, predict, stream and export serve both (real processes).
 * Before the fix the two outputs were one model output and `run` failed with exit 3.
 */
describe('two outputs on one decision node (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  type Row = Record<string, string>;
  const readCsv = readCsvRows;
  const key = (x: Row): string => `${x.subject}@${x.window_end}`;

  before(() => {
    dir = tmpDir('fusion-mt-decision-');
    const tiny = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8'));
    for (const k of ['encoder', 'fusion', 'head', 'sensors']) delete tiny[k];
    const spec = {
      ...tiny,
      inputs: { hr: { sensor: 'hr' }, eda: { sensor: 'eda' } },
      nodes: {
        enc_hr: { type: 'tcn', channels: [4], kernelSize: 2, dropout: 0, inputs: ['hr'] },
        enc_eda: { type: 'tcn', channels: [4], kernelSize: 2, dropout: 0, inputs: ['eda'] },
        fuse_hr: { type: 'concat', inputs: ['enc_hr'] },
        fuse_eda: { type: 'concat', inputs: ['enc_eda'] },
        head_hr: { type: 'bigru', units: 4, inputs: ['fuse_hr'] },
        head_eda: { type: 'bigru', units: 4, inputs: ['fuse_eda'] },
        decision: { type: 'weighted', inputs: ['head_hr', 'head_eda'] },
      },
      outputs: {
        arousal: { node: 'decision', label: 'arousal', classes: ['low', 'high'] },
        valence: { node: 'decision', label: 'valence', classes: ['negative', 'positive'] },
      },
      training: { ...tiny.training, epochs: 1, ensemble: 1 },
    };
    fs.writeFileSync(path.join(dir, 'dec.json'), JSON.stringify(spec));
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify(spec.dataset));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the model has one output per output, each with its own decision layers; the memory estimate counts them', () => {
    const reg = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
    const spec = new SpecValidator(reg).check(JSON.parse(fs.readFileSync(path.join(dir, 'dec.json'), 'utf8'))) as GraphSpec;
    const m = buildModel(spec, reg, { sensors: ['hr', 'eda'], length: 20, classes: 2 }, spec.seed);
    try {
      expect(m.outputs).to.have.length(2);
      expect(m.outputs[0].sourceLayer.name).to.not.equal(m.outputs[1].sourceLayer.name);
      expect(estimateMemory(spec, reg).parameters).to.equal(parameterCounts(m).total);
    } finally {
      m.dispose();
    }
  });

  it('run trains both outputs: metrics per output, predictions-valence.csv with its own probabilities', () => {
    const r = cli(['run', 'dec.json', '--workers', '1', '--out', 'out', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'metrics.json'), 'utf8'));
    expect(Object.keys(m.outputs)).to.deep.equal(['arousal', 'valence']);
    expect(m.outputs.valence.summary.model.balancedAccuracy).to.be.within(0, 1);
    const a = readCsv(path.join(dir, 'out', 'predictions.csv'));
    const v = readCsv(path.join(dir, 'out', 'predictions-valence.csv'));
    expect(v.map(key)).to.deep.equal(a.map(key));
    // each output has its own classifiers: its probabilities are not the other's
    expect(v.some((x, i) => Math.abs(Number(x.p_positive) - Number(a[i].p_high)) > 1e-4)).to.equal(true);
  });

  it('an output named like a decision node\'s branch classifier (decision_head_hr) still runs (its layer gets _2)', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'dec.json'), 'utf8'));
    spec.outputs = { arousal: { node: 'decision', label: 'arousal' }, decision_head_hr: { node: 'head_hr', label: 'valence' } };
    fs.writeFileSync(path.join(dir, 'named.json'), JSON.stringify(spec));
    const r = cli(['run', 'named.json', '--workers', '1', '--out', 'named', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'named', 'predictions-decision_head_hr.csv'))).to.equal(true);
  });

  it('predict --fold 1 gives both outputs, equal to the run\'s predictions (1e-5)', () => {
    const r = cli(['predict', 'out', 'same.json', '--fold', '1', '--out', 'p.csv', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const mine = new Map(readCsv(path.join(dir, 'p.csv')).map((x) => [key(x), x]));
    const a = readCsv(path.join(dir, 'out', 'predictions.csv')).filter((x) => x.fold === '1');
    const v = new Map(readCsv(path.join(dir, 'out', 'predictions-valence.csv')).map((x) => [key(x), x]));
    expect(a.length).to.be.greaterThan(5);
    for (const e of a) {
      const p = mine.get(key(e))!;
      expect(p, key(e)).to.not.equal(undefined);
      expect(Number(p.p_high)).to.be.closeTo(Number(e.p_high), 1e-5);
      expect(Number(p.valence_p_positive)).to.be.closeTo(Number(v.get(key(e))!.p_positive), 1e-5);
    }
  });

  it('stream --fold 1 emits both outputs per window', () => {
    const cache = path.join(dir, 'cache');
    const synth = fs.readdirSync(cache).find((d) => d.startsWith('synthetic-'))!;
    const subject = readCsv(path.join(dir, 'out', 'predictions.csv')).find((x) => x.fold === '1')!.subject;
    const r = cli(['stream', '--model', 'out', '--source', `replay:${path.join(cache, synth, 'e4_data', subject)}@max`, '--fold', '1', '--norm', 'recording', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.probs);
    expect(events.length).to.be.greaterThan(5);
    for (const e of events) {
      expect(Object.keys(e.outputs)).to.deep.equal(['arousal', 'valence']);
      expect(Object.keys(e.outputs.valence.probs)).to.deep.equal(['negative', 'positive']);
    }
  });

  it('export --fold 1 writes a bundle with both outputs', () => {
    const r = cli(['export', 'out', '--out', 'bundle', '--fold', '1', '--cache-dir', 'cache', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, 'bundle', 'fusion.json'), 'utf8'));
    expect(bundle.outputs.map((o: { name: string }) => o.name)).to.deep.equal(['arousal', 'valence']);
  });
});
