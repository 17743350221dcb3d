import * as tf from '@tensorflow/tfjs';
import { GradCheckEntry, HeadPlugin, PluginConfig } from '@fusion/core';
import { testContext } from './helpers';

type Mat = number[][];

/** A fixed, irregular matrix (no RNG): entries scale * sin(1.3 (r + 1) + 0.7 (c + 1) * offset). */
export function fixedMatrix(rows: number, cols: number, offset: number, scale = 0.5): Mat {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => scale * Math.sin(1.3 * (r + 1) + 0.7 * (c + 1) * offset + offset)));
}

export interface RefAttention {
  output: Mat;
  /** [H][T][T]. */
  weights: Mat[];
}

/**
 * Plain-array multi-head self-attention of one sequence x [T][D], written from the definition: for each head h,
 * q_i = x_i Wq_h + bq_h (and k, v likewise), a_ij = exp(q_i·k_j / sqrt(K)) / Σ_j' exp(...) over j (j <= i if
 * causal), o_i = [Σ_j a_ij v_j for each head] Wo + bo. Column layout of Wqkv: [Q | K | V], head h at h*K.
 */
export function refAttention(x: Mat, Wqkv: Mat, bqkv: number[], Wo: Mat, bo: number[], H: number, causal: boolean): RefAttention {
  const T = x.length;
  const HK = Wo.length;
  const K = HK / H;
  const proj = x.map((xi) => bqkv.map((b, j) => b + xi.reduce((s, v, i) => s + v * Wqkv[i][j], 0)));
  const col = (part: number, h: number, c: number): number => part * HK + h * K + c;
  const weights: Mat[] = [];
  const concat: Mat = Array.from({ length: T }, () => new Array(HK).fill(0));
  for (let h = 0; h < H; h++) {
    const a: Mat = [];
    for (let i = 0; i < T; i++) {
      const logits: number[] = [];
      for (let j = 0; j < T; j++) {
        let dot = 0;
        for (let c = 0; c < K; c++) dot += proj[i][col(0, h, c)] * proj[j][col(1, h, c)];
        logits.push(causal && j > i ? -Infinity : dot / Math.sqrt(K));
      }
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const sum = e.reduce((s, v) => s + v, 0);
      a.push(e.map((v) => v / sum));
      for (let c = 0; c < K; c++) concat[i][h * K + c] = a[i].reduce((s, aij, j) => s + aij * proj[j][col(2, h, c)], 0);
    }
    weights.push(a);
  }
  const output = concat.map((ci) => bo.map((b, j) => b + ci.reduce((s, v, i) => s + v * Wo[i][j], 0)));
  return { output, weights };
}

/**
 * Finite-difference check of a layer's own variables: perturbs each weight element through `setWeights`
 * and compares (f(w + eps) - f(w - eps)) / 2 eps with `tf.variableGrads`. Returns the failures.
 */
export function layerWeightGradCheck(layer: tf.layers.Layer, loss: () => tf.Scalar, eps = 1e-2, rtol = 3e-2, atol = 1e-3): GradCheckEntry[] {
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const analytic = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dispose();
    return vars.map((v) => grads[v.name].dataSync().slice());
  });
  const failures: GradCheckEntry[] = [];
  const base = layer.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const shapes = layer.getWeights().map((w) => w.shape);
  const evaluate = (): number => tf.tidy(() => loss().dataSync()[0]);
  const set = (): void => {
    const ts = base.map((b, i) => tf.tensor(b, shapes[i]));
    layer.setWeights(ts);
    ts.forEach((t) => t.dispose());
  };
  base.forEach((data, i) => {
    for (let k = 0; k < data.length; k++) {
      const orig = data[k];
      data[k] = orig + eps;
      set();
      const plus = evaluate();
      data[k] = orig - eps;
      set();
      const minus = evaluate();
      data[k] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i][k];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))) failures.push({ input: i, index: k, analytic: a, numeric });
    }
  });
  set();
  return failures;
}

/** A head model [B, T, D] -> head output, built with a fresh test context. */
export function headOnly<C extends PluginConfig>(head: HeadPlugin<C>, config: C, D: number, T: number | null, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [T, D] });
  return tf.model({ inputs: input, outputs: head.apply(input, config, testContext(1, T ?? 12, seed)) });
}

/** Head + dense softmax over 2 classes. */
export function headClassifier<C extends PluginConfig>(head: HeadPlugin<C>, config: C, D: number, T: number, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [T, D] });
  const h = head.apply(input, config, testContext(1, T, seed));
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(h);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

/** 16 sequences; the label depends on the first two steps of feature 0 (so order matters). */
export function toyTask(T: number, D: number): { xs: tf.Tensor; ys: tf.Tensor } {
  return tf.tidy(() => {
    const xs = tf.randomNormal([16, T, D], 0, 1, 'float32', 5);
    const label = tf.cast(tf.greater(tf.sum(tf.slice(xs, [0, 0, 0], [16, 2, 1]), [1, 2]), 0), 'int32') as tf.Tensor1D;
    return { xs, ys: tf.oneHot(label, 2) };
  });
}

/** The same sequences with their time steps in another order. */
export function permuteTime(x: tf.Tensor, order: number[]): tf.Tensor {
  return tf.gather(x, tf.tensor1d(order, 'int32'), 1);
}
