import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, getRegistries, loadSpecObject, selectBackend, TrainingError } from '@fusion/core';
import { runExperiment, RunEvent } from '@fusion/runner';
import { createDefaultContainer } from '@fusion/cli';
import { writeSyntheticFiles } from '@fusion/sensors';
import { ROOT, tmpDir } from './helpers';

/**
 * Numerical trouble end to end, with the built-in encoders/heads and the example csv-folder dataset plugin: tiny
 * synthetic subjects (1 Hz, time,hr,eda,stress), 1-2 epochs. Non-finite losses stop with the fold and epoch named,
 * constant and one-class subjects train and give null (never NaN) metrics, subjects without windows are skipped with
 * a warning, a sensor missing for one subject is a named DatasetError.
 */

const PLUGIN = path.join(ROOT, 'examples', 'csv-folder-adapter', 'index.js');

interface Subject {
  name: string;
  seconds: number;
  hr?: (t: number, stress: number) => number;
  eda?: (t: number, stress: number) => number;
  stress?: (t: number) => number;
}

/** Writes `<dir>/data/<subject>.csv` for the example plugin (header time,hr,eda,stress, 1 Hz). */
function writeSubjects(dir: string, subjects: Subject[]): void {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  for (const s of subjects) {
    const rows = ['time,hr,eda,stress'];
    for (let t = 0; t < s.seconds; t++) {
      const y = s.stress ? s.stress(t) : Math.floor(t / 20) % 2;
      const hr = s.hr ? s.hr(t, y) : 70 + 8 * y + Math.sin(t * 1.3) * 3;
      const eda = s.eda ? s.eda(t, y) : 1 + 0.4 * y + Math.cos(t * 0.7) * 0.2;
      rows.push(`${t},${hr},${eda},${y}`);
    }
    fs.writeFileSync(path.join(dir, 'data', `${s.name}.csv`), rows.join('\n') + '\n');
  }
}

function specFor(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    seed: 3,
    plugins: [PLUGIN],
    dataset: { type: 'csv-folder', path: 'data' },
    sensors: ['hr', 'eda'],
    preprocessing: { sampleRate: 1, window: 10, hop: 10, label: { target: 'stress', mapping: 'identity', classes: ['calm', 'stress'] } },
    encoder: { type: 'tcn', channels: [4], kernelSize: 2, dropout: 0 },
    fusion: { type: 'concat' },
    head: { type: 'bigru', units: 4 },
    training: { epochs: 2, batchSize: 16, learningRate: 0.01, patience: 2, validationFraction: 0 },
    evaluation: { type: 'loso' },
    ...over,
  };
}

async function run(dir: string, raw: Record<string, unknown>): Promise<{ metrics: Record<string, unknown>; text: string; warnings: string[]; outDir: string }> {
  const container = createDefaultContainer();
  const { spec, baseDir } = loadSpecObject(raw, container, dir, path.join(dir, 'spec.json'));
  const outDir = path.join(dir, 'runs', spec.name);
  const warnings: string[] = [];
  const backend = await selectBackend(process.env.FUSION_TEST_BACKEND);
  await runExperiment(spec, getRegistries(container), {
    baseDir,
    cacheDir: path.join(dir, '.cache'),
    outDir,
    backend: backend.name,
    reporter: (e: RunEvent) => {
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
  const text = fs.readFileSync(path.join(outDir, 'metrics.json'), 'utf8');
  return { metrics: JSON.parse(text) as Record<string, unknown>, text, warnings, outDir };
}

async function failure(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the run to fail');
}

/** metrics.json must be strict JSON: no NaN/Infinity tokens (JSON.stringify writes them as null). */
function expectStrictJson(text: string): void {
  expect(text).to.not.match(/\bNaN\b|\bInfinity\b/);
  expect(() => JSON.parse(text)).to.not.throw();
}

function leftovers(dir: string): string[] {
  const runs = path.join(dir, 'runs');
  return fs.existsSync(runs) ? fs.readdirSync(runs) : [];
}

describe('numerics end to end (real plugins, tiny data)', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('fusion-numerics-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('extreme inputs that make the model output NaN stop training, naming the fold and the epoch', async () => {
    // Inputs of 3e38 with normalize none overflow the mha head's attention: the probabilities become NaN. The loss is
    // log(p + eps), so the NaN reaches the loss and the run stops with a named error instead of training on.
    writeSubjects(dir, [
      { name: 'S1', seconds: 80, hr: () => 3e38 },
      { name: 'S2', seconds: 80, hr: () => 3e38 },
      { name: 'S3', seconds: 80, hr: () => 3e38 },
    ]);
    const raw = specFor('nan-output', {
      head: { type: 'mha', dModel: 4, heads: 1 },
      preprocessing: { ...(specFor('x').preprocessing as object), normalize: 'none' },
    });
    const e = await failure(() => run(dir, raw));
    expect(e, e.stack).to.be.instanceOf(TrainingError);
    expect(e.message).to.match(/fold \d+ .*epoch 1: the (training loss is NaN|model's outputs on the validation subjects are not finite)/);
    // no final folder, and no partial folder (`.<name>.partial`): a training error would fail again on resume
    expect(leftovers(dir)).to.deep.equal([]);
  });

  it('extreme inputs (3e38) with normalize none and a GRU head: the loss stays finite (saturation), the run completes', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80, hr: () => 3e38 },
      { name: 'S2', seconds: 80, hr: () => 3e38 },
      { name: 'S3', seconds: 80, hr: (t) => (t % 2 ? 3e38 : -3e38) },
    ]);
    const raw = specFor('saturate', { preprocessing: { ...(specFor('x').preprocessing as object), normalize: 'none' }, training: { epochs: 1, batchSize: 16, learningRate: 0.01, validationFraction: 0 } });
    const { metrics } = await run(dir, raw);
    const folds = metrics.folds as { members: { history: { loss: number }[] }[] }[];
    for (const f of folds) for (const h of f.members[0].history) expect(Number.isFinite(h.loss)).to.equal(true);
  });

  it('the same extreme data with normalize subject trains and gives finite metrics', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80, hr: (t, y) => 3e38 * (0.5 + 0.1 * y) },
      { name: 'S2', seconds: 80, hr: (t, y) => 3e38 * (0.5 + 0.1 * y) },
      { name: 'S3', seconds: 80 },
    ]);
    const { metrics, text } = await run(dir, specFor('extreme-normalized', { training: { epochs: 1, batchSize: 16, learningRate: 0.01, validationFraction: 0 } }));
    expectStrictJson(text);
    const model = (metrics.summary as { model: { balancedAccuracy: number } }).model;
    expect(Number.isFinite(model.balancedAccuracy)).to.equal(true);
  });

  it('the largest learning rate the schema allows (10) does not produce a non-finite loss here (reported, not an error)', async () => {
    // Adam's step is bounded by the learning rate, and the loss is computed on clipped probabilities, so even lr = 10
    // does not diverge to NaN on normalised inputs: only extreme inputs (above) give a non-finite loss.
    writeSubjects(dir, [{ name: 'S1', seconds: 60 }, { name: 'S2', seconds: 60 }, { name: 'S3', seconds: 60 }]);
    const { text } = await run(dir, specFor('lr10', { training: { epochs: 2, batchSize: 8, learningRate: 10, validationFraction: 0 } }));
    expectStrictJson(text);
  });

  it('a constant sensor for one subject: z-scoring does not divide by zero, training works, metrics are finite', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80, hr: () => 72, eda: () => 0 },
      { name: 'S2', seconds: 80 },
      { name: 'S3', seconds: 80 },
    ]);
    const { metrics, text } = await run(dir, specFor('constant'));
    expectStrictJson(text);
    const folds = metrics.folds as { test: string[]; model: { balancedAccuracy: number }; members: { history: { loss: number }[] }[] }[];
    expect(folds).to.have.length(3);
    for (const f of folds) {
      for (const m of f.members) for (const h of m.history) expect(Number.isFinite(h.loss), `loss of fold ${f.test}`).to.equal(true);
      expect(Number.isFinite(f.model.balancedAccuracy)).to.equal(true);
    }
  });

  it('a subject with one class: AUROC null (not NaN) for that subject and fold, metrics.json strict JSON', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80, stress: () => 1 },
      { name: 'S2', seconds: 80 },
      { name: 'S3', seconds: 80 },
    ]);
    const { metrics, text } = await run(dir, specFor('one-class'));
    expectStrictJson(text);
    const perSubject = metrics.perSubject as Record<string, { model: { auroc?: number | null; balancedAccuracy: number } }>;
    // undefined metrics are left out of the JSON or written as null, never NaN
    expect(perSubject.S1.model.auroc ?? null).to.equal(null);
    expect(perSubject.S2.model.auroc).to.be.a('number');
    const folds = metrics.folds as { test: string[]; model: { auroc?: number | null } }[];
    expect(folds.find((f) => f.test.includes('S1'))!.model.auroc ?? null).to.equal(null);
    const summary = metrics.summary as { model: { auroc: number | null; folds: { auroc: number } } };
    expect(summary.model.folds.auroc).to.equal(2);
    expect(summary.model.auroc).to.be.a('number');
  });

  it('a subject with no labelled windows is skipped with a warning; group folds still cover the others', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80 },
      { name: 'S2', seconds: 80 },
      { name: 'S3', seconds: 80 },
      { name: 'S4', seconds: 80 },
      // shorter than one window: no window at all
      { name: 'S5', seconds: 6 },
    ]);
    const { metrics, text, warnings } = await run(dir, specFor('no-windows', { evaluation: { type: 'group-kfold', k: 2 } }));
    expectStrictJson(text);
    expect(warnings.join('\n')).to.contain('subject S5: no usable labelled windows (skipped)');
    const folds = metrics.folds as { test: string[] }[];
    expect(folds.flatMap((f) => f.test).sort()).to.deep.equal(['S1', 'S2', 'S3', 'S4']);
    expect((metrics.dataset as { warnings: string[] }).warnings.join('\n')).to.contain('S5');
  });

  it('only one subject has windows: a named error, not a crash', async () => {
    writeSubjects(dir, [
      { name: 'S1', seconds: 80 },
      { name: 'S2', seconds: 6 },
      { name: 'S3', seconds: 6 },
    ]);
    const e = await failure(() => run(dir, specFor('one-subject')));
    expect(e.constructor.name, e.stack).to.not.equal('Error');
    expect(e.constructor.name, e.stack).to.not.equal('TypeError');
    expect(e.constructor.name, e.stack).to.not.equal('RangeError');
    expect(e.message).to.match(/subject/);
    expect(leftovers(dir), 'no final or partial folder').to.deep.equal([]);
  });

  it('a sensor missing entirely for one subject (K-EmoCon layout): a DatasetError naming the file and the participant', async () => {
    // The synthetic generator writes the K-EmoCon layout; remove one participant's EDA file.
    const container = createDefaultContainer();
    const synth = loadSpecObject(
      {
        ...specFor('missing-sensor'),
        plugins: [],
        dataset: { type: 'synthetic', participants: 3, minutes: 1, effect: 1, seed: 2 },
        preprocessing: { sampleRate: 4, window: 5, hop: 5 },
      },
      container,
      dir
    ).spec;
    const root = path.join(dir, 'kemocon');
    writeSyntheticFiles(root, { participants: 3, minutes: 1, effect: 1, seed: 2 });
    const pid = fs.readdirSync(path.join(root, 'e4_data')).sort()[1];
    const gone = path.join(root, 'e4_data', pid, 'E4_EDA.csv');
    fs.rmSync(gone);
    const raw = { ...synth, name: 'missing-sensor', dataset: { type: 'kemocon', path: 'kemocon' } };
    delete (raw as { plugins?: unknown }).plugins;
    const e = await failure(() => run(dir, raw as Record<string, unknown>));
    expect(e, e.stack).to.be.instanceOf(DatasetError);
    expect(e.message).to.contain(gone).and.contain(`participant ${pid}`).and.contain('"participants"');
    expect(leftovers(dir)).to.deep.equal([]);
  });
});
