import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { checkOptions } from '@fusion/core/testing';
import { gradCheck } from '@fusion/core';
import { GROUPED_BATCHED_MAX_ROWS } from '@fusion/core/layers';
import {
  casaForward,
  channelAttention,
  FusionTcnCasaBlock,
  resolveTcnCasaConfig,
  spatialAttention,
  tcnBlockForward,
  tcnCasaBlockForward,
  TcnCasaConfig,
  tcnCasaEncoder,
  tcnCasaSchema,
  tcnEncoder,
} from '../src';
import { evalLoss, maxAbsDiff, testContext, trainStep, useBackend } from './helpers';

const S = 3;
const T = 12;

function casaModel(config: Partial<TcnCasaConfig> = {}, seed = 1, sensors = S, length = T): tf.LayersModel {
  const input = tf.input({ shape: [length, sensors, 1] });
  const out = tcnCasaEncoder.apply(input, { type: 'tcn-casa', ...config }, testContext(sensors, length, seed));
  return tf.model({ inputs: input, outputs: out });
}

function classifier(config: Partial<TcnCasaConfig>, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [T, S, 1] });
  const enc = tcnCasaEncoder.apply(input, { type: 'tcn-casa', ...config }, testContext(S, T, seed));
  const flat = tf.layers.flatten().apply(enc) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(flat);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

function toyData(n = 16): { xs: tf.Tensor; ys: tf.Tensor } {
  return tf.tidy(() => {
    const xs = tf.randomNormal([n, T, S, 1], 0, 1, 'float32', 11);
    const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, T - 4, 0, 0], [n, 4, 1, 1]), [1, 2, 3]), 0), 'int32');
    return { xs, ys: tf.oneHot(label as tf.Tensor1D, 2) };
  });
}

/** Scales the N(0, 0.01) TCN kernels (not the attention's) so that the tests see more than the residual path. */
function scaleConvWeights(model: tf.LayersModel, factor: number): void {
  for (const w of model.weights) {
    if (/ca_kernel|sa_kernel/.test(w.originalName)) continue;
    tf.tidy(() => {
      w.write(tf.mul(w.read(), factor));
    });
  }
}

// ---- plain-array reference of CBAM (independent of tfjs) ----
type Arr4 = number[][][][];
const sig = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * h [S][B][T][C], w1 [S][C][H], w2 [S][H][C] -> [S][B][T'][C]; T' = 1 (pools over the whole window) or, when
 * causal, T (pools over steps 0..t).
 */
function refChannel(h: Arr4, w1: number[][][], w2: number[][][], causal = false): Arr4 {
  return h.map((hs, s) =>
    hs.map((hb) => {
      const C = hb[0].length;
      const mlp = (v: number[]): number[] => {
        const hid = w1[s][0].map((_, j) => Math.max(0, v.reduce((a, vc, c) => a + vc * w1[s][c][j], 0)));
        return Array.from({ length: C }, (_, c) => hid.reduce((a, hj, j) => a + hj * w2[s][j][c], 0));
      };
      const ends = causal ? hb.map((_, t) => t + 1) : [hb.length];
      return ends.map((n) => {
        const rows = hb.slice(0, n);
        const avg = Array.from({ length: C }, (_, c) => rows.reduce((a, row) => a + row[c], 0) / n);
        const mx = Array.from({ length: C }, (_, c) => Math.max(...rows.map((row) => row[c])));
        const ma = mlp(avg);
        const mm = mlp(mx);
        return ma.map((v, c) => sig(v + mm[c]));
      });
    })
  );
}

/** h [S][B][T][C], kernel [S][k*2] (row j*2 + ch) -> [S][B][T] */
function refSpatial(h: Arr4, kernel: number[][], k: number, padLeft: number): number[][][] {
  return h.map((hs, s) =>
    hs.map((hb) => {
      const map = hb.map((row) => [row.reduce((a, v) => a + v, 0) / row.length, Math.max(...row)]);
      return map.map((_, t) => {
        let acc = 0;
        for (let j = 0; j < k; j++) {
          const u = t + j - padLeft;
          if (u < 0 || u >= map.length) continue;
          acc += kernel[s][j * 2] * map[u][0] + kernel[s][j * 2 + 1] * map[u][1];
        }
        return sig(acc);
      });
    })
  );
}

function refCasa(h: Arr4, w1: number[][][], w2: number[][][], ks: number[][], k: number, causal: boolean): Arr4 {
  const ca = refChannel(h, w1, w2, causal);
  const padLeft = causal ? k - 1 : Math.floor((k - 1) / 2);
  const h1 = h.map((hs, s) => hs.map((hb, b) => hb.map((row, t) => row.map((v, c) => v * ca[s][b][causal ? t : 0][c]))));
  const sa = refSpatial(h1, ks, k, padLeft);
  return h1.map((hs, s) => hs.map((hb, b) => hb.map((row, t) => row.map((v) => v * sa[s][b][t]))));
}

describe('tcn-casa encoder', () => {
  before(() => useBackend('cpu'));

  it('maps [B, T, S, 1] to [B, T, S, channels[-1]] (and strides like tcn)', () => {
    const m = casaModel({ channels: [4, 5, 6] });
    expect(m.outputs[0].shape).to.deep.equal([null, T, S, 6]);
    expect((m.predict(tf.ones([2, T, S, 1])) as tf.Tensor).shape).to.deep.equal([2, T, S, 6]);
    expect(casaModel({ channels: [4], stride: 5 }).outputs[0].shape).to.deep.equal([null, 3, S, 4]);
    expect(m.layers.slice(1).map((l) => l.getClassName())).to.deep.equal(['FusionTcnCasaBlock', 'FusionTcnCasaBlock', 'FusionTcnCasaBlock']);
  });

  it('channel and spatial attention match a plain-array CBAM for fixed weights (same and causal padding)', () => {
    const G = 2;
    const B = 2;
    const L = 8;
    const C = 3;
    const hidden = 2;
    const k = 5;
    const h = tf.randomNormal([G, B, L, C], 0, 1, 'float32', 31) as tf.Tensor4D;
    const w1 = tf.tensor3d([0.5, -0.3, 0.8, 0.2, -0.6, 0.4, 0.1, 0.9, -0.7, 0.3, 0.6, -0.2], [G, C, hidden]);
    const w2 = tf.tensor3d([0.7, -0.4, 0.2, -0.5, 0.3, 0.9, 0.4, 0.1, -0.8, 0.6, -0.3, 0.5], [G, hidden, C]);
    const ks = tf.tensor3d(Array.from({ length: G * k * 2 }, (_, i) => Math.sin(i + 1) * 0.8), [G, k * 2, 1]);
    const hA = h.arraySync();
    const w1A = w1.arraySync();
    const w2A = w2.arraySync();
    const ksA = (ks.arraySync() as number[][][]).map((g) => g.map((r) => r[0]));

    const ca = channelAttention(h, w1, w2);
    expect(ca.shape).to.deep.equal([G, B, 1, C]);
    expect(maxAbsDiff(ca, tf.tensor(refChannel(hA, w1A, w2A)))).to.be.below(1e-5);
    const caCausal = channelAttention(h, w1, w2, true);
    expect(caCausal.shape).to.deep.equal([G, B, L, C]);
    expect(maxAbsDiff(caCausal, tf.tensor(refChannel(hA, w1A, w2A, true)))).to.be.below(1e-5);
    // the running pools end at the global ones
    expect(maxAbsDiff(tf.slice(caCausal, [0, 0, L - 1, 0], [G, B, 1, C]), ca)).to.be.below(1e-6);

    for (const causal of [false, true]) {
      const padLeft = causal ? k - 1 : 2;
      const sa = spatialAttention(h, ks, { spatialKernel: k, causal }).arraySync(); // [G, B, L, 1]
      const saRef = refSpatial(hA, ksA, k, padLeft);
      for (let g = 0; g < G; g++) for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) expect(sa[g][b][t][0]).to.be.closeTo(saRef[g][b][t], 1e-5);
      const full = casaForward(h, { caKernel1: w1, caKernel2: w2, saKernel: ks }, { spatialKernel: k, causal });
      expect(maxAbsDiff(full, tf.tensor(refCasa(hA, w1A, w2A, ksA, k, causal)))).to.be.below(1e-5);
    }
    // shared weights ([C, H], [H, C], [2k, 1]) apply the same attention to every sensor
    const shared = channelAttention(h, tf.slice(w1, [0, 0, 0], [1, C, hidden]).reshape([C, hidden]) as tf.Tensor2D, tf.slice(w2, [0, 0, 0], [1, hidden, C]).reshape([hidden, C]) as tf.Tensor2D).arraySync();
    const sharedRef = refChannel(hA, [w1A[0], w1A[0]], [w2A[0], w2A[0]]);
    expect(shared[1][1][0][2]).to.be.closeTo(sharedRef[1][1][0][2], 1e-5);
  });

  it('the layer applies CA-SA to the conv output before the residual add (checked against the plain reference)', () => {
    const m = casaModel({ channels: [4], kernelSize: 2, spatialKernel: 3 });
    scaleConvWeights(m, 50);
    const layer = m.layers[1] as FusionTcnCasaBlock;
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 32);
    const y = m.predict(x) as tf.Tensor;
    const w = layer.weightsNow();
    const a = layer.casaWeightsNow();
    const xs = tf.transpose(x, [2, 0, 1, 3]) as tf.Tensor4D;
    const convOut = tcnBlockForward(xs, w, { kernelSize: 2, dilation: 1, residual: false });
    const att = tf.tensor(
      refCasa(
        convOut.arraySync(),
        a.caKernel1.arraySync() as number[][][],
        a.caKernel2.arraySync() as number[][][],
        (a.saKernel.arraySync() as number[][][]).map((g) => g.map((r) => r[0])),
        3,
        false
      )
    );
    const res = tf.add(tf.matMul(tf.reshape(xs, [S, 2 * T, 1]), w.downKernel as tf.Tensor3D), tf.reshape(w.downBias!, [S, 1, 4])).reshape([S, 2, T, 4]);
    const expected = tf.transpose(tf.relu(tf.add(att, res)), [1, 2, 0, 3]);
    expect(maxAbsDiff(y, expected)).to.be.below(1e-5);
    // and the attention does change the block's output
    const plain = tf.transpose(tcnBlockForward(xs, w, { kernelSize: 2, dilation: 1, residual: true }), [1, 2, 0, 3]);
    expect(maxAbsDiff(y, plain)).to.be.above(1e-3);
  });

  it("EmoHEAL's CBAM (default) sees later steps; causalAttention: true is causal", () => {
    const x = tf.randomNormal([2, T, S, 1], 0, 1, 'float32', 33);
    for (const causal of [false, true]) {
      const m = casaModel({ channels: [4, 4], kernelSize: 2, causalAttention: causal });
      scaleConvWeights(m, 50);
      const t0 = 6;
      const x2 = tf.concat([tf.slice(x, [0, 0, 0, 0], [2, t0, S, 1]), tf.randomNormal([2, T - t0, S, 1], 0, 1, 'float32', 34)], 1);
      const y = m.predict(x) as tf.Tensor;
      const y2 = m.predict(x2) as tf.Tensor;
      const before = maxAbsDiff(tf.slice(y, [0, 0, 0, 0], [2, t0, S, 4]), tf.slice(y2, [0, 0, 0, 0], [2, t0, S, 4]));
      if (causal) expect(before).to.equal(0);
      else expect(before).to.be.above(1e-6);
    }
  });

  it('a tcn-casa block matches finite differences (input and every weight)', () => {
    const rnd = (shape: number[], seed: number, sd = 0.7): tf.Tensor => tf.randomNormal(shape, 0, sd, 'float32', seed);
    const x = rnd([2, 1, 5, 1], 40, 1);
    const r = rnd([2, 1, 5, 2], 41, 1);
    const weights = [
      rnd([2, 2, 2], 42),
      rnd([2, 2], 43),
      rnd([2, 4, 2], 44),
      rnd([2, 2], 45),
      rnd([2, 1, 2], 46),
      rnd([2, 2], 47),
      rnd([2, 2, 1], 48, 1),
      rnd([2, 1, 2], 49, 1),
      rnd([2, 6, 1], 50, 1),
    ];
    for (const causal of [false, true]) {
    const res = gradCheck(
      (xi, k1, b1, k2, b2, dk, db, c1, c2, sk) =>
        tf.sum(
          tf.mul(
            tcnCasaBlockForward(
              xi as tf.Tensor4D,
              {
                kernel1: k1 as tf.Tensor3D,
                bias1: b1 as tf.Tensor2D,
                kernel2: k2 as tf.Tensor3D,
                bias2: b2 as tf.Tensor2D,
                downKernel: dk as tf.Tensor3D,
                downBias: db as tf.Tensor2D,
                caKernel1: c1 as tf.Tensor3D,
                caKernel2: c2 as tf.Tensor3D,
                saKernel: sk as tf.Tensor3D,
              },
              { kernelSize: 2, dilation: 2, residual: true, spatialKernel: 3, causal }
            ),
            r
          )
        ),
      [x, ...weights],
      3e-3,
      { rtol: 3e-2, atol: 2e-3 }
    );
    expect(res.ok, `causal ${causal}: ` + JSON.stringify(res.failures.slice(0, 3))).to.equal(true);
    }
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`inference without a tape (no gradient wrappers) gives the taped pass's values bit for bit on ${backend} (EmoHEAL sizes, more than GROUPED_BATCHED_MAX_ROWS rows)`, async () => {
      await useBackend(backend);
      try {
        for (const length of [20, 160]) {
          const model = casaModel({}, 7, 5, length);
          // up to GROUPED_BATCHED_MAX_ROWS rows (batch x length) the untaped conv products are one batched matMul by design
          for (const b of [1, 3].filter((n) => n * length > GROUPED_BATCHED_MAX_ROWS)) {
            const x = tf.randomNormal([b, length, 5, 1], 0, 1, 'float32', length + b);
            const plain = model.apply(x, { training: false }) as tf.Tensor;
            // the same inference pass while a gradient tape records (the custom-gradient paths)
            let taped: tf.Tensor | undefined;
            tf.grad((xi: tf.Tensor) => {
              taped = tf.keep(model.apply(xi, { training: false }) as tf.Tensor);
              return tf.sum(taped);
            })(x).dispose();
            const [p, q] = [plain.dataSync(), taped!.dataSync()];
            const differ = p.filter((v, i) => !Object.is(v, q[i])).length;
            expect(differ, `${backend} length ${length} batch ${b}: values that differ of ${p.length}`).to.equal(0);
            tf.dispose([x, plain, taped!]);
          }
          model.dispose();
        }
      } finally {
        await useBackend('cpu');
      }
    });
  }

  it('has the EmoHEAL parameter count: tcn-casa(25,25,25) on 5 sensors = tcn + 960 (= 213,811 - 212,851)', () => {
    const count = (m: tf.LayersModel): number => m.countParams();
    const casa = casaModel({}, 1, 5, 20);
    const input = tf.input({ shape: [20, 5, 1] });
    const plain = tf.model({ inputs: input, outputs: tcnEncoder.apply(input, { type: 'tcn' }, testContext(5, 20)) });
    expect(count(plain)).to.equal(32500);
    expect(count(casa)).to.equal(33460);
    const shared = casaModel({ shared: true }, 1, 5, 20);
    expect(count(shared)).to.equal(6500 + 3 * (25 + 25 + 14));
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains on the ${backend} backend (loss decreases)`, async function () {
      await useBackend(backend);
      try {
        // causal attention (running pools) checked on wasm, whose kernels are the ones that may be missing
        for (const causalAttention of backend === 'wasm' ? [false, true] : [false]) {
          const m = classifier({ channels: [8, 8], dropout: 0.1, stride: 2, causalAttention }, 3);
          const { xs, ys } = toyData(16);
          const opt = tf.train.adam(2e-2);
          const l0 = evalLoss(m, xs, ys);
          for (let i = 0; i < 15; i++) trainStep(m, opt, xs, ys);
          const l1 = evalLoss(m, xs, ys);
          expect(tf.getBackend()).to.equal(backend);
          expect(l1, `causalAttention ${causalAttention}`).to.be.below(l0 * 0.9);
        }
      } finally {
        await useBackend('cpu');
      }
    });
  }
});

describe('tcn-casa schema', () => {
  it('the schema fills the documented defaults and refuses bad values', () => {
    const validate = (c: Record<string, unknown>): boolean => checkOptions(tcnCasaSchema, c).length === 0;
    const cfg: Record<string, unknown> = { type: 'tcn-casa' };
    expect(validate(cfg)).to.equal(true);
    expect(cfg).to.deep.equal({
      type: 'tcn-casa',
      channels: [25, 25, 25],
      kernelSize: 2,
      dropout: 0.2,
      residual: true,
      shared: false,
      stride: 1,
      reduction: 16,
      spatialKernel: 7,
      causalAttention: false,
    });
    expect(validate({ type: 'tcn-casa', reduction: 0 })).to.equal(false);
    expect(validate({ type: 'tcn-casa', spatial: 7 })).to.equal(false);
    expect(validate({ type: 'tcn', reduction: 4 })).to.equal(false);
    expect(resolveTcnCasaConfig(cfg as TcnCasaConfig)).to.include({ reduction: 16, spatialKernel: 7, causalAttention: false });
  });

  it('FusionTcnCasaBlock config round-trips and rejects bad options', () => {
    const b = new FusionTcnCasaBlock({ filters: 3, kernelSize: 3, dilation: 2, reduction: 4, spatialKernel: 5, causalAttention: true, seed: 5 });
    const clone = FusionTcnCasaBlock.fromConfig(FusionTcnCasaBlock, b.getConfig()) as FusionTcnCasaBlock;
    expect(clone.getConfig()).to.deep.equal(b.getConfig());
    expect(() => new FusionTcnCasaBlock({ filters: 3, spatialKernel: 0 })).to.throw(/spatialKernel 0 received/);
  });
});
