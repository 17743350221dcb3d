import * as tf from '@tensorflow/tfjs';
import { EncoderPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';

/** Options of the `stack` node (none besides `type`). */
export interface StackConfig extends PluginConfig {
  type: 'stack';
}

/**
 * `stack`: early fusion. The sensors become the channels of one signal, [B, T, S, C] -> [B, T, 1, S*C], so the
 * encoder after it mixes them from its first layer. No weights.
 */
export const stackEncoder: EncoderPlugin<StackConfig> = {
  type: 'stack',
  description: 'early fusion: the input sensors as channels of one signal (no weights)',
  schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'stack' } } },
  outputShape: ([s]) => [s[0], 1, s[1] * s[2]],
  estimate: (input) => ({ length: input.length, features: input.sensors * input.features, parameters: 0, activations: input.length * input.sensors * input.features }),
  apply(input: tf.SymbolicTensor, _config: StackConfig, ctx: ModelContext): tf.SymbolicTensor {
    const [, t, s, c] = input.shape;
    if (input.shape.length !== 4 || t == null || s == null || c == null) throw new ShapeMismatchError('stack input', input.shape, '[batch, time, sensors, channels] with all but batch known');
    return tf.layers.reshape({ targetShape: [t, 1, s * c], name: ctx.name('stack') }).apply(input) as tf.SymbolicTensor;
  },
};
