import * as tf from '@tensorflow/tfjs';
import {
  isTraining,
  LayerArgs,
  LayerKwargs,
  mixSeed,
  notBuiltError,
  SeededDropout,
  ShapeMismatchError,
  singleInput,
  singleShape,
} from '@fusion/core/layers';
import { blockDropouts } from './attention-layer';

/** Activation of the Transformer feed-forward block. 'gelu' is the exact erf form (PyTorch `nn.GELU()`). */
export type FeedForwardActivation = 'relu' | 'gelu';

/** GELU, exact: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

export interface TransformerFeedForwardArgs extends LayerArgs {
  /** Hidden units. */
  units: number;
  /** Default 'relu'. */
  activation?: FeedForwardActivation;
  /** Dropout after the activation, training only. Default 0. */
  dropout?: number;
  /** Dropout on the output (the residual branch), training only. Default 0. */
  outputDropout?: number;
  seed?: number;
}

/**
 * The position-wise feed-forward block of a Transformer layer, [B, T, D] -> [B, T, D]:
 * drop(act(x W1 + b1)) W2 + b2, then output dropout (PyTorch `TransformerEncoderLayer` order). Kernels
 * Glorot-uniform, biases zero, seeded; dropouts are seeded streams.
 */
export class FusionTransformerFeedForward extends tf.layers.Layer {
  static className = 'FusionTransformerFeedForward';

  readonly units: number;
  readonly activation: FeedForwardActivation;
  readonly rate: number;
  readonly outputRate: number;
  readonly seed: number;
  private readonly hiddenDropout: SeededDropout;
  private readonly outputDropoutStream: SeededDropout;
  private kernel1?: tf.LayerVariable;
  private bias1?: tf.LayerVariable;
  private kernel2?: tf.LayerVariable;
  private bias2?: tf.LayerVariable;

  constructor(args: TransformerFeedForwardArgs) {
    super(args);
    this.units = args.units;
    this.activation = args.activation ?? 'relu';
    this.rate = args.dropout ?? 0;
    this.outputRate = args.outputDropout ?? 0;
    this.seed = args.seed ?? 0;
    const name = FusionTransformerFeedForward.className;
    if (!Number.isInteger(this.units) || this.units < 1) throw new RangeError(`${name}: units ${this.units} received; expected an integer >= 1.`);
    if (this.activation !== 'relu' && this.activation !== 'gelu') {
      throw new RangeError(`${name}: activation "${this.activation}" received; expected "relu" or "gelu".`);
    }
    [this.hiddenDropout, this.outputDropoutStream] = blockDropouts(name, this.rate, this.outputRate, this.seed);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    const d = shape[shape.length - 1];
    if (shape.length !== 3 || d == null) throw new ShapeMismatchError(this.name, shape, '[batch, time, features] with features known');
    this.kernel1 = this.addWeight('kernel1', [d, this.units], 'float32', tf.initializers.glorotUniform({ seed: mixSeed(this.seed, 1) }));
    this.bias1 = this.addWeight('bias1', [this.units], 'float32', tf.initializers.zeros());
    this.kernel2 = this.addWeight('kernel2', [this.units, d], 'float32', tf.initializers.glorotUniform({ seed: mixSeed(this.seed, 2) }));
    this.bias2 = this.addWeight('bias2', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  /** Multiply-accumulates for one sequence: two position-wise dense layers, d x units and units x d per step. */
  macs(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = singleShape(inputShape, this.name);
    const d = shape[shape.length - 1] as number;
    const t = shape.slice(1, -1).reduce((a: number, b) => a * (b ?? 1), 1);
    return 2 * t * d * this.units;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    if (!this.kernel1 || !this.bias1 || !this.kernel2 || !this.bias2) {
      throw notBuiltError(this.name);
    }
    const [k1, b1, k2, b2] = [this.kernel1.read(), this.bias1.read(), this.kernel2.read(), this.bias2.read()];
    return tf.tidy(() => {
      const training = isTraining(kwargs);
      const x = singleInput(inputs, this.name);
      const [b, t, d] = x.shape;
      const pre = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), k1 as tf.Tensor2D), b1);
      const hidden = this.hiddenDropout.apply(this.activation === 'gelu' ? gelu(pre) : tf.relu(pre), this.rate, training);
      const out = tf.reshape(tf.add(tf.matMul(hidden as tf.Tensor2D, k2 as tf.Tensor2D), b2), [b, t, d]);
      return this.outputDropoutStream.apply(out, this.outputRate, training);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      dropout: this.rate,
      outputDropout: this.outputRate,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(FusionTransformerFeedForward);

/** How a sequence becomes one vector: the time mean, or the last step (natural with a causal mask). */
export type TransformerPoolMode = 'mean' | 'last';

export interface TransformerPoolArgs extends LayerArgs {
  /** Default 'mean'. */
  mode?: TransformerPoolMode;
}

/** [B, T, D] -> [B, D]: time mean or last time step. */
export class FusionTransformerPool extends tf.layers.Layer {
  static className = 'FusionTransformerPool';

  readonly mode: TransformerPoolMode;

  constructor(args: TransformerPoolArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'mean';
    if (this.mode !== 'mean' && this.mode !== 'last') {
      throw new RangeError(`${FusionTransformerPool.className}: mode "${this.mode}" received; expected "mean" or "last".`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    if (shape.length !== 3) throw new ShapeMismatchError(this.name, shape, '[batch, time, features]');
    return [shape[0], shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      const [b, t, d] = x.shape;
      return this.mode === 'mean' ? tf.mean(x, 1) : tf.reshape(tf.slice(x, [0, t - 1, 0], [b, 1, d]), [b, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(FusionTransformerPool);
