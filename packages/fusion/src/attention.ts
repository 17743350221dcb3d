import * as tf from '@tensorflow/tfjs';
import { FusionPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { FusionSensorAttention, SensorAttentionOutput } from './sensor-attention';

/** Options of the `attention` fusion. */
export interface AttentionFusionConfig extends PluginConfig {
  type: 'attention';
  /** Hidden units of the scoring MLP v^T tanh(W f + b). Default 32. */
  units?: number;
  /** 'sum': weighted sum over sensors [B, T, F] (default); 'concat': sensors scaled by S*weight, side by side [B, T, S*F]. */
  output?: SensorAttentionOutput;
}

export const attentionFusionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'attention' },
    units: { type: 'integer', minimum: 1, maximum: 4096, default: 32, description: 'hidden units of the sensor-scoring MLP' },
    output: {
      type: 'string',
      enum: ['sum', 'concat'],
      default: 'sum',
      description: "'sum': attention-weighted sum over sensors; 'concat': each sensor scaled by sensors*weight, concatenated",
    },
  },
} as const;

/**
 * `attention`: per time step, a softmax over sensors of v^T tanh(W f + b) (one scorer shared by all sensors)
 * weights the sensors' feature vectors ([B, T, S, F] -> [B, T, F], or [B, T, S*F] with `output: 'concat'`).
 */
export const attentionFusion: FusionPlugin<AttentionFusionConfig> = {
  type: 'attention',
  description: 'learned softmax weighting of the sensors at each time step (additive attention over sensors)',
  schema: attentionFusionSchema,
  estimate(input, config) {
    const u = config.units ?? 32;
    const { length: L, sensors: S, features: F } = input;
    const features = (config.output ?? 'sum') === 'sum' ? F : S * F;
    return { length: L, features, parameters: F * u + 2 * u, activations: L * S * (2 * u + 2 + F) + L * features };
  },
  apply(input: tf.SymbolicTensor, config: AttentionFusionConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 4) {
      throw new ShapeMismatchError('attention fusion input', input.shape, '[batch, time, sensors, features]');
    }
    const layer = new FusionSensorAttention({
      name: ctx.name('sensor_attention'),
      units: config.units ?? 32,
      output: config.output ?? 'sum',
      seed: ctx.nextSeed(),
    });
    return layer.apply(input) as tf.SymbolicTensor;
  },
};
