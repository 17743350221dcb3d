import * as tf from '@tensorflow/tfjs';
import { mixSeed } from './seeds';

/**
 * A reproducible dropout stream for use inside a custom layer's `call`. Each application draws a fresh mask
 * (the seed of call n is `mixSeed(seed, n)`), so two layers built with the same seed and called the same number
 * of times drop the same units. It is a no-op unless `training` is true.
 */
export class SeededDropout {
  private counter = 0;

  constructor(readonly seed: number) {}

  /** The seed of the next mask (advances the stream). */
  nextSeed(): number {
    return mixSeed(this.seed, this.counter++);
  }

  /** Rewinds the stream, e.g. to replay the masks of a run. */
  reset(): void {
    this.counter = 0;
  }

  /** Inverted dropout (kept units scaled by 1/(1-rate)); returns `x` itself when not training or rate is 0. */
  apply<T extends tf.Tensor>(x: T, rate: number, training: boolean): T {
    if (!training || rate <= 0) return x;
    if (rate >= 1) throw new Error(`dropout rate ${rate} received; expected a number in [0, 1). Lower the rate.`);
    return tf.mul(x, dropoutMultiplier(x.shape, rate, this.nextSeed())) as T;
  }
}

/** seedrandom's Mash (the string hash that seeds its Alea generator), as bundled by tfjs-core. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/**
 * `tf.dropout(x, rate, undefined, seed)`'s multiplier, floor(u + keep) / keep with u = `tf.randomUniform(x.shape,
 * 0, 1, 'float32', seed)`, made on the host in one loop: tfjs draws u element by element through seedrandom's
 * `alea` object and then runs three kernels. Here the same Alea generator (seeded from `String(seed)` the same way)
 * in local variables, and the same float32 operations (`Math.fround` after each: a float64 sum or quotient of two
 * float32 values rounded to float32 is their float32 result), so the multiplier is the same bits, and so is the
 * dropout's output and gradient.
 */
export function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  const m = mash();
  let s0 = m(' ');
  let s1 = m(' ');
  let s2 = m(' ');
  const key = String(seed);
  s0 -= m(key);
  if (s0 < 0) s0 += 1;
  s1 -= m(key);
  if (s1 < 0) s1 += 1;
  s2 -= m(key);
  if (s2 < 0) s2 += 1;
  let c = 1;
  const keep = Math.fround(1 - rate);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = Math.floor(Math.fround(Math.fround(s2) + keep)) / keep;
  }
  return tf.tensor(out, shape, 'float32');
}
