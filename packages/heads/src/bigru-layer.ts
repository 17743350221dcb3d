import * as tf from '@tensorflow/tfjs';
import {
  isTraining,
  LayerArgs,
  LayerKwargs,
  mixSeed,
  notBuiltError,
  orthogonalMatrix,
  SeededDropout,
  ShapeMismatchError,
  singleInput,
  singleShape,
} from '@fusion/core/layers';
import { biGruFused } from './gru-fused';
import { biGruHost, useHostRecurrence } from './gru-host';

/** What a FusionBiGru layer returns: the final states, their time mean, or the whole sequence. */
export type BiGruOutput = 'last' | 'mean' | 'sequence';

/**
 * Weights of a bidirectional GRU with H units over D input features. Gate order within each direction's 3H
 * columns is [r (reset) | z (update) | n (candidate)]; direction 0 is forward, 1 backward.
 */
export interface BiGruWeights {
  /** [D, 6H]: forward [r|z|n] then backward [r|z|n]. */
  kernel: tf.Tensor2D;
  /** [6H], input bias, same column order. */
  bias: tf.Tensor1D;
  /** [2, H, 3H]. */
  recurrentKernel: tf.Tensor3D;
  /** [2, 3H]. */
  recurrentBias: tf.Tensor2D;
}

/**
 * A lean bidirectional GRU with plain tf ops (autograd gives the backward pass). Convention "reset after"
 * (Keras `reset_after: true`, PyTorch, CuDNN), per direction:
 *   r = sigmoid(x W_r + b_r + h U_r + c_r)
 *   z = sigmoid(x W_z + b_z + h U_z + c_z)
 *   n = tanh(x W_n + b_n + r * (h U_n + c_n))
 *   h' = (1 - z) * n + z * h            (initial h = 0)
 * Input projections of all steps and both directions are one matMul; each step is one batched matMul per
 * gate group for both directions at once (hidden states stacked [2, B, H], U [2, H, 3H]) plus a dozen
 * elementwise kernels.
 *
 * x: [B, T, D]. Returns [B, 2H] for 'last' (forward final state, then backward final state, i.e. the state
 * after reading x[0]), [B, 2H] for 'mean' (time mean of the output sequence) or [B, T, 2H] for 'sequence'
 * (forward state at t, then backward state at t).
 */
export function biGruForward(x: tf.Tensor3D, w: BiGruWeights, output: BiGruOutput): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, d] = x.shape;
    const h3 = w.recurrentKernel.shape[2];
    const units = h3 / 3;
    if (w.kernel.shape[0] !== d || w.kernel.shape[1] !== 2 * h3) {
      throw new ShapeMismatchError('biGruForward kernel', w.kernel.shape, `[${d}, ${2 * h3}]`);
    }
    // [B*T, 6H] -> [T, 2, B, 3H], the backward direction's steps reversed so step i reads x[T-1-i].
    const proj = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), w.kernel), w.bias);
    const perDir = tf.transpose(tf.reshape(proj, [b, t, 2, h3]), [1, 2, 0, 3]);
    const [fwd, bwd] = tf.split(perDir, 2, 1);
    const steps = tf.concat([fwd, tf.reverse(bwd, 0)], 1);
    // The r/z recurrent biases only add, so they fold into the input projection once.
    const recBiasRz = tf.reshape(tf.slice(w.recurrentBias, [0, 0], [2, 2 * units]), [1, 2, 1, 2 * units]);
    const recBiasN = tf.reshape(tf.slice(w.recurrentBias, [0, 2 * units], [2, units]), [2, 1, units]);
    const xRz = tf.unstack(tf.add(tf.slice(steps, [0, 0, 0, 0], [t, 2, b, 2 * units]), recBiasRz), 0);
    const xN = tf.unstack(tf.slice(steps, [0, 0, 0, 2 * units], [t, 2, b, units]), 0);
    const uRz = tf.slice(w.recurrentKernel, [0, 0, 0], [2, units, 2 * units]);
    const uN = tf.slice(w.recurrentKernel, [0, 0, 2 * units], [2, units, units]);

    let h: tf.Tensor = tf.zeros([2, b, units]);
    const states: tf.Tensor[] = [];
    for (let i = 0; i < t; i++) {
      const rz = tf.sigmoid(tf.add(xRz[i], tf.matMul(h, uRz)));
      const r = tf.slice(rz, [0, 0, 0], [2, b, units]);
      const z = tf.slice(rz, [0, 0, units], [2, b, units]);
      const n = tf.tanh(tf.add(xN[i], tf.mul(r, tf.add(tf.matMul(h, uN), recBiasN))));
      h = tf.add(n, tf.mul(z, tf.sub(h, n)));
      if (output !== 'last') states.push(h);
    }
    if (output === 'last') return tf.reshape(tf.transpose(h, [1, 0, 2]), [b, 2 * units]);
    if (output === 'mean') {
      const mean = tf.div(tf.addN(states), t);
      return tf.reshape(tf.transpose(mean, [1, 0, 2]), [b, 2 * units]);
    }
    const seq = tf.stack(states, 0); // [T, 2, B, H], backward in reversed time
    const [sf, sb] = tf.split(seq, 2, 1);
    const aligned = tf.concat([sf, tf.reverse(sb, 0)], 1);
    return tf.reshape(tf.transpose(aligned, [2, 0, 1, 3]), [b, t, 2 * units]);
  });
}

export interface BiGruArgs extends LayerArgs {
  units: number;
  /** Default 'last'. */
  output?: BiGruOutput;
  /** Dropout on the layer's input sequence (each element independently), training only. Default 0. */
  dropout?: number;
  /** Seeds the initial weights and the dropout stream. */
  seed?: number;
}

/**
 * Bidirectional GRU layer ([B, T, D] -> [B, 2H] or [B, T, 2H]), see `biGruForward`; computed by `biGruFused`
 * (same outputs and gradients, hand-written backward pass through time), or at inference on small batches on
 * host-memory backends by `biGruHost` (same outputs, the recurrence in JavaScript). Input kernels Glorot-uniform
 * per direction, recurrent kernels orthogonal per direction, biases zero; all seeded.
 */
export class FusionBiGru extends tf.layers.Layer {
  static className = 'FusionBiGru';

  readonly units: number;
  readonly outputMode: BiGruOutput;
  readonly rate: number;
  readonly seed: number;
  private readonly dropoutStream: SeededDropout;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private recurrentBias?: tf.LayerVariable;

  constructor(args: BiGruArgs) {
    super(args);
    this.units = args.units;
    this.outputMode = args.output ?? 'last';
    this.rate = args.dropout ?? 0;
    this.seed = args.seed ?? 0;
    if (!Number.isInteger(this.units) || this.units < 1) {
      throw new RangeError(`${FusionBiGru.className}: units ${this.units} received; expected an integer >= 1.`);
    }
    if (!['last', 'mean', 'sequence'].includes(this.outputMode)) {
      throw new RangeError(`${FusionBiGru.className}: output "${this.outputMode}" received; expected "last", "mean" or "sequence".`);
    }
    if (!(this.rate >= 0 && this.rate < 1)) {
      throw new RangeError(`${FusionBiGru.className}: dropout ${this.rate} received; expected a number in [0, 1).`);
    }
    this.dropoutStream = new SeededDropout(mixSeed(this.seed, 99));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    const d = shape[2];
    if (shape.length !== 3 || d == null) throw new ShapeMismatchError(this.name, shape, '[batch, time, features] with features known');
    const h = this.units;
    // Glorot-uniform limit of one direction's [D, 3H] kernel, applied to the [D, 6H] pair.
    const kernelInit = tf.initializers.varianceScaling({
      scale: (d + 6 * h) / (d + 3 * h),
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: mixSeed(this.seed, 1),
    });
    this.kernel = this.addWeight('kernel', [d, 6 * h], 'float32', kernelInit);
    this.bias = this.addWeight('bias', [6 * h], 'float32', tf.initializers.zeros());
    this.recurrentKernel = this.addWeight('recurrent_kernel', [2, h, 3 * h], 'float32', tf.initializers.zeros());
    this.recurrentBias = this.addWeight('recurrent_bias', [2, 3 * h], 'float32', tf.initializers.zeros());
    const u = tf.tidy(() => tf.stack([0, 1].map((dir) => orthogonalMatrix(h, 3 * h, mixSeed(this.seed, 2, dir)))));
    this.recurrentKernel.write(u);
    u.dispose();
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    return this.outputMode === 'sequence' ? [shape[0], shape[1], 2 * this.units] : [shape[0], 2 * this.units];
  }

  /** Multiply-accumulates for one sequence: 3 gates x (input + units) x units per step and direction. */
  macs(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = singleShape(inputShape, this.name);
    return 3 * ((shape[2] as number) + this.units) * this.units * ((shape[1] as number) ?? 1) * 2;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = isTraining(kwargs);
      const x = this.dropoutStream.apply(singleInput(inputs, this.name) as tf.Tensor3D, this.rate, training);
      // Inference on small batches: the recurrence on the host (no kernel launches per step), see gru-host.ts.
      if (!training && useHostRecurrence(x.shape[0])) return biGruHost(x, this.weightsNow(), this.outputMode);
      return biGruFused(x, this.weightsNow(), this.outputMode);
    });
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): BiGruWeights {
    if (!this.kernel || !this.bias || !this.recurrentKernel || !this.recurrentBias) {
      throw notBuiltError(this.name);
    }
    return {
      kernel: this.kernel.read() as tf.Tensor2D,
      bias: this.bias.read() as tf.Tensor1D,
      recurrentKernel: this.recurrentKernel.read() as tf.Tensor3D,
      recurrentBias: this.recurrentBias.read() as tf.Tensor2D,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, output: this.outputMode, dropout: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(FusionBiGru);
