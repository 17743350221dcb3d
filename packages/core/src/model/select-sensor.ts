import * as tf from '@tensorflow/tfjs';

/** Picks one sensor out of [batch, time, sensors, channels], keeping the axis: -> [batch, time, 1, channels]. */
export class SelectSensor extends tf.layers.Layer {
  static readonly className = 'FusionSelectSensor';
  readonly index: number;

  constructor(args: { index: number; name?: string }) {
    super(args);
    this.index = args.index;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], s[1], 1, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.slice(x, [0, 0, this.index, 0], [-1, -1, 1, -1]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), index: this.index };
  }
}
tf.serialization.registerClass(SelectSensor);
