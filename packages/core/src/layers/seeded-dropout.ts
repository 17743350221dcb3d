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
    return tf.dropout(x, rate, undefined, this.nextSeed()) as T;
  }
}
