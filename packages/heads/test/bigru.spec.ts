import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { gradCheck } from '@fusion/core';
import { bigruHead, BiGruHeadConfig, bigruSchema, biGruForward, biGruFused, biGruHost, BiGruOutput, BiGruWeights, FusionBiGru, gruMatVec, HOST_RECURRENCE_MAX_BATCH, SIMD_MIN_UNITS, useHostRecurrence } from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

type Mat = number[][];

/** Plain-array GRU, one direction, reset-after convention, gates [r | z | n]; returns the states per step. */
function refGru(xs: Mat, W: Mat, U: Mat, bi: number[], bh: number[], H: number): Mat {
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  let h = new Array(H).fill(0);
  const out: Mat = [];
  for (const x of xs) {
    const gx = bi.map((b, j) => b + x.reduce((s, v, i) => s + v * W[i][j], 0));
    const gh = bh.map((b, j) => b + h.reduce((s, v, i) => s + v * U[i][j], 0));
    const next = h.map((hp, k) => {
      const r = sig(gx[k] + gh[k]);
      const z = sig(gx[H + k] + gh[H + k]);
      const n = Math.tanh(gx[2 * H + k] + r * gh[2 * H + k]);
      return (1 - z) * n + z * hp;
    });
    h = next;
    out.push(h);
  }
  return out;
}

const D = 3;
const T = 5;

function headModel(config: Partial<BiGruHeadConfig>, seed = 1, length: number | null = T): tf.LayersModel {
  const input = tf.input({ shape: [length, D] });
  return tf.model({ inputs: input, outputs: bigruHead.apply(input, { type: 'bigru', ...config }, testContext(1, T, seed)) });
}

const weightsOf = (ts: tf.Tensor[]): BiGruWeights => ({
  kernel: ts[0] as tf.Tensor2D,
  bias: ts[1] as tf.Tensor1D,
  recurrentKernel: ts[2] as tf.Tensor3D,
  recurrentBias: ts[3] as tf.Tensor2D,
});

/** Input [b, t, d] and BiGRU weights for h units, seeded. */
function randomCase(b: number, t: number, d: number, h: number, seed: number): tf.Tensor[] {
  const rnd = (shape: number[], s: number): tf.Tensor => tf.randomNormal(shape, 0, 0.6, 'float32', seed * 10 + s);
  return [rnd([b, t, d], 1), rnd([d, 6 * h], 2), rnd([6 * h], 3), rnd([2, h, 3 * h], 4), rnd([2, 3 * h], 5)];
}

describe('bigru head', () => {
  before(() => useBackend('cpu'));

  it('gives [B, 2H] for last and mean, [B, T, 2H] for inner layers', () => {
    expect(headModel({ units: 4 }).outputs[0].shape).to.deep.equal([null, 8]);
    expect(headModel({ units: 4, output: 'mean' }).outputs[0].shape).to.deep.equal([null, 8]);
    const two = headModel({ units: 4, layers: 2 });
    expect((two.layers[1].output as tf.SymbolicTensor).shape).to.deep.equal([null, T, 8]);
    expect(two.outputs[0].shape).to.deep.equal([null, 8]);
    expect((two.predict(tf.ones([2, T, D])) as tf.Tensor).shape).to.deep.equal([2, 8]);
    expect((headModel({ units: 4 }, 1, null).predict(tf.ones([2, 9, D])) as tf.Tensor).shape).to.deep.equal([2, 8]);
  });

  it('matches a plain-array GRU in both directions (sequence, last and mean)', () => {
    const H = 2;
    const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 0.8, 'float32', seed);
    const [Wf, Wb, Uf, Ub, bif, bib, bhf, bhb] = [
      rnd([D, 3 * H], 1), rnd([D, 3 * H], 2), rnd([H, 3 * H], 3), rnd([H, 3 * H], 4),
      rnd([3 * H], 5), rnd([3 * H], 6), rnd([3 * H], 7), rnd([3 * H], 8),
    ];
    const w = {
      kernel: tf.concat([Wf, Wb], 1) as tf.Tensor2D,
      bias: tf.concat([bif, bib]) as tf.Tensor1D,
      recurrentKernel: tf.stack([Uf, Ub]) as tf.Tensor3D,
      recurrentBias: tf.stack([bhf, bhb]) as tf.Tensor2D,
    };
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 9) as tf.Tensor3D;
    const xa = x.arraySync();
    const a = (t: tf.Tensor): Mat => t.arraySync() as Mat;
    const expectedSeq = xa.map((xb) => {
      const f = refGru(xb, a(Wf), a(Uf), bif.arraySync() as number[], bhf.arraySync() as number[], H);
      const b = refGru([...xb].reverse(), a(Wb), a(Ub), bib.arraySync() as number[], bhb.arraySync() as number[], H).reverse();
      return f.map((hf, t) => [...hf, ...b[t]]);
    });
    const seq = biGruForward(x, w, 'sequence');
    expect(maxAbsDiff(seq, tf.tensor(expectedSeq))).to.be.below(1e-5);
    const expectedLast = expectedSeq.map((s) => [...s[T - 1].slice(0, H), ...s[0].slice(H)]);
    expect(maxAbsDiff(biGruForward(x, w, 'last'), tf.tensor(expectedLast))).to.be.below(1e-5);
    const expectedMean = expectedSeq.map((s) => s[0].map((_, k) => s.reduce((acc, row) => acc + row[k], 0) / T));
    expect(maxAbsDiff(biGruForward(x, w, 'mean'), tf.tensor(expectedMean))).to.be.below(1e-5);
  });

  it('matches finite differences (input and every weight)', () => {
    const H = 2;
    const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 0.7, 'float32', seed);
    const inputs = [rnd([1, 3, 2], 1), rnd([2, 6 * H], 2), rnd([6 * H], 3), rnd([2, H, 3 * H], 4), rnd([2, 3 * H], 5)];
    const r = rnd([1, 3, 2 * H], 6);
    for (const output of ['sequence', 'last'] as const) {
      const res = gradCheck((x, k, b, u, c) => {
        const y = biGruForward(x as tf.Tensor3D, { kernel: k as tf.Tensor2D, bias: b as tf.Tensor1D, recurrentKernel: u as tf.Tensor3D, recurrentBias: c as tf.Tensor2D }, output);
        return tf.sum(tf.mul(y, output === 'sequence' ? r : tf.squeeze(tf.slice(r, [0, 2, 0], [1, 1, 2 * H]), [1])));
      }, inputs);
      expect(res.ok, `${output}: ${JSON.stringify(res.failures.slice(0, 3))}`).to.equal(true);
    }
  });

  describe('fused (customGrad) implementation', () => {
    const outputs: BiGruOutput[] = ['last', 'mean', 'sequence'];

    for (const backend of ['cpu', 'wasm'] as const) {
      it(`gives the outputs and gradients of the autograd version on ${backend} (every output mode, T = 1 and longer)`, async () => {
        await useBackend(backend);
        try {
          for (const [b, t, d, h] of [[3, 7, 4, 5], [2, 1, 3, 2], [1, 12, 6, 8]]) {
            for (const output of outputs) {
              tf.tidy(() => {
                const inputs = randomCase(b, t, d, h, b + t);
                const r = tf.randomNormal(output === 'sequence' ? [b, t, 2 * h] : [b, 2 * h], 0, 1, 'float32', 77);
                const loss = (impl: typeof biGruFused) => (...xs: tf.Tensor[]): tf.Scalar =>
                  tf.sum(tf.mul(impl(xs[0] as tf.Tensor3D, weightsOf(xs.slice(1)), output), r));
                const label = `${backend} ${output} B${b} T${t}`;
                expect(maxAbsDiff(biGruFused(inputs[0] as tf.Tensor3D, weightsOf(inputs.slice(1)), output),
                  biGruForward(inputs[0] as tf.Tensor3D, weightsOf(inputs.slice(1)), output)), label).to.be.below(1e-5);
                const gFused = tf.grads(loss(biGruFused))(inputs);
                // The autograd version cannot differentiate T = 1 (tfjs's Unpack gradient with a single output
                // calls stack on a lone tensor); finite differences cover that case below.
                if (t === 1) return;
                const gRef = tf.grads(loss(biGruForward))(inputs);
                gRef.forEach((g, i) => {
                  expect(gFused[i].shape, `${label} grad ${i}`).to.deep.equal(g.shape);
                  expect(maxAbsDiff(gFused[i], g), `${label} grad ${i}`).to.be.below(1e-4);
                });
              });
            }
          }
        } finally {
          await useBackend('cpu');
        }
      });
    }

    it('matches finite differences (input and every weight, every output mode, T = 3 and T = 1)', () => {
      for (const [t, output] of [...outputs.map((o) => [3, o] as const), ...outputs.map((o) => [1, o] as const)]) {
        const inputs = randomCase(2, t, 2, 2, 5);
        const r = tf.randomNormal(output === 'sequence' ? [2, t, 4] : [2, 4], 0, 1, 'float32', 6);
        const res = gradCheck((x, k, b, u, c) =>
          tf.sum(tf.mul(biGruFused(x as tf.Tensor3D, weightsOf([k, b, u, c]), output), r)), inputs);
        expect(res.ok, `T${t} ${output}: ${JSON.stringify(res.failures.slice(0, 3))}`).to.equal(true);
      }
    });

    it('gives the layer the gradients of the autograd version through stacked layers', () => {
      const m = headModel({ units: 3, layers: 2, dropout: 0.3, output: 'mean' }, 4);
      const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 8);
      const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      // Same dropout masks on both passes: the layers' streams restart from the same seeds.
      const viaLayer = tf.variableGrads(() => tf.sum(m.apply(x, { training: false }) as tf.Tensor) as tf.Scalar, vars);
      const viaRef = tf.variableGrads(() => {
        const w1 = (m.layers[1] as FusionBiGru).weightsNow();
        const w2 = (m.layers[2] as FusionBiGru).weightsNow();
        return tf.sum(biGruForward(biGruForward(x as tf.Tensor3D, w1, 'sequence') as tf.Tensor3D, w2, 'mean')) as tf.Scalar;
      }, vars);
      for (const k of Object.keys(viaRef.grads)) expect(maxAbsDiff(viaLayer.grads[k], viaRef.grads[k]), k).to.be.below(1e-5);
    });

    it('leaves no tensors behind in inference and in training', () => {
      const inputs = randomCase(2, 4, 3, 2, 9);
      const before = tf.memory().numTensors;
      for (const output of outputs) {
        tf.tidy(() => biGruFused(inputs[0] as tf.Tensor3D, weightsOf(inputs.slice(1)), output)).dispose();
        tf.dispose(tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => tf.sum(biGruFused(xs[0] as tf.Tensor3D, weightsOf(xs.slice(1)), output)) as tf.Scalar)(inputs)));
      }
      expect(tf.memory().numTensors).to.equal(before);
    });
  });

  describe('host recurrence (small-batch inference)', () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      it(`gives the outputs of the autograd version on ${backend} (every output mode, B = 1 and 3, T = 1 and longer, units not a multiple of 4)`, async () => {
        await useBackend(backend);
        try {
          for (const [b, t, d, h] of [[1, 1, 3, 5], [1, 9, 4, 5], [3, 7, 4, 6], [2, 20, 6, 8], [1, 3, 2, 1]]) {
            for (const output of ['last', 'mean', 'sequence'] as const) {
              tf.tidy(() => {
                const inputs = randomCase(b, t, d, h, b * 7 + t + h);
                const w = weightsOf(inputs.slice(1));
                const host = biGruHost(inputs[0] as tf.Tensor3D, w, output);
                const ref = biGruForward(inputs[0] as tf.Tensor3D, w, output);
                const label = `${backend} ${output} B${b} T${t} H${h}`;
                expect(host.shape, label).to.deep.equal(ref.shape);
                expect(maxAbsDiff(host, ref), label).to.be.below(1e-5);
              });
            }
          }
        } finally {
          await useBackend('cpu');
        }
      });
    }

    it('takes the product h U + c in WebAssembly SIMD from SIMD_MIN_UNITS units on, with the JavaScript loop\'s bits', () => {
      expect(gruMatVec(), 'WebAssembly SIMD in Node').to.not.equal(undefined);
      for (const [b, t, d, h] of [[1, 20, 5, SIMD_MIN_UNITS], [2, 9, 7, 64], [1, 1, 3, 36]]) {
        for (const output of ['last', 'mean', 'sequence'] as const) {
          tf.tidy(() => {
            const inputs = randomCase(b, t, d, h, b + t + h);
            const w = weightsOf(inputs.slice(1));
            const simd = biGruHost(inputs[0] as tf.Tensor3D, w, output).dataSync();
            const js = biGruHost(inputs[0] as tf.Tensor3D, w, output, false).dataSync();
            const label = `${output} B${b} T${t} H${h}`;
            expect(simd.length, label).to.equal(js.length);
            expect(simd.every((v, i) => Object.is(v, js[i])), `${label}: identical bit for bit`).to.equal(true);
            const ref = biGruForward(inputs[0] as tf.Tensor3D, w, output).dataSync();
            expect(Math.max(...Array.from(simd, (v, i) => Math.abs(v - ref[i]))), label).to.be.below(1e-5);
          });
        }
      }
    });

    it('at the EmoHEAL head size (H = 64, the SIMD product) gives the fused training path\'s outputs within 2e-6, leaving no tensors', async () => {
      await useBackend('wasm');
      try {
        const rnd = (shape: number[], s: number): tf.Tensor => tf.randomNormal(shape, 0, 0.15, 'float32', 40 + s);
        const [x, ...ws] = [rnd([1, 160, 25], 1), rnd([25, 6 * 64], 2), rnd([6 * 64], 3), rnd([2, 64, 3 * 64], 4), rnd([2, 3 * 64], 5)];
        const w = weightsOf(ws);
        const before = tf.memory().numTensors;
        for (const output of ['last', 'mean', 'sequence'] as const) {
          const host = biGruHost(x as tf.Tensor3D, w, output);
          const fused = tf.tidy(() => biGruFused(x as tf.Tensor3D, w, output));
          expect(maxAbsDiff(host, fused), output).to.be.below(2e-6);
          tf.dispose([host, fused]);
        }
        expect(tf.memory().numTensors).to.equal(before);
        tf.dispose([x, ...ws]);
      } finally {
        await useBackend('cpu');
      }
    });

    it('the SIMD product gives the float64 bits of the loop g = c; g += ((h0 u0 + h1 u1) + h2 u2) + h3 u3 per 4 rows', () => {
      const mv = gruMatVec()!;
      for (const units of [4, 32, 64]) {
        mv.prepare(units);
        const h3 = 3 * units;
        let s = units;
        const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 3;
        for (const a of [mv.u, mv.c, mv.h]) for (let i = 0; i < a.length; i++) a[i] = rnd();
        for (const dir of [0, 1]) {
          mv.run(dir);
          const { u, c, h, g } = mv;
          for (let j = 0; j < h3; j++) {
            let want = c[dir * h3 + j];
            for (let k = 0; k < units; k += 4) {
              const r = (kk: number): number => u[(dir * units + kk) * h3 + j];
              want += h[k] * r(k) + h[k + 1] * r(k + 1) + h[k + 2] * r(k + 2) + h[k + 3] * r(k + 3);
            }
            expect(Object.is(g[j], want), `H${units} dir ${dir} column ${j}: ${g[j]} vs ${want}`).to.equal(true);
          }
        }
      }
    });

    it('rejects a kernel that does not fit the input, naming the shapes', () => {
      const inputs = randomCase(1, 3, 4, 2, 1);
      expect(() => biGruHost(tf.zeros([1, 3, 5]) as tf.Tensor3D, weightsOf(inputs.slice(1)), 'last')).to.throw(/biGruHost kernel/);
    });

    it('is chosen only for small batches, without a gradient tape, on host-memory backends', () => {
      expect(useHostRecurrence(1)).to.equal(true);
      expect(useHostRecurrence(HOST_RECURRENCE_MAX_BATCH)).to.equal(true);
      expect(useHostRecurrence(HOST_RECURRENCE_MAX_BATCH + 1)).to.equal(false);
      let underTape: boolean | undefined;
      tf.grad((x: tf.Tensor) => {
        underTape = useHostRecurrence(1);
        return tf.sum(x);
      })(tf.ones([2]));
      expect(underTape).to.equal(false);
    });

    it('the layer predicts the same for one window and for a few as inside a large batch (fused path)', () => {
      const m = headModel({ units: 5, layers: 2, output: 'mean' }, 3);
      const big = tf.randomNormal([HOST_RECURRENCE_MAX_BATCH + 4, T, D], 0, 1, 'float32', 12);
      const all = m.predict(big) as tf.Tensor; // fused path (batch above the host limit)
      for (const i of [0, 5, HOST_RECURRENCE_MAX_BATCH + 3]) {
        const one = m.predict(tf.slice(big, [i, 0, 0], [1, T, D])) as tf.Tensor; // host path
        expect(maxAbsDiff(one, tf.slice(all, [i, 0], [1, 10])), `window ${i}`).to.be.below(1e-5);
      }
      const three = m.predict(tf.slice(big, [2, 0, 0], [3, T, D])) as tf.Tensor;
      expect(maxAbsDiff(three, tf.slice(all, [2, 0], [3, 10]))).to.be.below(1e-5);
    });

    it('still gives gradients when an inference pass is differentiated (saliency)', () => {
      const m = headModel({ units: 3, output: 'last' }, 2);
      const x = tf.randomNormal([1, T, D], 0, 1, 'float32', 4);
      const g = tf.grad((xi: tf.Tensor) => tf.sum(m.apply(xi, { training: false }) as tf.Tensor))(x);
      const w = (m.layers[1] as FusionBiGru).weightsNow();
      const ref = tf.grad((xi: tf.Tensor) => tf.sum(biGruForward(xi as tf.Tensor3D, w, 'last')))(x);
      expect(maxAbsDiff(g, ref)).to.be.below(1e-5);
      expect(tf.max(tf.abs(g)).dataSync()[0]).to.be.above(0);
    });

    it('leaves no tensors behind', () => {
      const inputs = randomCase(2, 4, 3, 2, 9);
      const m = headModel({ units: 3, layers: 2 }, 5);
      const x = tf.randomNormal([1, T, D], 0, 1, 'float32', 3);
      tf.dispose(m.predict(x) as tf.Tensor);
      const before = tf.memory().numTensors;
      for (const output of ['last', 'mean', 'sequence'] as const) {
        biGruHost(inputs[0] as tf.Tensor3D, weightsOf(inputs.slice(1)), output).dispose();
      }
      for (let i = 0; i < 20; i++) tf.dispose(m.predict(x) as tf.Tensor);
      expect(tf.memory().numTensors).to.equal(before);
    });
  });

  it('gives identical initial weights for the same seed, an orthogonal recurrent kernel, and others for another seed', () => {
    const a = headModel({ units: 4 }, 7).getWeights();
    const b = headModel({ units: 4 }, 7).getWeights();
    const c = headModel({ units: 4 }, 8).getWeights();
    a.forEach((w, i) => expect(maxAbsDiff(w, b[i])).to.equal(0));
    expect(maxAbsDiff(a[0], c[0])).to.be.above(0);
    const u = a[2]; // [2, H, 3H], rows orthonormal per direction
    const gram = tf.matMul(u, u, false, true);
    expect(maxAbsDiff(gram, tf.stack([tf.eye(4), tf.eye(4)]))).to.be.below(1e-5);
  });

  it('uses input dropout only when training, reproducibly', () => {
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 4);
    const outs = [1, 2].map(() => {
      const m = headModel({ units: 3, dropout: 0.5 });
      return [m.apply(x, { training: true }), m.apply(x, { training: true }), m.predict(x), m.predict(x)] as tf.Tensor[];
    });
    expect(maxAbsDiff(outs[0][0], outs[1][0])).to.equal(0);
    expect(maxAbsDiff(outs[0][0], outs[0][1])).to.be.above(0);
    expect(maxAbsDiff(outs[0][2], outs[0][3])).to.equal(0);
  });

  function classifier(seed: number): tf.LayersModel {
    const input = tf.input({ shape: [T, D] });
    const h = bigruHead.apply(input, { type: 'bigru', units: 8, dropout: 0.1 }, testContext(1, T, seed));
    const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(h);
    return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  }
  function toy(): { xs: tf.Tensor; ys: tf.Tensor } {
    return tf.tidy(() => {
      const xs = tf.randomNormal([16, T, D], 0, 1, 'float32', 5);
      const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, 0, 0], [16, 2, 1]), [1, 2]), 0), 'int32') as tf.Tensor1D;
      return { xs, ys: tf.oneHot(label, 2) };
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        const m = classifier(2);
        const { xs, ys } = toy();
        const opt = tf.train.adam(2e-2);
        const l0 = evalLoss(m, xs, ys);
        for (let i = 0; i < 15; i++) trainStep(m, opt, xs, ys);
        expect(tf.getBackend()).to.equal(backend);
        expect(evalLoss(m, xs, ys)).to.be.below(l0 * 0.9);
      } finally {
        await useBackend('cpu');
      }
    });
  }
});

describe('bigru schema', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(bigruSchema, c).length === 0;
    const cfg = { type: 'bigru' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({ type: 'bigru', units: 64, layers: 1, dropout: 0, output: 'last' });
    expect(validate({ type: 'bigru', output: 'first' })).to.equal(false);
  });

  it('the layer config is complete', () => {
    const l = new FusionBiGru({ units: 5, output: 'sequence', dropout: 0.25, seed: 9 });
    const clone = FusionBiGru.fromConfig(FusionBiGru, l.getConfig()) as FusionBiGru;
    expect(clone.getConfig()).to.deep.equal(l.getConfig());
    expect(clone.getConfig()).to.include({ units: 5, output: 'sequence', dropout: 0.25, seed: 9 });
  });
});
