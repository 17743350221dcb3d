import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { requireData } from '@fusion/core';
import { cli, CLI, tmpDir } from './helpers';

/**
 * An IBI input streams through the training code: replaying a Stress-Predict subject (IBI.csv read as beat events) and
 * sending its EDA samples and beats as NDJSON lines (sensor "ibi") give predictions.csv's probabilities; and
 * `--warmup` holds back a multi-rate stream's windows until that many seconds of grid were seen.
 */
describe('fusion-cli stream of a spec with an IBI input: no train/serve skew; --warmup of a multi-rate spec (real process)', function () {
  this.timeout(600000);
  let dir: string;
  let raw: string;
  const spec = (name: string, normalize: string): Record<string, unknown> => ({
    name,
    seed: 5,
    dataset: { type: 'stress-predict', path: raw, subjects: ['S01', 'S02', 'S03'] },
    inputs: { eda: { sensor: 'eda', rate: 4 }, ibi: { sensor: 'ibi', rate: 4, missing: { maxGap: 3 } } },
    preprocessing: {
      sampleRate: 4,
      window: 30,
      hop: 15,
      normalize,
      maxMissing: 0.5,
      label: { target: 'stress', mapping: 'identity', classes: ['non-stress', 'stress'] },
      augment: { noise: 0.01, copies: 1 },
    },
    nodes: {
      enc: { type: 'tcn', channels: [4], kernelSize: 2, inputs: ['eda', 'ibi'] },
      fuse: { type: 'concat', inputs: ['enc'] },
      head_deep: { type: 'bigru', units: 4, inputs: ['fuse'] },
      feat_ibi: { type: 'features', groups: ['statistics', 'hrv'], inputs: ['ibi'] },
      head_features: { type: 'bigru', units: 4, inputs: ['feat_ibi'] },
      decision: { type: 'mean', inputs: ['head_deep', 'head_features'] },
    },
    outputs: { stress: { node: 'decision', label: 'stress' } },
    training: { epochs: 1, batchSize: 64, learningRate: 0.01, patience: 1, ensemble: 1, validationFraction: 0 },
    evaluation: { type: 'loso' },
  });
  const train = (name: string, normalize: string): string => {
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(spec(name, normalize)));
    const r = cli(['run', `${name}.json`, '--json', '--out', name], dir);
    expect(r.status, r.stderr).to.equal(0);
    return path.join(dir, name);
  };
  const foldOf = (run: string, subject: string): number => JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).perSubject[subject].fold;
  const events = (stdout: string): { windowEnd: number; probs?: Record<string, number>; skipped?: string }[] =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.windowEnd !== undefined);
  /** Every window predictions.csv has for S01 is streamed with its probabilities. */
  const matches = (run: string, stdout: string): void => {
    const rows = fs.readFileSync(path.join(run, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const mine = rows.filter((row) => row[1] === 'S01');
    expect(mine.length).to.be.greaterThan(20);
    const got = events(stdout).filter((e) => e.probs);
    for (const row of mine) {
      const e = got.find((x) => Math.abs(x.windowEnd - Number(row[2])) < 1e-3);
      expect(e, `a streamed window ending at ${row[2]}`).to.not.equal(undefined);
      expect(e!.probs!['non-stress'], `p_non-stress at ${row[2]}`).to.be.closeTo(Number(row[5]), 1e-4);
      expect(e!.probs!.stress, `p_stress at ${row[2]}`).to.be.closeTo(Number(row[6]), 1e-4);
    }
  };
  before(function () {
    raw = requireData(this, 'stress-predict', 'Raw_data');
    dir = tmpDir('fusion-stream-ibi-');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replay of a subject folder (IBI.csv as beat events), per-subject normalisation: stream equals predictions.csv', () => {
    const run = train('subject', 'subject');
    const r = cli(['stream', '--model', run, '--source', `replay:${path.join(raw, 'S01')}@max`, '--fold', String(foldOf(run, 'S01')), '--norm', 'recording', '--json'], dir, 180000);
    expect(r.status, r.stderr).to.equal(0);
    matches(run, r.stdout);
  });

  it('--warmup S: with running statistics, the windows of a multi-rate stream before S seconds of grid are skipped as warm-up', () => {
    const run = path.join(dir, 'subject');
    const stream = (warmup: string): ReturnType<typeof events> => {
      const r = cli(['stream', '--model', run, '--source', `replay:${path.join(raw, 'S01')}@max`, '--fold', String(foldOf(run, 'S01')), '--warmup', warmup, '--json'], dir, 180000);
      expect(r.status, r.stderr).to.equal(0);
      return events(r.stdout);
    };
    const none = stream('0');
    expect(none.filter((e) => e.skipped === 'warmup')).to.have.length(0);
    // the stream's first window starts where its grid does: its end - 30 s
    const start = Math.min(...none.map((e) => e.windowEnd)) - 30;
    const held = stream('600');
    const warm = held.filter((e) => e.skipped === 'warmup');
    expect(warm.length).to.be.greaterThan(10);
    for (const e of warm) expect(e.windowEnd - start, 'a warm-up window').to.be.below(600 + 1e-6);
    const after = held.filter((e) => e.windowEnd - start >= 600 + 1e-6);
    expect(after.filter((e) => e.probs).length, 'windows predicted after the warm-up').to.be.greaterThan(10);
    expect(after.every((e) => e.skipped !== 'warmup')).to.equal(true);
  });

  it('a subject without IBI.csv is a DatasetError naming the file (exit 1): in run, and in the replay of that folder', () => {
    const copy = path.join(dir, 'Raw_data');
    for (const [subject, files] of [['S01', ['EDA.csv', 'IBI.csv', 'tags_S01.csv']], ['S02', ['EDA.csv', 'tags_S02.csv']]] as const) {
      fs.mkdirSync(path.join(copy, subject), { recursive: true });
      for (const f of files) fs.copyFileSync(path.join(raw, subject, f), path.join(copy, subject, f));
    }
    const bad = { ...spec('no-ibi', 'subject'), dataset: { type: 'stress-predict', path: copy } };
    fs.writeFileSync(path.join(dir, 'no-ibi.json'), JSON.stringify(bad));
    const r = cli(['run', 'no-ibi.json', '--json', '--out', 'no-ibi'], dir);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(`E4 IBI file not found: ${path.join(copy, 'S02', 'IBI.csv')} ("ibi" was requested)`);
    expect(fs.existsSync(path.join(dir, 'no-ibi'))).to.equal(false);
    const replay = cli(['stream', '--model', path.join(dir, 'subject'), '--source', `replay:${path.join(copy, 'S02')}@max`, '--json'], dir, 120000);
    expect(replay.status, replay.stderr).to.equal(1);
    expect(replay.stderr).to.contain(`E4 IBI file not found: ${path.join(copy, 'S02', 'IBI.csv')}`);
  });

  it('NDJSON on stdin: EDA samples and beats of sensor "ibi", training-fold statistics: stream equals predictions.csv', () => {
    const run = train('train', 'train');
    const s01 = path.join(raw, 'S01');
    const eda = fs.readFileSync(path.join(s01, 'EDA.csv'), 'utf8').trim().split('\n');
    const t0 = Number(eda[0].split(',')[0]);
    const fs4 = Number(eda[1].split(',')[0]);
    const lines: { t: number; text: string }[] = eda.slice(2).map((v, i) => ({ t: t0 + i / fs4, text: JSON.stringify({ stream: 'S01', sensor: 'eda', t: t0 + i / fs4, values: [Number(v)] }) }));
    const ibi = fs.readFileSync(path.join(s01, 'IBI.csv'), 'utf8').trim().split('\n');
    const b0 = Number(ibi[0].split(',')[0]);
    for (const row of ibi.slice(1)) {
      const [off, d] = row.split(',').map(Number);
      lines.push({ t: b0 + off, text: JSON.stringify({ stream: 'S01', sensor: 'ibi', t: b0 + off, values: [d] }) });
    }
    lines.sort((a, b) => a.t - b.t);
    const r = spawnSync(process.execPath, [CLI, 'stream', '--model', run, '--source', 'stdin', '--fold', String(foldOf(run, 'S01')), '--json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180000,
      input: lines.map((l) => l.text).join('\n') + '\n',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/0 malformed/);
    matches(run, r.stdout);
  });
});
