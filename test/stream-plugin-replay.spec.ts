import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpDir, writeSpec } from './helpers';

/** A third-party dataset adapter (plain JavaScript, in a folder outside the repository): one `<subject>.rec.json` per recording. */
const ADAPTER = `
const fs = require('fs');
const path = require('path');
const { ContainerModule } = require('inversify');
const { DatasetAdapterContribution } = require('@fusion/core');

function read(file) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const signal = (v) => ({ t0: j.t0, fs: j.fs, channels: 1, data: Float32Array.from(v), source: file });
  return {
    subject: path.basename(file, '.rec.json'),
    signals: { hr: signal(j.hr), eda: signal(j.eda) },
    labels: j.labels.map((l) => ({ start: l.start, end: l.end, values: { arousal: l.arousal } })),
    source: file,
  };
}
const schema = (type) => ({ type: 'object', additionalProperties: false, required: ['type', 'path'], properties: { type: { const: type }, path: { type: 'string' } } });
async function load(config, ctx) {
  const dir = path.resolve(ctx.baseDir, config.path);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.rec.json')).sort();
  return { name: 'rec-json', recordings: files.map((f) => read(path.join(dir, f))), warnings: [] };
}
module.exports.default = new ContainerModule((bind) => {
  bind(DatasetAdapterContribution).toConstantValue({
    type: 'rec-json', description: 'one <subject>.rec.json per recording', sensors: ['hr', 'eda'], schema: schema('rec-json'), load,
    readRecording: (location) => (location.endsWith('.rec.json') && fs.statSync(location).isFile() ? read(location) : undefined),
  });
  // the same layout through an adapter written before readRecording existed
  bind(DatasetAdapterContribution).toConstantValue({ type: 'rec-json-legacy', description: 'as rec-json, without readRecording', sensors: ['hr', 'eda'], schema: schema('rec-json-legacy'), load });
});
`;

/** 130 s at 4 Hz, the first 120 s labelled; arousal high in alternate 30-s blocks, raising hr and eda. */
function writeRecording(file: string, subject: number): void {
  const fs4 = 4;
  const t0 = 1700000000 + subject * 1000;
  let s = subject * 7919 + 1;
  const noise = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
  const high = (t: number): boolean => Math.floor(t / 30) % 2 === (subject % 2);
  const hr: number[] = [];
  const eda: number[] = [];
  for (let i = 0; i < 130 * fs4; i++) {
    const t = i / fs4;
    hr.push(70 + (high(t) ? 8 : 0) + 4 * noise());
    eda.push(1 + (high(t) ? 0.5 : 0) + 0.4 * noise());
  }
  const labels = Array.from({ length: 24 }, (_, k) => ({ start: t0 + 5 * k, end: t0 + 5 * k + 5, arousal: high(5 * k) ? 4 : 2 }));
  fs.writeFileSync(file, JSON.stringify({ t0, fs: fs4, hr, eda, labels }));
}

describe('fusion-cli stream: replay of a third-party dataset adapter\'s recording (readRecording, real processes)', function () {
  this.timeout(180000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-plugin-replay-');
    fs.mkdirSync(path.join(dir, 'adapter'));
    fs.writeFileSync(path.join(dir, 'adapter', 'index.js'), ADAPTER);
    fs.mkdirSync(path.join(dir, 'data'));
    for (let k = 1; k <= 4; k++) writeRecording(path.join(dir, 'data', `S${k}.rec.json`), k);
    const spec = writeSpec(dir, 'plugin-replay', {
      name: 'plugin-replay',
      plugins: ['./adapter/index.js'],
      dataset: { type: 'rec-json', path: 'data' },
      sensors: ['hr', 'eda'],
      preprocessing: { sampleRate: 4, window: 5, hop: 5, label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] } },
      encoder: { type: 'tcn', channels: [4], kernelSize: 2, dropout: 0 },
      head: { type: 'bigru', units: 4 },
      training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 },
    });
    const r = cli(['run', spec, '--json', '--out', 'run'], dir);
    expect(r.status, r.stderr).to.equal(0);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replays a recording read by the plugin\'s readRecording with the probabilities batch evaluation wrote', () => {
    const run = path.join(dir, 'run');
    const metrics = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    const fold = metrics.perSubject.S2.fold;
    const r = cli(['stream', '--model', 'run', '--source', `replay:${path.join('data', 'S2.rec.json')}@max`, '--fold', String(fold), '--norm', 'recording', '--json'], dir, 60000);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('read by dataset adapter "rec-json"');
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.probs);
    const mine = fs.readFileSync(path.join(run, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((row) => row[1] === 'S2');
    expect(mine.length).to.equal(24);
    for (const row of mine) {
      const e = events.find((x) => Math.abs(x.windowEnd - Number(row[2])) < 1e-3);
      expect(e, `a streamed window ending at ${row[2]}`).to.not.equal(undefined);
      expect(e.probs.low, `p_low at ${row[2]}`).to.be.closeTo(Number(row[5]), 1e-4);
      expect(e.probs.high, `p_high at ${row[2]}`).to.be.closeTo(Number(row[6]), 1e-4);
    }
  });

  it('an adapter without readRecording asked to replay (--dataset) exits 1 with ReplayNotSupportedError naming it and its plugin', () => {
    const r = cli(['stream', '--model', 'run', '--dataset', 'rec-json-legacy', '--source', `replay:${path.join('data', 'S2.rec.json')}@max`, '--json'], dir, 60000);
    expect(r.status, r.stderr).to.equal(1);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string).error.code).to.equal('ReplayNotSupportedError');
    expect(r.stderr).to.contain(`dataset adapter "rec-json-legacy" (plugin ${fs.realpathSync(path.join(dir, 'adapter', 'index.js'))}) has no readRecording()`);
  });

  it('a recording no adapter reads exits 1 naming it and the adapters asked', () => {
    const r = cli(['stream', '--model', 'run', '--source', `replay:${path.join('data')}@max`], dir, 60000);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(`${path.join(fs.realpathSync(dir), 'data')} is not a recording any dataset adapter reads`).and.contain('without readRecording: rec-json-legacy');
  });
});
