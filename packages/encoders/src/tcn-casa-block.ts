import * as tf from '@tensorflow/tfjs';
import { groupedPointwise, mixSeed, singleShape } from '@fusion/core/layers';
import { TcnBlockArgs, TcnBlockOptions, TcnBlockWeights, FusionTcnBlock, tcnBlockForward } from './tcn-block';
import { shiftConv1d, shiftPadLeft } from './shift-conv';

/** The attention tensors of one CA-SA module; grouped ones carry a leading sensor axis. */
export interface CasaWeights {
  /** Channel-attention MLP, first 1x1 layer (no bias): [S, C, hidden] or [C, hidden]. */
  caKernel1: tf.Tensor2D | tf.Tensor3D;
  /** Channel-attention MLP, second 1x1 layer (no bias): [S, hidden, C] or [hidden, C]. */
  caKernel2: tf.Tensor2D | tf.Tensor3D;
  /** Spatial-attention conv over the [mean; max] map (no bias): [S, spatialKernel*2, 1] or [spatialKernel*2, 1]. */
  saKernel: tf.Tensor2D | tf.Tensor3D;
}

export interface CasaOptions {
  spatialKernel: number;
  /**
   * Causal attention: the spatial conv left-padded by spatialKernel-1 and the channel attention from running
   * pools, so no output sees a later step. false: EmoHEAL's CBAM (centred conv, pooling over the whole window).
   */
  causal: boolean;
}

/**
 * tf.max(x, axis, keepDims = true) with the same gradient as tfjs's (dy to every element equal to the maximum)
 * computed arithmetically: tfjs's own gradient uses a broadcasting Equal, which on wasm runs element by element
 * in JavaScript (milliseconds per call at these sizes).
 */
const maxOps = new Map<number, (x: tf.Tensor) => tf.Tensor>();
/** tf.max(x, axis, true), see above. */
export function maxOverAxis(x: tf.Tensor4D, axis: number): tf.Tensor4D {
  // no gradient being recorded: the plain kernel, without the custom-gradient wrapper
  if (!tf.engine().isTapeOn()) return tf.max(x, axis, true);
  let op = maxOps.get(axis);
  if (!op) {
    op = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
      const m = tf.max(xIn, axis, true);
      save([xIn, m]);
      return {
        value: m,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ms] = saved;
          // 1 where x equals the maximum (max - x is 0 there and > 0 elsewhere), else 0
          return tf.mul(dy, tf.sub(1, tf.step(tf.sub(ms, xs))));
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
    maxOps.set(axis, op);
  }
  return op(x) as tf.Tensor4D;
}

/** Width of the channel-attention bottleneck: max(1, floor(C / reduction)) (EmoHEAL: 25 / 16 -> 1). */
export function casaHiddenUnits(channels: number, reduction: number): number {
  return Math.max(1, Math.floor(channels / reduction));
}

/**
 * Running (prefix) mean and max over time of x [S, B, T, C]: out[t] = mean / max of x[0..t]. Hillis-Steele
 * doubling with slices and concats (log2 T steps; gradients on every backend, no cumsum/cummax kernels).
 */
export function prefixMeanMax(x: tf.Tensor4D): { mean: tf.Tensor4D; max: tf.Tensor4D } {
  return tf.tidy(() => {
    const [g, b, t, c] = x.shape;
    let sum: tf.Tensor4D = x;
    let mx: tf.Tensor4D = x;
    for (let d = 1; d < t; d *= 2) {
      const head = (y: tf.Tensor4D, n: number): tf.Tensor4D => tf.slice(y, [0, 0, 0, 0], [g, b, n, c]);
      sum = tf.add(sum, tf.pad(head(sum, t - d), [[0, 0], [0, 0], [d, 0], [0, 0]]));
      // the first d steps are compared with themselves, so no -Infinity padding is needed
      mx = tf.maximum(mx, tf.concat([head(mx, d), head(mx, t - d)], 2));
    }
    const counts = tf.reshape(tf.range(1, t + 1, 1, 'float32'), [1, 1, t, 1]);
    return { mean: tf.div(sum, counts), max: mx };
  });
}

/**
 * Channel attention of CBAM on sensor-major data: h [S, B, T, C] -> weights [S, B, 1, C] =
 * sigmoid(MLP(mean over time) + MLP(max over time)), MLP = 1x1 (no bias) -> ReLU -> 1x1 (no bias), shared by
 * the two pooled vectors (both go through it as one batch). With `causal`, the pools are running ones (over
 * steps 0..t) and the weights are [S, B, T, C]: the weights at t see no later step (not in CBAM / EmoHEAL,
 * whose global pooling makes every output depend on the whole window).
 */
export function channelAttention(
  h: tf.Tensor4D,
  kernel1: tf.Tensor2D | tf.Tensor3D,
  kernel2: tf.Tensor2D | tf.Tensor3D,
  causal = false
): tf.Tensor4D {
  return tf.tidy(() => {
    const [g, b, t, c] = h.shape;
    let pooled: tf.Tensor4D;
    if (causal) {
      const p = prefixMeanMax(h);
      pooled = tf.concat([p.mean, p.max], 1); // [g, 2b, t, c]
    } else {
      pooled = tf.concat([tf.mean(h, 2, true), maxOverAxis(h, 2)], 1) as tf.Tensor4D; // [g, 2b, 1, c]
    }
    const n = causal ? t : 1;
    const z = groupedPointwise(tf.relu(groupedPointwise(pooled, kernel1)) as tf.Tensor4D, kernel2);
    const sum = tf.add(tf.slice(z, [0, 0, 0, 0], [g, b, n, c]), tf.slice(z, [0, b, 0, 0], [g, b, n, c]));
    return tf.sigmoid(sum) as tf.Tensor4D;
  });
}

/**
 * Spatial (here: temporal) attention of CBAM: h [S, B, T, C] -> weights [S, B, T, 1] = sigmoid(conv1d over the
 * 2-channel map [mean over channels; max over channels], no bias), length-preserving ('same' or causal padding).
 */
export function spatialAttention(h: tf.Tensor4D, kernel: tf.Tensor2D | tf.Tensor3D, opts: CasaOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const map = tf.concat([tf.mean(h, 3, true), maxOverAxis(h, 3)], 3) as tf.Tensor4D; // [g, b, t, 2]
    const padLeft = shiftPadLeft(opts.spatialKernel, opts.causal ? 'causal' : 'same');
    return tf.sigmoid(shiftConv1d(map, kernel, opts.spatialKernel, padLeft)) as tf.Tensor4D;
  });
}

/** CA-SA (CBAM): h * channelAttention, then that times spatialAttention of it. [S, B, T, C] -> same shape. */
export function casaForward(h: tf.Tensor4D, w: CasaWeights, opts: CasaOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const h1 = tf.mul(h, channelAttention(h, w.caKernel1, w.caKernel2, opts.causal)) as tf.Tensor4D;
    return tf.mul(h1, spatialAttention(h1, w.saKernel, opts)) as tf.Tensor4D;
  });
}

/**
 * A TCN temporal block with CA-SA on sensor-major data: x [S, B, T, cin] -> [S, B, T, cout]. As
 * `tcnBlockForward`, with the attention applied to the output of the second conv (after its ReLU and dropout)
 * before the residual add, as in EmoHEAL's `TemporalBlock` with `CASA`.
 */
export function tcnCasaBlockForward(x: tf.Tensor4D, w: TcnBlockWeights & CasaWeights, opts: TcnBlockOptions & CasaOptions): tf.Tensor4D {
  return tcnBlockForward(x, w, opts, (h) => casaForward(h, w, opts));
}

export interface TcnCasaBlockArgs extends TcnBlockArgs {
  /** Channel-attention reduction ratio r (bottleneck max(1, floor(filters / r))). Default 16. */
  reduction?: number;
  /** Taps of the spatial-attention conv. Default 7. */
  spatialKernel?: number;
  /** Causal attention (left-padded spatial conv, running pools for the channel attention). Default false (EmoHEAL). */
  causalAttention?: boolean;
}

/**
 * `FusionTcnBlock` followed by CBAM-style channel and spatial attention (EmoHEAL's CA-SA) on the block's conv
 * output, before the residual add: [batch, time, sensors, cin] -> [batch, time, sensors, filters].
 * The attention weights are grouped over sensors like the convolutions (or shared when `shared`); they are
 * initialised as PyTorch's Conv1d default, U(±1/sqrt(fan_in)), seeded. With `causalAttention: false` (the
 * paper's CBAM) the block is not causal: the channel attention pools the whole window and the spatial attention
 * at t sees floor((spatialKernel-1)/2) later steps. `causalAttention: true` makes both causal.
 */
export class FusionTcnCasaBlock extends FusionTcnBlock {
  static override className = 'FusionTcnCasaBlock';

  readonly reduction: number;
  readonly spatialKernel: number;
  readonly causalAttention: boolean;
  private caKernel1?: tf.LayerVariable;
  private caKernel2?: tf.LayerVariable;
  private saKernel?: tf.LayerVariable;

  constructor(args: TcnCasaBlockArgs) {
    super(args);
    this.reduction = args.reduction ?? 16;
    this.spatialKernel = args.spatialKernel ?? 7;
    this.causalAttention = args.causalAttention ?? false;
    this.checkIntegers({ reduction: this.reduction, spatialKernel: this.spatialKernel });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    super.build(inputShape);
    const { lead } = this.groupShape(inputShape);
    const c = this.filters;
    const hidden = casaHiddenUnits(c, this.reduction);
    const init = (i: number, fanIn: number) => {
      const limit = 1 / Math.sqrt(fanIn);
      return tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: mixSeed(this.seed, i) });
    };
    this.caKernel1 = this.addWeight('ca_kernel1', [...lead, c, hidden], 'float32', init(11, c));
    this.caKernel2 = this.addWeight('ca_kernel2', [...lead, hidden, c], 'float32', init(12, hidden));
    this.saKernel = this.addWeight('sa_kernel', [...lead, this.spatialKernel * 2, 1], 'float32', init(13, this.spatialKernel * 2));
    this.built = true;
  }

  /**
   * The TCN block's count plus, per sensor, the channel-attention MLP on the average and the max pool (once per
   * window, or per step when causal) and the 2-channel spatial convolution per step.
   */
  override macs(inputShape: tf.Shape | tf.Shape[]): number {
    const [, t, s] = singleShape(inputShape, this.name) as number[];
    const c = this.filters;
    const mlp = 2 * 2 * c * casaHiddenUnits(c, this.reduction);
    const steps = t ?? 1;
    return super.macs(inputShape) + s * ((this.causalAttention ? steps : 1) * mlp + steps * 2 * this.spatialKernel);
  }

  protected override forwardSensorMajor(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tcnCasaBlockForward(
      x,
      { ...this.weightsNow(), ...this.casaWeightsNow() },
      { ...this.blockOptions(training), spatialKernel: this.spatialKernel, causal: this.causalAttention }
    );
  }

  /** The current attention tensors (owned by the layer's variables; do not dispose). */
  casaWeightsNow(): CasaWeights {
    return {
      caKernel1: this.builtVar(this.caKernel1).read() as tf.Tensor2D | tf.Tensor3D,
      caKernel2: this.builtVar(this.caKernel2).read() as tf.Tensor2D | tf.Tensor3D,
      saKernel: this.builtVar(this.saKernel).read() as tf.Tensor2D | tf.Tensor3D,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      reduction: this.reduction,
      spatialKernel: this.spatialKernel,
      causalAttention: this.causalAttention,
    };
  }
}
tf.serialization.registerClass(FusionTcnCasaBlock);
