import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createContainer, getRegistries, SpecValidator } from '@fusion/core';
import { runExperiment, RunMetrics } from '../src';
import { fakeModule, fakeSpec } from '@fusion/core/testing';

async function run(training: Record<string, unknown>, outDir: string): Promise<RunMetrics> {
  const reg = getRegistries(createContainer(fakeModule));
  const spec = new SpecValidator(reg).check(fakeSpec({ dataset: { type: 'fake', subjects: 3 }, training: { batchSize: 32, learningRate: 0.01, patience: 0, ...training } }));
  return (await runExperiment(spec, reg, { baseDir: '.', cacheDir: os.tmpdir(), outDir, backend: 'cpu' })).metrics;
}

/** The learning rate of every epoch of the first fold's first member, as its training log recorded it. */
const lrs = (m: RunMetrics): number[] => m.folds[0].members[0].history.map((h) => h.learningRate);

describe('training.lrSchedule', function () {
  this.timeout(120000);
  let tmp: string;
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-lr-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('cosine with warm-up: L e / W during warm-up, then min + (L - min)(1 + cos(pi t / (E - W - 1))) / 2', async () => {
    const m = await run({ epochs: 5, lrSchedule: { type: 'cosine', warmupEpochs: 1, minLearningRate: 0.001 } }, path.join(tmp, 'cos'));
    const L = 0.01;
    const expected = [L, ...[0, 1, 2, 3].map((t) => 0.001 + ((L - 0.001) * (1 + Math.cos((Math.PI * t) / 3))) / 2)];
    lrs(m).forEach((lr, i) => expect(lr, `epoch ${i + 1}`).to.be.closeTo(expected[i], 1e-12));
    expect(lrs(m)).to.have.length(5);
  });

  it('step: L * factor ^ floor((e - 1) / every)', async () => {
    const m = await run({ epochs: 4, lrSchedule: { type: 'step', every: 2, factor: 0.5 } }, path.join(tmp, 'step'));
    expect(lrs(m)).to.deep.equal([0.01, 0.01, 0.005, 0.005]);
  });

  it('changes the weights learnt (the optimiser uses the scheduled rate), and without a schedule the rate stays constant', async () => {
    const flat = await run({ epochs: 3 }, path.join(tmp, 'flat'));
    const stepped = await run({ epochs: 3, lrSchedule: { type: 'step', every: 1, factor: 0.1 } }, path.join(tmp, 'stepped'));
    expect(lrs(flat)).to.deep.equal([0.01, 0.01, 0.01]);
    expect(stepped.folds[0].members[0].history[0].loss).to.equal(flat.folds[0].members[0].history[0].loss);
    expect(stepped.folds[0].members[0].history[2].loss).to.not.equal(flat.folds[0].members[0].history[2].loss);
  });
});
