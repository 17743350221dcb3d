import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

interface FlatSlots {
  names: string[];
  shapes: number[][];
  sizes: number[];
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * tfjs's Adam with the same arithmetic, run once over all variables instead of once per variable. tfjs's
 * `AdamOptimizer.applyGradients` launches 14 kernels per variable (about 400 per training step for the EmoHEAL
 * model's 29 weights, a fifth of the step's kernels at window length 20); on wasm every launch costs tens of
 * microseconds whatever its size. Here the gradients and values are flattened and concatenated, the same element-wise
 * operations in the same order (so the same float32 results, bit for bit) run once on the long vectors, and the
 * result is split back: about 110 kernels whatever the number of variables. The moments are two flat vectors.
 *
 * A drop-in for `tf.train.adam(learningRate)` in a custom loop (`minimize` with a fixed variable list);
 * `learningRate` can be changed between steps. Saving or restoring the optimizer's own state (`getWeights`,
 * `setWeights`) is not supported.
 */
export class FlatAdamOptimizer extends tf.AdamOptimizer {
  private flat?: FlatSlots;

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    const present = entries.filter(([, t]) => t != null);
    if (present.length === 0) return;
    const names = present.map(([n]) => n);
    if (this.flat && names.join('\n') !== this.flat.names.join('\n')) {
      throw new Error(`FlatAdamOptimizer: the variables changed between steps (${this.flat.names.length} before, ${names.length} now); use one optimizer per variable list.`);
    }
    const s = this as unknown as AdamState;
    const values = names.map((n) => tf.engine().registeredVariables[n]);
    if (!this.flat) {
      const sizes = values.map((v) => v.size);
      const total = sizes.reduce((a, b) => a + b, 0);
      this.flat = {
        names,
        shapes: values.map((v) => v.shape),
        sizes,
        m: tf.tidy(() => tf.zeros([total]).variable(false)),
        v: tf.tidy(() => tf.zeros([total]).variable(false)),
      };
    }
    const { m, v, shapes, sizes } = this.flat;
    tf.tidy(() => {
      const flatten = (ts: tf.Tensor[]): tf.Tensor1D => (ts.length === 1 ? tf.reshape(ts[0], [-1]) : tf.concat(ts.map((t) => tf.reshape(t, [-1]))));
      const oneMinusAccBeta1 = tf.sub(1, s.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, s.accBeta2);
      const gradient = flatten(present.map(([, t]) => t));
      // The operations of tfjs's AdamOptimizer.applyGradients, in its order.
      const newFirstMoment = tf.add(tf.mul(m, s.beta1), tf.mul(gradient, 1 - s.beta1));
      const newSecondMoment = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(gradient), 1 - s.beta2));
      const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
      const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
      m.assign(newFirstMoment);
      v.assign(newSecondMoment);
      const newValue = tf.add(tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), s.epsilon)), -s.learningRate), flatten(values));
      const parts = values.length === 1 ? [newValue] : tf.split(newValue, sizes);
      values.forEach((value, i) => value.assign(tf.reshape(parts[i], shapes[i])));
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    this.incrementIterations();
  }

  override dispose(): void {
    super.dispose();
    this.flat?.m.dispose();
    this.flat?.v.dispose();
    this.flat = undefined;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    throw new Error('FlatAdamOptimizer does not save its state; use tf.train.adam where the optimizer state must be saved.');
  }

  override async setWeights(): Promise<void> {
    throw new Error('FlatAdamOptimizer does not restore a saved state; use tf.train.adam where the optimizer state must be restored.');
  }
}
