import * as tf from '@tensorflow/tfjs';
import type { WindowSet } from '@fusion/core';
import { TrainingError } from '@fusion/core';
import { argmaxRows, computeMetrics } from '../eval/metrics';
import { FlatAdamOptimizer } from './flat-adam';
import { gatherWindows, inferProbs, windowTensors } from '@fusion/core';
import { Rng } from '@fusion/core';
import type { TrainingSpec } from '@fusion/core';
import { outputsCrossEntropy, predictOutputProbs, TrainOutput } from './output-loss';
import { scheduledLearningRate } from './lr-schedule';

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss?: number;
  valBalancedAccuracy?: number;
  learningRate: number;
}

export interface TrainResult {
  history: EpochLog[];
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
}

export interface TrainOptions {
  seed: number;
  /** Called after every epoch (progress). */
  onEpoch?: (log: EpochLog) => void;
  /** Where in the run this is, for error messages. */
  label?: string;
  /** Checked between batches; true stops training after the current epoch is logged. */
  shouldStop?: () => boolean;
  /** Several outputs only: the model's outputs, whose labels are `train.ys` (loss: their weighted sum). */
  outputs?: TrainOutput[];
}

function toTensor(w: WindowSet): tf.Tensor3D | tf.Tensor3D[] {
  return windowTensors(w);
}

/** Per-class weights for "balanced": n / (classes * count). */
function classWeights(y: Int32Array, classes: number, mode: TrainingSpec['classWeight']): number[] {
  const w = new Array<number>(classes).fill(1);
  if (mode !== 'balanced') return w;
  const counts = new Array<number>(classes).fill(0);
  y.forEach((c) => counts[c]++);
  return counts.map((c) => (c > 0 ? y.length / (classes * c) : 0));
}

/** Class probabilities for every window, in batches, as one flat [n * classes] array. */
export async function predictProbs(model: tf.LayersModel, w: WindowSet, batchSize = 256): Promise<Float32Array> {
  const n = w.y.length;
  const classes = (model.outputs[0].shape[1] as number) ?? w.classes.length;
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const p = tf.tidy(() => inferProbs(model, windowTensors(w, i, m)));
    out.set(await p.data(), i * classes);
    p.dispose();
  }
  return out;
}

function crossEntropy(probs: Float32Array, y: Int32Array, classes: number, weights: number[]): number {
  let s = 0;
  let wsum = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights[y[i]];
    s -= w * Math.log(Math.max(probs[i * classes + y[i]], 1e-7));
    wsum += w;
  }
  return wsum ? s / wsum : NaN;
}

/**
 * Adam with optional L2 weight decay, seeded shuffling, early stopping on the validation loss (validation subjects
 * only), best weights restored, optional ReduceLROnPlateau. One host read per epoch keeps the hot loop on device.
 */
export async function trainModel(model: tf.LayersModel, train: WindowSet, val: WindowSet | undefined, cfg: TrainingSpec, opts: TrainOptions): Promise<TrainResult> {
  const n = train.y.length;
  if (n === 0) throw new TrainingError(`${opts.label ?? 'training'}: no training windows.`);
  const classes = train.classes.length;
  const rng = new Rng(`${opts.seed}/shuffle`);
  // Per output (one unless opts.outputs): its labels, and one-hot targets carrying its class weights.
  const outs = opts.outputs ?? [{ name: '', classes, lossWeight: 1 }];
  const yOf = (w: WindowSet, k: number): Int32Array => (opts.outputs ? w.ys![outs[k].name] : w.y);
  const optimizer = new FlatAdamOptimizer(cfg.learningRate);
  let lr = cfg.learningRate;
  // With lrSchedule: the plateau reductions so far (a product of factors) times the scheduled rate of the epoch.
  let plateauScale = 1;
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const decayVars = model.trainableWeights.filter((w) => w.shape.length > 1).map((w) => (w as unknown as { val: tf.Variable }).val);
  const X = toTensor(train);
  const Ys = outs.map((o, k) => tf.tidy(() => tf.oneHot(tf.tensor1d(yOf(train, k), 'int32'), o.classes).mul(tf.tensor1d(classWeights(yOf(train, k), o.classes, cfg.classWeight))) as tf.Tensor2D));
  const history: EpochLog[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  let sinceBest = 0;
  let sinceLrBest = 0;
  let lrBest = Infinity;
  let stoppedEarly = false;
  const order = Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      if (cfg.lrSchedule) {
        lr = scheduledLearningRate(cfg.lrSchedule, cfg.learningRate, epoch, cfg.epochs) * plateauScale;
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
      }
      rng.shuffle(order);
      let lossSum: tf.Scalar = tf.scalar(0);
      let batches = 0;
      for (let i = 0; i < n; i += cfg.batchSize) {
        const idx = order.slice(i, i + cfg.batchSize);
        const cost = tf.tidy(() => {
          const it = tf.tensor1d(idx, 'int32');
          const xb = gatherWindows(X, it);
          const ybs = Ys.map((Y) => tf.gather(Y, it));
          return optimizer.minimize(
            () => {
              const ce = outputsCrossEntropy(model.apply(xb, { training: true }) as tf.Tensor | tf.Tensor[], ybs, opts.outputs);
              if (cfg.weightDecay <= 0 || decayVars.length === 0) return ce;
              const l2 = tf.addN(decayVars.map((v) => tf.sum(tf.square(v))));
              return tf.add(ce, tf.mul(cfg.weightDecay / 2, l2)) as tf.Scalar;
            },
            true,
            vars
          ) as tf.Scalar;
        });
        const next = tf.add(lossSum, cost) as tf.Scalar;
        lossSum.dispose();
        cost.dispose();
        lossSum = next;
        batches++;
      }
      const loss = (await lossSum.data())[0] / batches;
      // On the wasm and cpu backends `data()` resolves without a macrotask turn; yield once per epoch so signals
      // (Ctrl-C), timers and IPC messages are handled while training.
      await new Promise<void>((resolve) => setImmediate(resolve));
      lossSum.dispose();
      if (!Number.isFinite(loss)) {
        throw new TrainingError(`${opts.label ?? 'training'}, epoch ${epoch}: the training loss is ${loss}. Lower training.learningRate (now ${lr}), check the inputs for extreme values, or set preprocessing.normalize.`);
      }
      const log: EpochLog = { epoch, loss, learningRate: lr };
      let monitor = loss;
      if (val && val.y.length > 0) {
        const all = opts.outputs ? await predictOutputProbs(model, val) : [await predictProbs(model, val)];
        const probs = all[0];
        if (!all.every((p) => p.every(Number.isFinite))) {
          throw new TrainingError(`${opts.label ?? 'training'}, epoch ${epoch}: the model's outputs on the validation subjects are not finite. Lower training.learningRate (now ${lr}) or check the inputs for extreme values.`);
        }
        // Several outputs: the weighted sum of their (class-unweighted) cross-entropies, what early stopping watches.
        log.valLoss = outs.reduce((sum, o, k) => sum + (opts.outputs ? o.lossWeight : 1) * crossEntropy(all[k], yOf(val, k), o.classes, new Array(o.classes).fill(1)), 0);
        log.valBalancedAccuracy = computeMetrics(val.y, argmaxRows(probs, classes), classes).balancedAccuracy;
        monitor = log.valLoss;
      }
      history.push(log);
      opts.onEpoch?.(log);
      if (monitor < best - 1e-6) {
        best = monitor;
        bestEpoch = epoch;
        sinceBest = 0;
        if (cfg.restoreBest) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else sinceBest++;
      if (cfg.reduceLrOnPlateau) {
        if (monitor < lrBest - 1e-6) {
          lrBest = monitor;
          sinceLrBest = 0;
        } else if (++sinceLrBest > cfg.reduceLrOnPlateau.patience) {
          lr *= cfg.reduceLrOnPlateau.factor;
          plateauScale *= cfg.reduceLrOnPlateau.factor;
          (optimizer as unknown as { learningRate: number }).learningRate = lr;
          sinceLrBest = 0;
        }
      }
      if (val && val.y.length > 0 && cfg.patience > 0 && sinceBest >= cfg.patience) {
        stoppedEarly = true;
        break;
      }
      if (opts.shouldStop?.()) break;
    }
    if (cfg.restoreBest && bestWeights) model.setWeights(bestWeights);
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    tf.dispose(X);
    tf.dispose(Ys);
    optimizer.dispose();
  }
  return { history, bestEpoch, epochsRun: history.length, stoppedEarly };
}
