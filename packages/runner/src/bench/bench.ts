import * as tf from '@tensorflow/tfjs';
import { buildModel, multiRateInputs, trainOutputs, windowParts } from '@fusion/core';
import { FlatAdamOptimizer } from '../model/flat-adam';
import { inferProbs } from '@fusion/core';
import { Rng } from '@fusion/core';
import type { Registries } from '@fusion/core';
import type { GraphSpec } from '@fusion/core';

export interface BenchOptions {
  length?: number;
  batch?: number;
  trainSteps?: number;
  inferCalls?: number;
  /** Inference calls for the leak check (1,000 in the published figures). */
  leakCalls?: number;
  backend: string;
  /** Threads of the wasm backend (recorded in the result). */
  threads?: number;
  /** Called as each phase starts, with a line saying what it measures (the CLI prints it on stderr). */
  onPhase?: (line: string) => void;
}

export interface BenchResult {
  backend: string;
  /** wasm: threads of its thread pool. */
  threads?: number;
  spec: string;
  sensors: number;
  length: number;
  /** Inputs at their own rates: each model input's samples per window (`sensors` counts them, `length` is the longest). */
  inputs?: { name: string; rate: number; length: number }[];
  /** Several outputs: their names (training minimises the sum of their loss-weighted cross-entropies). */
  outputs?: string[];
  batch: number;
  parameters: number;
  trainWindowsPerSec: number;
  trainMsPerStep: number;
  kernelsPerTrainStep: number;
  /** Kernels of one single-window inference (`inferProbs` of a [1, length, sensors] batch), from one tf.profile. */
  kernelsPerInference: number;
  inferMsPerWindow: number;
  inferMsPerWindowP95: number;
  inferWindowsPerSecBatched: number;
  peakRssMiB: number;
  peakTensorMiB: number;
  leakedTensors: { perTrainingEpoch: number; per1000Inferences: number };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** Speed and memory of a spec's model on the active backend, with synthetic inputs of the spec's shape. */
export async function benchmarkSpec(spec: GraphSpec, reg: Registries, opts: BenchOptions): Promise<BenchResult> {
  const p = spec.preprocessing;
  const length = opts.length ?? Math.round(p.window * p.sampleRate);
  const batch = opts.batch ?? spec.training.batchSize;
  const C = p.label.classes.length;
  // Inputs at their own rates: one model input each, over the same seconds (--length scales the window at sampleRate).
  const rates = multiRateInputs(spec);
  const parts = rates && windowParts(rates, length / p.sampleRate);
  const S = parts ? parts.length : spec.sensors.length;
  const outs = trainOutputs(spec) ?? [{ name: p.label.target, classes: C, lossWeight: 1 }];
  const steps = opts.trainSteps ?? 20;
  const calls = opts.inferCalls ?? 100;
  const leakCalls = opts.leakCalls ?? 1000;
  let peakRss = process.memoryUsage().rss;
  let peakBytes = tf.memory().numBytes;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
  };
  const phase = opts.onPhase ?? ((): void => undefined);
  const rng = new Rng(`${spec.seed}/bench`);
  phase(parts ? `building the model: inputs ${parts.map((q) => `${q.name} ${q.length}`).join(', ')} samples, batch ${batch}` : `building the model: ${S} sensors x ${length} samples, batch ${batch}`);
  const model = buildModel(spec, reg, { sensors: spec.sensors, length, classes: C, ...(parts ? { parts } : {}) }, spec.seed);
  const optimizer = new FlatAdamOptimizer(spec.training.learningRate);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const xs = parts ? parts.map((q) => tf.randomNormal([batch, q.length, 1], 0, 1, 'float32', rng.seed31())) : [tf.randomNormal([batch, length, S], 0, 1, 'float32', rng.seed31())];
  const x = parts ? xs : xs[0];
  const ys = outs.map((o) => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % o.classes), 'int32'), o.classes));
  const step = (): tf.Scalar =>
    tf.tidy(() =>
      optimizer.minimize(
        () => {
          const out = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
          const ps = Array.isArray(out) ? out : [out];
          const ce = (k: number): tf.Scalar => tf.losses.softmaxCrossEntropy(ys[k], tf.log(tf.clipByValue(ps[k], 1e-7, 1))) as tf.Scalar;
          return ps.length === 1 ? ce(0) : (tf.addN(outs.map((o, k) => tf.mul(o.lossWeight, ce(k)))) as tf.Scalar);
        },
        true,
        vars
      ) as tf.Scalar
    );
  try {
    // Warm-up: kernels compile, optimizer slots appear.
    phase('warm-up: 3 training steps (not timed)');
    for (let i = 0; i < 3; i++) await step().data();
    phase(`training speed: ${steps} timed steps of batch ${batch}`);
    const epochStart = tf.memory().numTensors;
    let last: tf.Scalar | undefined;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      last?.dispose();
      last = step();
      if (i % 5 === 0) sample();
    }
    await last!.data();
    const trainMs = (performance.now() - t0) / steps;
    last!.dispose();
    const leakedTrain = tf.memory().numTensors - epochStart;
    phase('kernels per training step (one profiled step)');
    const prof = await tf.profile(() => step().dispose());
    const kernels = prof.kernels.length;

    const ones = xs.map((t) => tf.slice(t, [0, 0, 0], [1, t.shape[1] as number, t.shape[2] as number]));
    const one = parts ? ones : ones[0];
    for (let i = 0; i < 5; i++) {
      const o = inferProbs(model, one);
      await o.data();
      o.dispose();
    }
    phase('kernels per single-window inference (one profiled call)');
    const kernelsPerInference = (await tf.profile(() => inferProbs(model, one).dispose())).kernels.length;
    phase(`single-window inference latency: ${calls} calls`);
    const lat: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      const o = inferProbs(model, one);
      await o.data();
      o.dispose();
      lat.push(performance.now() - t);
    }
    sample();
    phase(`tensor leaks: ${leakCalls} inference calls`);
    const inferStart = tf.memory().numTensors;
    for (let i = 0; i < leakCalls; i++) {
      const o = inferProbs(model, one);
      await o.data();
      o.dispose();
    }
    const leakedInfer = ((tf.memory().numTensors - inferStart) * 1000) / leakCalls;
    const reps = 10;
    phase(`batched inference: ${reps} calls of ${batch} windows`);
    const tb = performance.now();
    for (let i = 0; i < reps; i++) {
      const o = inferProbs(model, x);
      await o.data();
      o.dispose();
    }
    const batched = (batch * reps) / ((performance.now() - tb) / 1000);
    sample();
    tf.dispose(ones);
    return {
      backend: opts.backend,
      ...(opts.threads ? { threads: opts.threads } : {}),
      spec: spec.name,
      sensors: S,
      length: parts ? Math.max(...parts.map((q) => q.length)) : length,
      ...(parts ? { inputs: parts.map((q) => ({ name: q.name, rate: q.rate, length: q.length })) } : {}),
      ...(outs.length > 1 ? { outputs: outs.map((o) => o.name) } : {}),
      batch,
      parameters: model.countParams(),
      trainWindowsPerSec: (batch * 1000) / trainMs,
      trainMsPerStep: trainMs,
      kernelsPerTrainStep: kernels,
      kernelsPerInference,
      inferMsPerWindow: percentile(lat, 0.5),
      inferMsPerWindowP95: percentile(lat, 0.95),
      inferWindowsPerSecBatched: batched,
      peakRssMiB: peakRss / 2 ** 20,
      peakTensorMiB: peakBytes / 2 ** 20,
      leakedTensors: { perTrainingEpoch: leakedTrain, per1000Inferences: leakedInfer },
    };
  } finally {
    tf.dispose(xs);
    tf.dispose(ys);
    optimizer.dispose();
    model.dispose();
  }
}
