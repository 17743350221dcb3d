import * as tf from '@tensorflow/tfjs';
import { LayerArgs, mixSeed, notBuiltError, ShapeMismatchError, singleInput, singleShape } from '@fusion/core/layers';

/** How the attention-weighted sensors are combined. */
export type SensorAttentionOutput = 'sum' | 'concat';

/** The tensors of the sensor attention: score s = v^T tanh(W f + b), shared by all sensors. */
export interface SensorAttentionWeights {
  /** [features, units] */
  kernel: tf.Tensor2D;
  /** [units] */
  bias: tf.Tensor1D;
  /** [units, 1] */
  score: tf.Tensor2D;
}

/**
 * Attention weights over sensors: x [B, T, S, F] -> [B, T, S], softmax over S of v^T tanh(W x[b,t,s] + b).
 * Each time step's weights sum to one.
 */
export function sensorAttentionWeights(x: tf.Tensor4D, w: SensorAttentionWeights): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, s, f] = x.shape;
    const h = tf.tanh(tf.add(tf.matMul(tf.reshape(x, [b * t * s, f]), w.kernel), w.bias)) as tf.Tensor2D;
    const scores = tf.reshape(tf.matMul(h, w.score), [b, t, s]);
    return tf.softmax(scores, -1) as tf.Tensor3D;
  });
}

/**
 * Attention fusion: x [B, T, S, F] -> 'sum': [B, T, F] = sum_s a_s x_s; 'concat': [B, T, S*F] with sensor s's
 * features scaled by S*a_s (so uniform weights leave them unchanged) in columns s*F..(s+1)*F-1.
 */
export function sensorAttentionForward(x: tf.Tensor4D, w: SensorAttentionWeights, output: SensorAttentionOutput): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, s, f] = x.shape;
    const a = tf.expandDims(sensorAttentionWeights(x, w), 3); // [b, t, s, 1]
    if (output === 'sum') return tf.sum(tf.mul(x, a), 2) as tf.Tensor3D;
    return tf.reshape(tf.mul(x, tf.mul(a, s)), [b, t, s * f]) as tf.Tensor3D;
  });
}

export interface SensorAttentionArgs extends LayerArgs {
  /** Hidden units of the scoring MLP. Default 32. */
  units?: number;
  /** 'sum' (default) or 'concat'. */
  output?: SensorAttentionOutput;
  /** Seeds the initial weights. */
  seed?: number;
}

/**
 * Learned weighting of the per-sensor feature maps at each time step (additive attention over sensors, one
 * scoring MLP shared by all sensors): [batch, time, sensors, features] -> [batch, time, features] ('sum') or
 * [batch, time, sensors*features] ('concat'). W and v Glorot-uniform (seeded), b zeros. The time length may
 * be unknown.
 */
export class FusionSensorAttention extends tf.layers.Layer {
  static className = 'FusionSensorAttention';

  readonly units: number;
  readonly outputMode: SensorAttentionOutput;
  readonly seed: number;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private score?: tf.LayerVariable;

  constructor(args: SensorAttentionArgs = {}) {
    super(args);
    this.units = args.units ?? 32;
    this.outputMode = args.output ?? 'sum';
    this.seed = args.seed ?? 0;
    if (!Number.isInteger(this.units) || this.units < 1) {
      throw new RangeError(`${FusionSensorAttention.className}: units ${this.units} received; expected an integer >= 1.`);
    }
    if (this.outputMode !== 'sum' && this.outputMode !== 'concat') {
      throw new RangeError(`${FusionSensorAttention.className}: output '${String(this.outputMode)}' received; expected 'sum' or 'concat'.`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = this.checkShape(inputShape);
    const f = shape[3] as number;
    const glorot = (i: number) => tf.initializers.glorotUniform({ seed: mixSeed(this.seed, i) });
    this.kernel = this.addWeight('kernel', [f, this.units], 'float32', glorot(1));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.score = this.addWeight('score', [this.units, 1], 'float32', glorot(2));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = this.checkShape(inputShape);
    const s = shape[2] as number;
    const f = shape[3] as number;
    return [shape[0], shape[1], this.outputMode === 'sum' ? f : s * f];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      if (x.rank !== 4) throw new ShapeMismatchError(this.name, x.shape, '[batch, time, sensors, features]');
      return sensorAttentionForward(x as tf.Tensor4D, this.weightsNow(), this.outputMode);
    });
  }

  /** The attention weights [B, T, S] the layer gives to each sensor for the input x [B, T, S, F]. */
  attentionWeights(x: tf.Tensor4D): tf.Tensor3D {
    return sensorAttentionWeights(x, this.weightsNow());
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): SensorAttentionWeights {
    if (!this.kernel || !this.bias || !this.score) {
      throw notBuiltError(this.name);
    }
    return {
      kernel: this.kernel.read() as tf.Tensor2D,
      bias: this.bias.read() as tf.Tensor1D,
      score: this.score.read() as tf.Tensor2D,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, output: this.outputMode, seed: this.seed };
  }

  private checkShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    if (shape.length !== 4 || shape[2] == null || shape[3] == null) {
      throw new ShapeMismatchError(this.name, shape, '[batch, time, sensors, features] with sensors and features known');
    }
    return shape;
  }
}
tf.serialization.registerClass(FusionSensorAttention);
