import * as tf from '@tensorflow/tfjs';

/** The constructor arguments every tfjs layer takes (name, trainable, inputShape, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The keyword arguments tfjs-layers hands to `Layer.call` (`training`, `mask`, ...). */
export type LayerKwargs = Parameters<tf.layers.Layer['call']>[1];

/** True only when the caller asked for training behaviour (`model.fit`, `model.apply(x, {training: true})`). */
export function isTraining(kwargs: LayerKwargs | undefined): boolean {
  return kwargs !== undefined && kwargs !== null && (kwargs as Record<string, unknown>)['training'] === true;
}

/** The single tensor a one-input layer was called with. */
export function singleInput(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) {
      throw new Error(`${layer}: received ${inputs.length} inputs, expected exactly one tensor. Apply the layer to one tensor.`);
    }
    return inputs[0];
  }
  return inputs;
}

/** The single shape of a one-input layer. */
export function singleShape(inputShape: tf.Shape | tf.Shape[], layer: string): tf.Shape {
  if (Array.isArray(inputShape[0])) {
    const shapes = inputShape as tf.Shape[];
    if (shapes.length !== 1) {
      throw new Error(`${layer}: received ${shapes.length} input shapes, expected exactly one. Apply the layer to one tensor.`);
    }
    return shapes[0];
  }
  return inputShape as tf.Shape;
}
