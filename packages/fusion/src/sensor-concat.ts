import * as tf from '@tensorflow/tfjs';
import { LayerArgs, ShapeMismatchError, singleInput, singleShape } from '@fusion/core/layers';

/**
 * Concatenates the sensors' features at each time step: [batch, time, sensors, features] ->
 * [batch, time, sensors*features], sensor s's features in columns s*F..(s+1)*F-1. A reshape; the time length
 * may be unknown.
 */
export class FusionSensorConcat extends tf.layers.Layer {
  static className = 'FusionSensorConcat';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    if (shape.length !== 4 || shape[2] == null || shape[3] == null) {
      throw new ShapeMismatchError(this.name, shape, '[batch, time, sensors, features] with sensors and features known');
    }
    return [shape[0], shape[1], shape[2] * shape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      if (x.rank !== 4) throw new ShapeMismatchError(this.name, x.shape, '[batch, time, sensors, features]');
      const [b, t, s, f] = x.shape;
      return tf.reshape(x, [b, t, s * f]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(FusionSensorConcat);
