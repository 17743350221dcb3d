import * as tf from '@tensorflow/tfjs';
import { LayerArgs, singleInput, singleShape } from '@fusion/core/layers';

export interface TimeStrideArgs extends LayerArgs {
  stride: number;
}

/**
 * Keeps every `stride`-th time step of [batch, time, ...], aligned to the end so the last step is always kept:
 * steps T-1, T-1-stride, ... in time order (ceil(T / stride) of them). Written as pad-left + reshape + slice
 * because tfjs has no gradient for strided slices.
 */
export class FusionTimeStride extends tf.layers.Layer {
  static className = 'FusionTimeStride';
  readonly stride: number;

  constructor(args: TimeStrideArgs) {
    super(args);
    this.stride = args.stride;
    if (!Number.isInteger(this.stride) || this.stride < 1) {
      throw new RangeError(`${FusionTimeStride.className}: stride ${this.stride} received; expected an integer >= 1.`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    const t = shape[1];
    return [shape[0], t == null ? null : Math.ceil(t / this.stride), ...shape.slice(2)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      if (this.stride === 1) return tf.clone(x);
      const [b, t, ...rest] = x.shape;
      const n = Math.ceil(t / this.stride);
      const pad = n * this.stride - t;
      const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, 0], ...rest.map((): [number, number] => [0, 0])]) : x;
      const grouped = tf.reshape(padded, [b, n, this.stride, ...rest]);
      const last = tf.slice(grouped, [0, 0, this.stride - 1, ...rest.map(() => 0)], [b, n, 1, ...rest]);
      return tf.reshape(last, [b, n, ...rest]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride };
  }
}
tf.serialization.registerClass(FusionTimeStride);
