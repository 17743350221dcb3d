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

/** 'sinusoidal': fixed Vaswani et al. table; 'learned': a trained [maxLength, D] table. */
export type PositionalMode = 'sinusoidal' | 'learned';

/**
 * The sinusoidal table of Vaswani et al. (2017), positions 0..length-1, interleaved columns:
 *   PE[p, 2i] = sin(p / 10000^(2i/dim)),  PE[p, 2i+1] = cos(p / 10000^(2i/dim)).
 * Computed in float64 in plain JS, row-major [length, dim].
 */
export function sinusoidalTable(length: number, dim: number): Float32Array {
  const out = new Float32Array(length * dim);
  for (let p = 0; p < length; p++) {
    for (let c = 0; c < dim; c++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(c / 2)) / dim);
      out[p * dim + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export interface PositionalEncodingArgs extends LayerArgs {
  /** Default 'sinusoidal'. */
  mode?: PositionalMode;
  /** Longest sequence a 'learned' table covers (required for it); ignored by 'sinusoidal'. */
  maxLength?: number;
  /** Dropout on the sum (Vaswani's embedding dropout), training only. Default 0. */
  dropout?: number;
  /** Seeds the learned table and the dropout stream. */
  seed?: number;
}

/**
 * Adds a position code to each time step: [B, T, D] -> [B, T, D]. The input is usually a projection of the
 * features to D; it is not scaled by sqrt(D) (Vaswani scale their token embeddings, which are not projections
 * of real-valued measurements). 'learned' adds rows 0..T-1 of a [maxLength, D] table (truncated normal,
 * stddev 0.02, as BERT); 'sinusoidal' has no weights and works for any T.
 */
export class FusionPositionalEncoding extends tf.layers.Layer {
  static className = 'FusionPositionalEncoding';

  readonly mode: PositionalMode;
  readonly maxLength: number | undefined;
  readonly rate: number;
  readonly seed: number;
  private readonly dropoutStream: SeededDropout;
  private readonly tables = new Map<string, Float32Array>();
  private embedding?: tf.LayerVariable;

  constructor(args: PositionalEncodingArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'sinusoidal';
    this.maxLength = args.maxLength ?? undefined;
    this.rate = args.dropout ?? 0;
    this.seed = args.seed ?? 0;
    if (this.mode !== 'sinusoidal' && this.mode !== 'learned') {
      throw new RangeError(`${FusionPositionalEncoding.className}: mode "${this.mode}" received; expected "sinusoidal" or "learned".`);
    }
    if (this.mode === 'learned' && !(Number.isInteger(this.maxLength) && (this.maxLength as number) >= 1)) {
      throw new RangeError(
        `${FusionPositionalEncoding.className}: maxLength ${this.maxLength} received with mode "learned"; expected an integer >= 1 ` +
          '(the longest sequence the table covers).'
      );
    }
    if (!(this.rate >= 0 && this.rate < 1)) {
      throw new RangeError(`${FusionPositionalEncoding.className}: dropout ${this.rate} received; expected a number in [0, 1).`);
    }
    this.dropoutStream = new SeededDropout(mixSeed(this.seed, 97));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    const d = shape[2];
    if (shape.length !== 3 || d == null) throw new ShapeMismatchError(this.name, shape, '[batch, time, features] with features known');
    const t = shape[1];
    if (this.mode === 'learned') {
      const maxLength = this.maxLength as number;
      if (t != null && t > maxLength) {
        throw new ShapeMismatchError(this.name, shape, `at most ${maxLength} time steps (maxLength of the learned table); raise maxLength`);
      }
      const init = tf.initializers.truncatedNormal({ mean: 0, stddev: 0.02, seed: mixSeed(this.seed, 1) });
      this.embedding = this.addWeight('embedding', [maxLength, d], 'float32', init);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      const [, t, d] = x.shape;
      const code = this.mode === 'learned' ? this.learnedRows(t, x.shape) : tf.tensor2d(this.sinusoidal(t, d), [t, d]);
      return this.dropoutStream.apply(tf.add(x, code), this.rate, isTraining(kwargs));
    });
  }

  private learnedRows(t: number, shape: number[]): tf.Tensor {
    if (!this.embedding) throw notBuiltError(this.name);
    const maxLength = this.maxLength as number;
    if (t > maxLength) {
      throw new ShapeMismatchError(this.name, shape, `at most ${maxLength} time steps (maxLength of the learned table); raise maxLength`);
    }
    const table = this.embedding.read();
    return t === maxLength ? table : tf.slice(table, [0, 0], [t, table.shape[1] as number]);
  }

  private sinusoidal(t: number, d: number): Float32Array {
    const key = `${t}x${d}`;
    let table = this.tables.get(key);
    if (!table) {
      table = sinusoidalTable(t, d);
      this.tables.set(key, table);
    }
    return table;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), mode: this.mode, dropout: this.rate, seed: this.seed };
    if (this.maxLength !== undefined) config['maxLength'] = this.maxLength;
    return config;
  }
}
tf.serialization.registerClass(FusionPositionalEncoding);
