import * as tf from '@tensorflow/tfjs';
import { FusionPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { FusionSensorConcat } from './sensor-concat';

/** Options of the `concat` fusion (none besides `type`). */
export interface ConcatFusionConfig extends PluginConfig {
  type: 'concat';
}

export const concatSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { const: 'concat' } },
} as const;

/** `concat`: the sensors' features side by side at each time step ([B, T, S, F] -> [B, T, S*F]). */
export const concatFusion: FusionPlugin<ConcatFusionConfig> = {
  type: 'concat',
  description: 'concatenate the per-sensor features at each time step',
  schema: concatSchema,
  estimate: (input) => ({ length: input.length, features: input.sensors * input.features, parameters: 0, activations: input.length * input.sensors * input.features }),
  apply(input: tf.SymbolicTensor, _config: ConcatFusionConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 4) {
      throw new ShapeMismatchError('concat fusion input', input.shape, '[batch, time, sensors, features]');
    }
    return new FusionSensorConcat({ name: ctx.name('concat') }).apply(input) as tf.SymbolicTensor;
  },
};
