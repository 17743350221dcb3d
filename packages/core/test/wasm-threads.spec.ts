import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { FusionError, wasmThreads } from '../src';

/**
 * A child process selects the wasm backend with FUSION_WASM_THREADS=`threads`, computes a product large enough
 * for XNNPACK to split over its thread pool, with its gradients, and prints the backend info and the values.
 */
function child(threads: string): { info: { name: string; threads?: number; threadsNote?: string }; values: number[]; again: { sameBackend: boolean; kept: number[] } } {
  const core = path.resolve(__dirname, '..', 'src');
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { selectBackend } = require(${JSON.stringify(core)});
    selectBackend('wasm').then((info) => {
      const a = tf.randomNormal([256, 96], 0, 1, 'float32', 1);
      const b = tf.randomNormal([96, 80], 0, 1, 'float32', 2);
      const f = (a, b) => tf.sum(tf.square(tf.relu(tf.matMul(a, b))));
      const [da, db] = tf.grads(f)([a, b]);
      const values = [...f(a, b).dataSync(), ...da.dataSync(), ...db.dataSync()];
      // Switching to cpu and back keeps the same wasm backend (and the tensors in its memory).
      const backend = tf.engine().backend;
      const kept = tf.tensor([1, 2, 3]);
      return selectBackend('cpu').then(() => selectBackend('wasm')).then(() => {
        const again = { sameBackend: tf.engine().backend === backend, kept: Array.from(kept.dataSync()) };
        process.stdout.write(JSON.stringify({ info, values, again }));
      });
    });`;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..'),
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, FUSION_WASM_THREADS: threads },
  });
  // A pool thread left holding the event loop would make the child run until the timeout.
  expect(r.status, `${r.stderr} ${r.error ?? ''}`).to.equal(0);
  return JSON.parse(r.stdout);
}

describe('wasm backend threads (real processes)', function () {
  this.timeout(120000);

  it('runs the multi-threaded SIMD build in Node, exits by itself, and computes the same values as one thread', () => {
    const one = child('1');
    const two = child('2');
    expect(one.info.name).to.equal('wasm');
    expect(one.info.threads).to.equal(1);
    expect(two.info.threads, two.info.threadsNote).to.equal(2);
    expect(two.values).to.have.length(one.values.length);
    const worst = Math.max(...one.values.map((v, i) => Math.abs(v - two.values[i]) / Math.max(1, Math.abs(v))));
    expect(worst).to.be.at.most(1e-5);
    for (const c of [one, two]) expect(c.again, `threads ${c.info.threads}: selected again after cpu`).to.deep.equal({ sameBackend: true, kept: [1, 2, 3] });
  });

  it('FUSION_WASM_THREADS must be a whole number from 1 to 8: a named error says so', () => {
    const saved = process.env.FUSION_WASM_THREADS;
    try {
      for (const bad of ['0', '2.5', 'two', '9']) {
        process.env.FUSION_WASM_THREADS = bad;
        expect(() => wasmThreads(), bad).to.throw(FusionError, /FUSION_WASM_THREADS is "[^"]+"; expected a whole number from 1 to 8/);
      }
      process.env.FUSION_WASM_THREADS = '3';
      expect(wasmThreads()).to.equal(3);
    } finally {
      if (saved === undefined) delete process.env.FUSION_WASM_THREADS;
      else process.env.FUSION_WASM_THREADS = saved;
    }
  });
});
