import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import type { ModelContext } from '../plugins';

/**
 * Helpers for testing layers and plugins: shared by every plugin package's tests (and useful to third-party plugin
 * authors), so each package does not carry its own copy.
 */

/** A ModelContext for building plugin graphs in tests. */
export function testContext(sensors = 3, length = 12, seed = 1): ModelContext {
  let next = seed;
  let count = 0;
  return {
    sensors: Array.from({ length: sensors }, (_, i) => `s${i}`),
    length,
    classes: 2,
    nextSeed: () => next++,
    name: (prefix: string) => `${prefix}_${++count}`,
  };
}

/** Switches to the cpu or wasm backend (through the one place that picks backends). */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await selectBackend(name);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Captures a model's artifacts with a save handler and loads them back. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    })
  );
  if (!artifacts) throw new Error('nothing saved');
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Inference-mode cross-entropy of a classifier. */
export function evalLoss(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(ys, model.predict(xs) as tf.Tensor).dataSync()[0]);
}

/** One Adam step with dropout on; leaves no tensors behind but the optimizer's state. */
export function trainStep(model: tf.LayersModel, opt: tf.Optimizer, xs: tf.Tensor, ys: tf.Tensor): void {
  tf.tidy(() => {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar);
  });
}
