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

/**
 * Weights of a multi-head self-attention with H heads of size K over D input features and E output features.
 * Column order of the joint projection is [Q | K | V], each H*K columns with head h at columns h*K..h*K+K-1.
 */
export interface MultiHeadAttentionWeights {
  /** [D, 3HK]. */
  qkvKernel: tf.Tensor2D;
  /** [3HK]. */
  qkvBias: tf.Tensor1D;
  /** [HK, E]. */
  outputKernel: tf.Tensor2D;
  /** [E]. */
  outputBias: tf.Tensor1D;
}

export interface MultiHeadAttentionOptions {
  heads: number;
  /** Position t attends to positions <= t only. Default false. */
  causal?: boolean;
  /** Applied to the attention weights (after the softmax, before they mix V), e.g. dropout. */
  dropWeights?: (weights: tf.Tensor3D) => tf.Tensor3D;
}

export interface MultiHeadAttentionResult {
  /** [B, T, E]. */
  output: tf.Tensor3D;
  /** [B, H, T, T], softmax over the last axis (before any `dropWeights`). */
  weights: tf.Tensor4D;
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above (exp underflows to exactly 0). */
function causalMask(t: number): tf.Tensor2D {
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
  return tf.tensor2d(m, [t, t]);
}

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017) with plain tf ops:
 *   [Q | K | V] = x Wqkv + bqkv, split into H heads of size K,
 *   head_h = softmax(Q_h K_hᵀ / sqrt(K) [+ causal mask]) V_h,
 *   output = [head_1 | ... | head_H] Wo + bo.
 * One matMul for all three projections, one transpose to split heads, batched matMuls over B*H.
 * x: [B, T, D].
 */
export function multiHeadAttention(
  x: tf.Tensor3D,
  w: MultiHeadAttentionWeights,
  options: MultiHeadAttentionOptions
): MultiHeadAttentionResult {
  const [b, t, d] = x.shape;
  const h = options.heads;
  const hk = w.outputKernel.shape[0];
  const e = w.outputKernel.shape[1];
  if (!Number.isInteger(h) || h < 1 || hk % h !== 0) {
    throw new RangeError(`multiHeadAttention: heads ${h} received for ${hk} attention features; expected an integer >= 1 dividing ${hk}.`);
  }
  const k = hk / h;
  if (w.qkvKernel.shape[0] !== d || w.qkvKernel.shape[1] !== 3 * hk) {
    throw new ShapeMismatchError('multiHeadAttention qkvKernel', w.qkvKernel.shape, `[${d}, ${3 * hk}] (input features, 3 x heads x key size)`);
  }
  return tf.tidy(() => {
    const proj = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), w.qkvKernel), w.qkvBias);
    // [B, T, 3H, K] -> [B, 3H, T, K] -> three [B*H, T, K]. A 4-D transpose: wasm's 5-D one is several times slower.
    const split = tf.transpose(tf.reshape(proj, [b, t, 3 * h, k]), [0, 2, 1, 3]);
    const [q, key, v] = tf.split(split, 3, 1).map((part) => tf.reshape(part, [b * h, t, k]) as tf.Tensor3D);
    let scores = tf.mul(tf.matMul(q, key, false, true), 1 / Math.sqrt(k));
    if (options.causal) scores = tf.add(scores, causalMask(t));
    const attention = tf.softmax(scores) as tf.Tensor3D; // [B*H, T, T]
    const mixed = tf.matMul(options.dropWeights ? options.dropWeights(attention) : attention, v); // [B*H, T, K]
    const heads = tf.reshape(tf.transpose(tf.reshape(mixed, [b, h, t, k]), [0, 2, 1, 3]), [b * t, hk]);
    const output = tf.reshape(tf.add(tf.matMul(heads, w.outputKernel), w.outputBias), [b, t, e]) as tf.Tensor3D;
    return { output, weights: tf.reshape(attention, [b, h, t, t]) as tf.Tensor4D };
  });
}

export interface MultiHeadAttentionArgs extends LayerArgs {
  heads: number;
  /** Size of each head's queries/keys/values. Default: input features / heads (which must divide). */
  keyDim?: number;
  /** Output features. Default: input features (so that a residual connection adds up). */
  outputDim?: number;
  /** Position t attends to positions <= t only. Default false. */
  causal?: boolean;
  /** Dropout on the attention weights, training only. Default 0. */
  dropout?: number;
  /** Dropout on the output (the residual branch of a Transformer block), training only. Default 0. */
  outputDropout?: number;
  /** Seeds the initial weights and both dropout streams. */
  seed?: number;
}

/**
 * The two dropout streams of a Transformer sub-layer (`FusionMultiHeadAttention`, `FusionTransformerFeedForward`):
 * the inner one (seed stream 99) and the output one (98), after checking both rates are in [0, 1).
 */
export function blockDropouts(name: string, rate: number, outputRate: number, seed: number): [SeededDropout, SeededDropout] {
  for (const [key, v] of [['dropout', rate], ['outputDropout', outputRate]] as const) {
    if (!(v >= 0 && v < 1)) throw new RangeError(`${name}: ${key} ${v} received; expected a number in [0, 1).`);
  }
  return [new SeededDropout(mixSeed(seed, 99)), new SeededDropout(mixSeed(seed, 98))];
}

/**
 * Multi-head self-attention over time, [B, T, D] -> [B, T, E], see `multiHeadAttention`. Projection kernels
 * Glorot-uniform per projection (Keras), biases zero; all seeded. Dropouts are seeded streams (a fresh mask per
 * training call, the same sequence of masks for the same seed).
 */
export class FusionMultiHeadAttention extends tf.layers.Layer {
  static className = 'FusionMultiHeadAttention';

  readonly heads: number;
  readonly keyDim: number | undefined;
  readonly outputDim: number | undefined;
  readonly causal: boolean;
  readonly rate: number;
  readonly outputRate: number;
  readonly seed: number;
  private readonly weightDropout: SeededDropout;
  private readonly outputDropoutStream: SeededDropout;
  private qkvKernel?: tf.LayerVariable;
  private qkvBias?: tf.LayerVariable;
  private outputKernel?: tf.LayerVariable;
  private outputBias?: tf.LayerVariable;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.keyDim = args.keyDim ?? undefined;
    this.outputDim = args.outputDim ?? undefined;
    this.causal = args.causal ?? false;
    this.rate = args.dropout ?? 0;
    this.outputRate = args.outputDropout ?? 0;
    this.seed = args.seed ?? 0;
    const name = FusionMultiHeadAttention.className;
    for (const [key, v] of [['heads', this.heads], ['keyDim', this.keyDim], ['outputDim', this.outputDim]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name}: ${key} ${v} received; expected an integer >= 1.`);
    }
    [this.weightDropout, this.outputDropoutStream] = blockDropouts(name, this.rate, this.outputRate, this.seed);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    const d = shape[2];
    if (shape.length !== 3 || d == null) throw new ShapeMismatchError(this.name, shape, '[batch, time, features] with features known');
    if (this.keyDim === undefined && d % this.heads !== 0) {
      throw new ShapeMismatchError(
        this.name,
        shape,
        `features divisible by heads ${this.heads}; change the projection size or the number of heads, or give keyDim`
      );
    }
    const k = this.keyDim ?? d / this.heads;
    const hk = this.heads * k;
    const e = this.outputDim ?? d;
    // Glorot-uniform limit of one [D, HK] projection, applied to the joint [D, 3HK] kernel.
    const qkvInit = tf.initializers.varianceScaling({ scale: (d + 3 * hk) / (d + hk), mode: 'fanAvg', distribution: 'uniform', seed: mixSeed(this.seed, 1) });
    this.qkvKernel = this.addWeight('qkv_kernel', [d, 3 * hk], 'float32', qkvInit);
    this.qkvBias = this.addWeight('qkv_bias', [3 * hk], 'float32', tf.initializers.zeros());
    this.outputKernel = this.addWeight('output_kernel', [hk, e], 'float32', tf.initializers.glorotUniform({ seed: mixSeed(this.seed, 2) }));
    this.outputBias = this.addWeight('output_bias', [e], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** Multiply-accumulates for one sequence: q/k/v projections, T^2 x d for the scores and again for the weighted sum, output projection. */
  macs(inputShape: tf.Shape | tf.Shape[]): number {
    const [, tIn, d] = singleShape(inputShape, this.name) as number[];
    const t = tIn ?? 1;
    const hk = this.heads * (this.keyDim ?? d / this.heads);
    const e = this.outputDim ?? d;
    return t * d * 3 * hk + 2 * t * t * hk + t * hk * e;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    return [shape[0], shape[1], this.outputDim ?? shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = isTraining(kwargs);
      const { output, weights } = multiHeadAttention(singleInput(inputs, this.name) as tf.Tensor3D, this.weightsNow(), {
        heads: this.heads,
        causal: this.causal,
        dropWeights: (a) => this.weightDropout.apply(a, this.rate, training),
      });
      weights.dispose();
      return this.outputDropoutStream.apply(output, this.outputRate, training);
    });
  }

  /** The current weight tensors (owned by the layer's variables; do not dispose). */
  weightsNow(): MultiHeadAttentionWeights {
    if (!this.qkvKernel || !this.qkvBias || !this.outputKernel || !this.outputBias) {
      throw notBuiltError(this.name);
    }
    return {
      qkvKernel: this.qkvKernel.read() as tf.Tensor2D,
      qkvBias: this.qkvBias.read() as tf.Tensor1D,
      outputKernel: this.outputKernel.read() as tf.Tensor2D,
      outputBias: this.outputBias.read() as tf.Tensor1D,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      heads: this.heads,
      causal: this.causal,
      dropout: this.rate,
      outputDropout: this.outputRate,
      seed: this.seed,
    };
    if (this.keyDim !== undefined) config['keyDim'] = this.keyDim;
    if (this.outputDim !== undefined) config['outputDim'] = this.outputDim;
    return config;
  }
}
tf.serialization.registerClass(FusionMultiHeadAttention);
