import * as tf from '@tensorflow/tfjs';
import { causalConv1d, groupedPointwise, mixSeed, SensorBlockArgs, SensorBlockLayer } from '@fusion/core/layers';

/** The tensors of one temporal block; grouped kernels carry a leading sensor axis, shared ones do not. */
export interface TcnBlockWeights {
  /** [S, k*cin, cout] (grouped) or [k*cin, cout] (shared). */
  kernel1: tf.Tensor2D | tf.Tensor3D;
  /** [S, cout] or [cout]. */
  bias1: tf.Tensor1D | tf.Tensor2D;
  /** [S, k*cout, cout] or [k*cout, cout]. */
  kernel2: tf.Tensor2D | tf.Tensor3D;
  bias2: tf.Tensor1D | tf.Tensor2D;
  /** 1x1 projection of the residual when cin != cout: [S, cin, cout] or [cin, cout]. */
  downKernel?: tf.Tensor2D | tf.Tensor3D;
  downBias?: tf.Tensor1D | tf.Tensor2D;
}

export interface TcnBlockOptions {
  kernelSize: number;
  dilation: number;
  residual: boolean;
  /** Applied after each ReLU of the two convolutions; identity when omitted (inference). */
  dropout?: (x: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * One temporal block on sensor-major data: x [S, B, T, cin] -> [S, B, T, cout].
 * conv -> ReLU -> dropout -> conv -> ReLU -> dropout, then ReLU(out + residual) (residual projected 1x1 when
 * cin != cout). Both convolutions are causal and dilated; every sensor's kernels form one batched matMul.
 * `attend`, when given, is applied to the second conv's output before the residual add (the CA-SA block's attention).
 */
export function tcnBlockForward(
  x: tf.Tensor4D,
  w: TcnBlockWeights,
  opts: TcnBlockOptions,
  attend?: (h: tf.Tensor4D) => tf.Tensor4D
): tf.Tensor4D {
  return tf.tidy(() => {
    const drop = opts.dropout ?? ((t: tf.Tensor4D) => t);
    let h = drop(tf.relu(causalConv1d(x, w.kernel1, opts.kernelSize, opts.dilation, w.bias1)));
    h = drop(tf.relu(causalConv1d(h, w.kernel2, opts.kernelSize, opts.dilation, w.bias2)));
    if (attend) h = attend(h);
    if (!opts.residual) return h;
    const res = w.downKernel ? groupedPointwise(x, w.downKernel, w.downBias) : x;
    return tf.relu(tf.add(h, res)) as tf.Tensor4D;
  });
}

export interface TcnBlockArgs extends SensorBlockArgs {
  /** Taps per causal convolution. Default 2. */
  kernelSize?: number;
  dilation?: number;
  residual?: boolean;
}

/**
 * A TCN temporal block applied to every sensor: [batch, time, sensors, cin] -> [batch, time, sensors, filters].
 * Weights are grouped over sensors (kernel [sensors, kernelSize*cin, filters]) unless `shared`; the sensors
 * are computed together as one batched matMul per convolution in the layout [sensors, batch*time, channels].
 * Causal: the output at time t depends only on inputs at times <= t. Weights N(0, 0.01) as in EmoHEAL, biases 0.
 */
export class FusionTcnBlock extends SensorBlockLayer {
  static className = 'FusionTcnBlock';

  readonly dilation: number;
  readonly residual: boolean;
  private kernel1?: tf.LayerVariable;
  private bias1?: tf.LayerVariable;
  private kernel2?: tf.LayerVariable;
  private bias2?: tf.LayerVariable;
  private downKernel?: tf.LayerVariable;
  private downBias?: tf.LayerVariable;

  constructor(args: TcnBlockArgs) {
    super(args, 2);
    this.dilation = args.dilation ?? 1;
    this.residual = args.residual ?? true;
    this.checkIntegers({ dilation: this.dilation });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { channels: cin, lead } = this.groupShape(inputShape);
    const init = (i: number) =>
      tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: mixSeed(this.seed, i) });
    const k = this.kernelSize;
    const zeros = tf.initializers.zeros();
    this.kernel1 = this.addWeight('kernel1', [...lead, k * cin, this.filters], 'float32', init(1));
    this.bias1 = this.addWeight('bias1', [...lead, this.filters], 'float32', zeros);
    this.kernel2 = this.addWeight('kernel2', [...lead, k * this.filters, this.filters], 'float32', init(2));
    this.bias2 = this.addWeight('bias2', [...lead, this.filters], 'float32', zeros);
    if (this.residual && cin !== this.filters) {
      this.downKernel = this.addWeight('downsample_kernel', [...lead, cin, this.filters], 'float32', init(3));
      this.downBias = this.addWeight('downsample_bias', [...lead, this.filters], 'float32', zeros);
    }
    this.built = true;
  }

  /** Per sensor and step: two k-tap convolutions and the 1x1 downsample. */
  protected override stepMacs(cin: number): number {
    const k = this.kernelSize;
    const f = this.filters;
    const down = this.residual && cin !== f ? cin * f : 0;
    return k * cin * f + k * f * f + down;
  }

  /** The block's options for `tcnBlockForward`, with the dropout of this call. */
  protected blockOptions(training: boolean): TcnBlockOptions {
    return { kernelSize: this.kernelSize, dilation: this.dilation, residual: this.residual, dropout: this.dropoutFor(training) };
  }

  protected override forwardSensorMajor(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tcnBlockForward(x, this.weightsNow(), this.blockOptions(training));
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): TcnBlockWeights {
    return {
      kernel1: this.builtVar(this.kernel1).read() as tf.Tensor2D | tf.Tensor3D,
      bias1: this.builtVar(this.bias1).read() as tf.Tensor1D | tf.Tensor2D,
      kernel2: this.builtVar(this.kernel2).read() as tf.Tensor2D | tf.Tensor3D,
      bias2: this.builtVar(this.bias2).read() as tf.Tensor1D | tf.Tensor2D,
      downKernel: this.downKernel?.read() as tf.Tensor2D | tf.Tensor3D | undefined,
      downBias: this.downBias?.read() as tf.Tensor1D | tf.Tensor2D | undefined,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dilation: this.dilation, residual: this.residual };
  }
}
tf.serialization.registerClass(FusionTcnBlock);
