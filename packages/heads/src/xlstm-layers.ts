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
import { MLstmMode, mLstmForward, MLstmWeights, sLstmForward, SLstmWeights, XLstmForgetGate, xLstmHeadNorm } from './xlstm-cells';

/** Constructor arguments of `FusionSLstm` and `FusionMLstm`. */
export interface XLstmCellArgs extends LayerArgs {
  units: number;
  /** Must divide `units`. Default 4. */
  heads?: number;
  /** Default 'exp'. */
  forgetGate?: XLstmForgetGate;
  /** Per-head normalisation of the cell output with a learnable scale (the paper's GroupNorm). Default true. */
  headNorm?: boolean;
  /** Dropout on the layer's output sequence (after the head norm), training only. Default 0. */
  dropout?: number;
  /** Seeds the initial weights and the dropout stream. */
  seed?: number;
}

/** Constructor arguments of `FusionMLstm`. */
export interface MLstmArgs extends XLstmCellArgs {
  /** Default 'parallel'. */
  mode?: MLstmMode;
}

/** Forget-gate bias init: 0 for the exp gate (f = 1 at start), linspace(3, 6) over `count` for sigmoid (as NX-AI). */
function forgetBias(gate: XLstmForgetGate, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (gate === 'exp' ? 0 : count === 1 ? 3 : 3 + (3 * i) / (count - 1)));
}

/** Shared argument checks, head norm, output dropout and config of the two cell layers. */
abstract class XLstmCellLayer extends tf.layers.Layer {
  readonly units: number;
  readonly heads: number;
  readonly forgetGate: XLstmForgetGate;
  readonly useHeadNorm: boolean;
  readonly rate: number;
  readonly seed: number;
  protected readonly dropoutStream: SeededDropout;
  protected normScale?: tf.LayerVariable;

  constructor(args: XLstmCellArgs, className: string) {
    super(args);
    this.units = args.units;
    this.heads = args.heads ?? 4;
    this.forgetGate = args.forgetGate ?? 'exp';
    this.useHeadNorm = args.headNorm ?? true;
    this.rate = args.dropout ?? 0;
    this.seed = args.seed ?? 0;
    if (!Number.isInteger(this.units) || this.units < 1) {
      throw new RangeError(`${className}: units ${this.units} received; expected an integer >= 1.`);
    }
    if (!Number.isInteger(this.heads) || this.heads < 1 || this.units % this.heads !== 0) {
      throw new RangeError(`${className}: heads ${this.heads} received with units ${this.units}; expected an integer >= 1 that divides units. Change heads or units.`);
    }
    if (this.forgetGate !== 'exp' && this.forgetGate !== 'sigmoid') {
      throw new RangeError(`${className}: forgetGate "${this.forgetGate}" received; expected "exp" or "sigmoid".`);
    }
    if (!(this.rate >= 0 && this.rate < 1)) {
      throw new RangeError(`${className}: dropout ${this.rate} received; expected a number in [0, 1).`);
    }
    this.dropoutStream = new SeededDropout(mixSeed(this.seed, 99));
  }

  protected inputFeatures(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = singleShape(inputShape, this.name);
    const d = shape[2];
    if (shape.length !== 3 || d == null) throw new ShapeMismatchError(this.name, shape, '[batch, time, features] with features known');
    return d;
  }

  protected buildHeadNorm(): void {
    if (this.useHeadNorm) this.normScale = this.addWeight('norm_scale', [this.units], 'float32', tf.initializers.ones());
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    return [shape[0], shape[1], this.units];
  }

  protected abstract forward(x: tf.Tensor3D): tf.Tensor3D;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      let h = this.forward(singleInput(inputs, this.name) as tf.Tensor3D);
      if (this.normScale) h = xLstmHeadNorm(h, this.heads, this.normScale.read() as tf.Tensor1D);
      return this.dropoutStream.apply(h, this.rate, isTraining(kwargs));
    });
  }

  protected notBuilt(): Error {
    return notBuiltError(this.name);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      heads: this.heads,
      forgetGate: this.forgetGate,
      headNorm: this.useHeadNorm,
      dropout: this.rate,
      seed: this.seed,
    };
  }
}

/**
 * sLSTM layer ([B, T, D] -> [B, T, units]), see `sLstmForward`; then the optional per-head norm and output
 * dropout. Init: per-gate Glorot-uniform input kernel, orthogonal recurrent block per head, biases zero except
 * the forget gate (see `forgetBias`); all seeded. Weights: kernel [D, 4H], bias [4H], recurrent_kernel
 * [NH, dh, 4dh], norm_scale [H].
 */
export class FusionSLstm extends XLstmCellLayer {
  static className = 'FusionSLstm';
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;

  constructor(args: XLstmCellArgs) {
    super(args, FusionSLstm.className);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = this.inputFeatures(inputShape);
    const h = this.units;
    const nh = this.heads;
    const dh = h / nh;
    const kernelInit = tf.initializers.varianceScaling({
      scale: (d + 4 * h) / (d + h), // the Glorot limit of one gate's [D, H] kernel
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: mixSeed(this.seed, 1),
    });
    this.kernel = this.addWeight('kernel', [d, 4 * h], 'float32', kernelInit);
    this.bias = this.addWeight('bias', [4 * h], 'float32', tf.initializers.zeros());
    this.recurrentKernel = this.addWeight('recurrent_kernel', [nh, dh, 4 * dh], 'float32', tf.initializers.zeros());
    this.buildHeadNorm();
    const fb = forgetBias(this.forgetGate, h);
    const bias = new Float32Array(4 * h);
    for (let u = 0; u < h; u++) bias[Math.floor(u / dh) * 4 * dh + dh + (u % dh)] = fb[u];
    const init = tf.tidy(() => [tf.tensor1d(bias), tf.stack(Array.from({ length: nh }, (_, k) => orthogonalMatrix(dh, 4 * dh, mixSeed(this.seed, 2, k))))]);
    this.bias.write(init[0]);
    this.recurrentKernel.write(init[1]);
    tf.dispose(init);
    this.built = true;
  }

  protected forward(x: tf.Tensor3D): tf.Tensor3D {
    return sLstmForward(x, this.weightsNow(), { heads: this.heads, forgetGate: this.forgetGate });
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): SLstmWeights {
    if (!this.kernel || !this.bias || !this.recurrentKernel) throw this.notBuilt();
    return {
      kernel: this.kernel.read() as tf.Tensor2D,
      bias: this.bias.read() as tf.Tensor1D,
      recurrentKernel: this.recurrentKernel.read() as tf.Tensor3D,
    };
  }
}
tf.serialization.registerClass(FusionSLstm);

/**
 * mLSTM layer ([B, T, D] -> [B, T, units]), see `mLstmForward`; then the optional per-head norm and output
 * dropout. Init: Glorot-uniform (limit of one [D, H] block) for every column, biases zero except the forget
 * gates (see `forgetBias`); seeded. Weights: kernel [D, 4H + 2NH], bias [4H + 2NH], norm_scale [H].
 */
export class FusionMLstm extends XLstmCellLayer {
  static className = 'FusionMLstm';
  readonly mode: MLstmMode;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: MLstmArgs) {
    super(args, FusionMLstm.className);
    this.mode = args.mode ?? 'parallel';
    if (this.mode !== 'parallel' && this.mode !== 'recurrent') {
      throw new RangeError(`${FusionMLstm.className}: mode "${this.mode}" received; expected "parallel" or "recurrent".`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = this.inputFeatures(inputShape);
    const h = this.units;
    const nh = this.heads;
    const cols = 4 * h + 2 * nh;
    const kernelInit = tf.initializers.varianceScaling({
      scale: (d + cols) / (d + h),
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: mixSeed(this.seed, 1),
    });
    this.kernel = this.addWeight('kernel', [d, cols], 'float32', kernelInit);
    this.bias = this.addWeight('bias', [cols], 'float32', tf.initializers.zeros());
    this.buildHeadNorm();
    const bias = new Float32Array(cols);
    bias.set(forgetBias(this.forgetGate, nh), 4 * h + nh);
    const b = tf.tensor1d(bias);
    this.bias.write(b);
    b.dispose();
    this.built = true;
  }

  protected forward(x: tf.Tensor3D): tf.Tensor3D {
    return mLstmForward(x, this.weightsNow(), { heads: this.heads, forgetGate: this.forgetGate }, this.mode);
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): MLstmWeights {
    if (!this.kernel || !this.bias) throw this.notBuilt();
    return { kernel: this.kernel.read() as tf.Tensor2D, bias: this.bias.read() as tf.Tensor1D };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(FusionMLstm);

/** Reverses a [B, T, F] sequence in time (the input of the backward stack of a bidirectional xLSTM). */
export class FusionXLstmReverse extends tf.layers.Layer {
  static className = 'FusionXLstmReverse';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.reverse(singleInput(inputs, this.name), 1));
  }
}
tf.serialization.registerClass(FusionXLstmReverse);

/** What `FusionXLstmReadout` keeps of a sequence: its last step or its time mean. */
export type XLstmReadoutMode = 'last' | 'mean';

export interface XLstmReadoutArgs extends LayerArgs {
  /** Default 'last'. */
  mode?: XLstmReadoutMode;
}

/** [B, T, F] -> [B, F]: the last time step or the time mean. */
export class FusionXLstmReadout extends tf.layers.Layer {
  static className = 'FusionXLstmReadout';
  readonly mode: XLstmReadoutMode;

  constructor(args: XLstmReadoutArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'last';
    if (this.mode !== 'last' && this.mode !== 'mean') {
      throw new RangeError(`${FusionXLstmReadout.className}: mode "${this.mode}" received; expected "last" or "mean".`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    if (shape.length !== 3) throw new ShapeMismatchError(this.name, shape, '[batch, time, features]');
    return [shape[0], shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name) as tf.Tensor3D;
      if (this.mode === 'mean') return tf.mean(x, 1);
      const [b, t, f] = x.shape;
      return tf.reshape(tf.slice(x, [0, t - 1, 0], [b, 1, f]), [b, f]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(FusionXLstmReadout);
