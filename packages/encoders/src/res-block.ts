import * as tf from '@tensorflow/tfjs';
import { groupedPointwise, mixSeed, notBuiltError, SensorBlockArgs, SensorBlockLayer } from '@fusion/core/layers';
import { shiftConv1d, shiftPadLeft } from './shift-conv';

/** One batch normalisation: [S, C] tensors when grouped per sensor, [C] when shared by all sensors. */
export interface BatchNormWeights {
  gamma: tf.Tensor1D | tf.Tensor2D;
  beta: tf.Tensor1D | tf.Tensor2D;
  movingMean: tf.Tensor1D | tf.Tensor2D;
  movingVariance: tf.Tensor1D | tf.Tensor2D;
}

/** Batch statistics of one batch normalisation in training mode, shaped like its gamma. */
export interface BatchStats {
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * Batch normalisation of sensor-major data x [S, B, T, C]. Grouped weights ([S, C]) normalise each sensor's
 * channels with their own statistics (over batch and time); shared ones ([C]) pool the statistics over
 * sensors too. Training: batch mean and (biased) variance, returned in `stats` for the moving averages;
 * inference: the moving statistics.
 */
export function batchNorm(
  x: tf.Tensor4D,
  w: BatchNormWeights,
  training: boolean,
  epsilon: number
): { y: tf.Tensor4D; stats?: BatchStats } {
  const grouped = w.gamma.rank === 2;
  const [g, , , c] = x.shape;
  const full = grouped ? [g, 1, 1, c] : [c];
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  let stats: BatchStats | undefined;
  if (training) {
    const m = tf.moments(x, grouped ? [1, 2] : [0, 1, 2], true);
    mean = m.mean;
    variance = m.variance;
    stats = { mean: tf.reshape(mean, w.gamma.shape), variance: tf.reshape(variance, w.gamma.shape) };
  } else {
    mean = tf.reshape(w.movingMean, full);
    variance = tf.reshape(w.movingVariance, full);
  }
  const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), tf.reshape(w.gamma, full));
  const y = tf.add(tf.mul(tf.sub(x, mean), scale), tf.reshape(w.beta, full)) as tf.Tensor4D;
  return { y, stats };
}

/** The tensors of one residual block; grouped kernels [S, k*cin, cout], shared ones [k*cin, cout]. */
export interface ResBlockWeights {
  kernel1: tf.Tensor2D | tf.Tensor3D;
  bn1: BatchNormWeights;
  kernel2: tf.Tensor2D | tf.Tensor3D;
  bn2: BatchNormWeights;
  /** 1x1 projection + BN of the shortcut when cin != cout. */
  shortcutKernel?: tf.Tensor2D | tf.Tensor3D;
  shortcutBn?: BatchNormWeights;
}

export interface ResBlockOptions {
  kernelSize: number;
  training: boolean;
  epsilon: number;
  /** Applied to the block's output; identity when omitted. */
  dropout?: (x: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * One 1-D ResNet basic block on sensor-major data x [S, B, T, cin] -> [S, B, T, cout]:
 * ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut), shortcut = BN(1x1 conv(x)) when cin != cout, else x; then
 * dropout. Convolutions are 'same' (centred), stride 1, without bias (BN follows), as shifted copies + matMul.
 * In training mode `stats` lists the batch statistics of bn1, bn2 and (if any) the shortcut BN, in that order.
 */
export function resBlockForward(x: tf.Tensor4D, w: ResBlockWeights, opts: ResBlockOptions): { y: tf.Tensor4D; stats: BatchStats[] } {
  const k = opts.kernelSize;
  const pad = shiftPadLeft(k, 'same');
  const stats: BatchStats[] = [];
  const bn = (t: tf.Tensor4D, p: BatchNormWeights): tf.Tensor4D => {
    const r = batchNorm(t, p, opts.training, opts.epsilon);
    if (r.stats) stats.push(r.stats);
    return r.y;
  };
  let h = tf.relu(bn(shiftConv1d(x, w.kernel1, k, pad), w.bn1)) as tf.Tensor4D;
  h = bn(shiftConv1d(h, w.kernel2, k, pad), w.bn2);
  const res = w.shortcutKernel && w.shortcutBn ? bn(groupedPointwise(x, w.shortcutKernel), w.shortcutBn) : x;
  const y = tf.relu(tf.add(h, res)) as tf.Tensor4D;
  return { y: opts.dropout ? opts.dropout(y) : y, stats };
}

export interface ResBlock1dArgs extends SensorBlockArgs {
  /** Taps per convolution ('same' padding). Default 3. */
  kernelSize?: number;
  /** Moving-average momentum of the BN statistics (Keras convention: new = m*old + (1-m)*batch). Default 0.99. */
  momentum?: number;
  /** Added to the variance in BN. Default 1e-3. */
  epsilon?: number;
}

interface BnVariables {
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/**
 * A 1-D ResNet basic block with batch normalisation applied to every sensor: [batch, time, sensors, cin] ->
 * [batch, time, sensors, filters]. Weights and BN statistics are grouped per sensor (or shared with
 * `shared`). The BN is written here (not `tf.layers.batchNormalization`, which normalises one axis only, so it
 * could not keep per-sensor statistics): gamma/beta trainable, moving mean/variance non-trainable weights
 * updated in `call` when training (as tfjs' own BatchNormalization does), used at inference.
 * Conv kernels He-normal (seeded), no conv biases.
 */
export class FusionResBlock1d extends SensorBlockLayer {
  static className = 'FusionResBlock1d';

  readonly momentum: number;
  readonly epsilon: number;
  private kernel1?: tf.LayerVariable;
  private kernel2?: tf.LayerVariable;
  private shortcutKernel?: tf.LayerVariable;
  private bn1?: BnVariables;
  private bn2?: BnVariables;
  private shortcutBn?: BnVariables;

  constructor(args: ResBlock1dArgs) {
    super(args, 3);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.checkFraction('momentum', this.momentum);
    if (!(this.epsilon > 0)) throw new RangeError(`${FusionResBlock1d.className}: epsilon ${this.epsilon} received; expected a number > 0.`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { channels: cin, lead } = this.groupShape(inputShape);
    const k = this.kernelSize;
    const f = this.filters;
    const he = (i: number, fanIn: number) => tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanIn), seed: mixSeed(this.seed, i) });
    const bnVars = (prefix: string): BnVariables => ({
      gamma: this.addWeight(`${prefix}_gamma`, [...lead, f], 'float32', tf.initializers.ones()),
      beta: this.addWeight(`${prefix}_beta`, [...lead, f], 'float32', tf.initializers.zeros()),
      movingMean: this.addWeight(`${prefix}_moving_mean`, [...lead, f], 'float32', tf.initializers.zeros(), undefined, false),
      movingVariance: this.addWeight(`${prefix}_moving_variance`, [...lead, f], 'float32', tf.initializers.ones(), undefined, false),
    });
    this.kernel1 = this.addWeight('kernel1', [...lead, k * cin, f], 'float32', he(1, k * cin));
    this.bn1 = bnVars('bn1');
    this.kernel2 = this.addWeight('kernel2', [...lead, k * f, f], 'float32', he(2, k * f));
    this.bn2 = bnVars('bn2');
    if (cin !== f) {
      this.shortcutKernel = this.addWeight('shortcut_kernel', [...lead, cin, f], 'float32', he(3, cin));
      this.shortcutBn = bnVars('shortcut_bn');
    }
    this.built = true;
  }

  /** Per sensor and step: two k-tap convolutions and the 1x1 shortcut. */
  protected override stepMacs(cin: number): number {
    const k = this.kernelSize;
    const f = this.filters;
    return k * cin * f + k * f * f + (cin !== f ? cin * f : 0);
  }

  protected override forwardSensorMajor(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const { y, stats } = resBlockForward(x, this.weightsNow(), {
      kernelSize: this.kernelSize,
      training,
      epsilon: this.epsilon,
      dropout: this.dropoutFor(training),
    });
    if (training) this.updateMovingStats(stats);
    return y;
  }

  /** moving <- momentum * moving + (1 - momentum) * batch, for every BN of the block (as tfjs' BatchNormalization). */
  private updateMovingStats(stats: BatchStats[]): void {
    const bns = [this.bn1, this.bn2, this.shortcutBn].filter((b): b is BnVariables => b !== undefined);
    if (bns.length !== stats.length) throw new Error(`${this.name}: ${stats.length} batch statistics for ${bns.length} batch normalisations.`);
    const decay = 1 - this.momentum;
    bns.forEach((bn, i) => {
      for (const [v, batch] of [
        [bn.movingMean, stats[i].mean],
        [bn.movingVariance, stats[i].variance],
      ] as const) {
        tf.tidy(() => {
          const old = v.read();
          v.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
        });
      }
    });
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): ResBlockWeights {
    const read = (b: BnVariables | undefined): BatchNormWeights => {
      if (!b) throw notBuiltError(this.name);
      return {
        gamma: b.gamma.read() as tf.Tensor1D | tf.Tensor2D,
        beta: b.beta.read() as tf.Tensor1D | tf.Tensor2D,
        movingMean: b.movingMean.read() as tf.Tensor1D | tf.Tensor2D,
        movingVariance: b.movingVariance.read() as tf.Tensor1D | tf.Tensor2D,
      };
    };
    return {
      kernel1: this.builtVar(this.kernel1).read() as tf.Tensor2D | tf.Tensor3D,
      bn1: read(this.bn1),
      kernel2: this.builtVar(this.kernel2).read() as tf.Tensor2D | tf.Tensor3D,
      bn2: read(this.bn2),
      shortcutKernel: this.shortcutKernel?.read() as tf.Tensor2D | tf.Tensor3D | undefined,
      shortcutBn: this.shortcutBn ? read(this.shortcutBn) : undefined,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FusionResBlock1d);
