import * as tf from '@tensorflow/tfjs';
import { LayerArgs, LayerKwargs, notBuiltError, registerClassAlias, ShapeMismatchError, singleInput, singleShape } from '@fusion/core/layers';

/**
 * Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, biased variance
 * (PyTorch `nn.LayerNorm`, Keras `LayerNormalization(axis=-1)`).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}

export interface LayerNormArgs extends LayerArgs {
  /** Added to the variance. Default 1e-5 (PyTorch; tfjs' own layer defaults to 1e-3). */
  epsilon?: number;
}

/**
 * Layer normalisation over the last axis with a learned scale (`gamma`, ones) and offset (`beta`, zeros).
 * Written out rather than `tf.layers.layerNormalization` because the latter tiles its statistics and
 * parameters to the full input shape, and the gradient of `tile` is one slice + add per copy: about 2,600
 * kernels for one [32, 20, 64] normalisation in a training step against a few dozen here.
 */
export class FusionLayerNorm extends tf.layers.Layer {
  static className = 'FusionLayerNorm';

  readonly epsilon: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) {
      throw new RangeError(`${FusionLayerNorm.className}: epsilon ${this.epsilon} received; expected a number > 0.`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    const d = shape[shape.length - 1];
    if (d == null) throw new ShapeMismatchError(this.name, shape, '[..., features] with features known');
    this.gamma = this.addWeight('gamma', [d], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: LayerKwargs): tf.Tensor {
    if (!this.gamma || !this.beta) throw notBuiltError(this.name);
    return layerNorm(singleInput(inputs, this.name), this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FusionLayerNorm);
// The xLSTM head had its own copy of this layer (same weights, config and values); models saved with it still load.
registerClassAlias(FusionLayerNorm, 'FusionXLstmLayerNorm');

/** Former name of `FusionLayerNorm` in the xLSTM head (models saved with it load as `FusionLayerNorm`). */
export const FusionXLstmLayerNorm = FusionLayerNorm;
/** Former name of `LayerNormArgs`. */
export type XLstmLayerNormArgs = LayerNormArgs;
