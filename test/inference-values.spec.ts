import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { buildModel, getRegistries, loadSpecFile, selectBackend } from '@fusion/core';
import { createDefaultContainer } from '@fusion/cli';
import { ROOT } from './helpers';

/**
 * Single-window inference keeps its values through speed changes (issue 18): the EmoHEAL model (specs/emoheal.json,
 * seeded weights) on seeded windows, lengths 20 and 160, batches of 1 and 3 (the host BiGRU path), on wasm, against
 * test/fixtures/emoheal-inference.json: the concatenated encoder output (every n-th value), the BiGRU's output and
 * the class probabilities, as the code of commit 70a76c6 (before the inference-path changes) gave them. Written
 * with 9 significant digits (exact for float32).
 */
interface Case {
  encoderEvery: number;
  encoder: number[];
  bigru: number[];
  probs: number[];
}

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'emoheal-inference.json');

function maxDiff(a: ArrayLike<number>, b: readonly number[]): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('EmoHEAL single-window inference values (fixture from before the inference-path changes)', function () {
  this.timeout(120000);
  const golden = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, Case>;

  before(async () => {
    await selectBackend('wasm');
  });

  for (const length of [20, 160]) {
    it(`length ${length}: encoder output, BiGRU output and probabilities equal the fixture (1 and 3 windows)`, () => {
      const container = createDefaultContainer();
      const { spec } = loadSpecFile(path.join(ROOT, 'specs', 'emoheal.json'), container, {});
      const model = buildModel(spec, getRegistries(container), { sensors: spec.sensors, length, classes: 2 }, spec.seed);
      const probe = tf.model({ inputs: model.inputs, outputs: [...['fusion_concat_1', 'head_bigru_1'].map((n) => model.getLayer(n).output as tf.SymbolicTensor), ...model.outputs] });
      try {
        for (const b of [1, 3]) {
          const want = golden[`${length}x${b}`];
          tf.tidy(() => {
            const x = tf.randomNormal([b, length, 5], 0, 1, 'float32', length + b);
            const [enc, gru, probs] = probe.apply(x, { training: false }) as tf.Tensor[];
            const e = enc.dataSync().filter((_, i) => i % want.encoderEvery === 0);
            const label = `length ${length}, ${b} window(s)`;
            // encoder values are small (ReLU outputs of N(0, 0.01) weights): 1e-6 of the largest
            const scale = Math.max(...want.encoder.map(Math.abs));
            expect(maxDiff(e, want.encoder), `${label}: encoder (largest ${scale})`).to.be.at.most(1e-6 * scale);
            expect(maxDiff(gru.dataSync(), want.bigru), `${label}: BiGRU`).to.be.at.most(1e-6);
            expect(maxDiff(probs.dataSync(), want.probs), `${label}: probabilities`).to.be.at.most(1e-6);
          });
        }
      } finally {
        model.dispose();
      }
    });
  }
});
