import * as tf from '@tensorflow/tfjs';
import { CheckContext, FusionPlugin, ModelContext, PluginConfig, ShapeMismatchError, SpecIssue } from '@fusion/core';
import { channelFeatureNames, FeatureGroup, HRV_MIN_RATE } from './window-features';
import { FusionWindowFeatures } from './window-features-layer';

export { FusionWindowFeatures };

/** Options of the `features` node. */
export interface FeaturesConfig extends PluginConfig {
  type: 'features';
  /** Feature groups computed for every channel of the node's inputs (see window-features.ts). */
  groups: FeatureGroup[];
}

export const featuresSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'features' },
    groups: {
      type: 'array',
      items: { enum: ['statistics', 'eda', 'hrv'] },
      minItems: 1,
      uniqueItems: true,
      default: ['statistics'],
      description: 'per channel: statistics (mean, sd, min, max, slope), eda (tonic, phasic, SCR count), hrv (mean IBI, SDNN, RMSSD, pNN50 from pulse-wave peaks; >= 32 Hz)',
    },
  },
} as const;


/** `features`: statistics, EDA tonic/phasic/SCR and HRV of each window of its sensor inputs, as one time step. */
export const featuresNode: FusionPlugin<FeaturesConfig> = {
  type: 'features',
  description: 'handcrafted per-window features of its sensor inputs (statistics, EDA tonic/phasic/SCR count, HRV from pulse peaks), no weights',
  schema: featuresSchema,
  rawInputs: true,
  outputShape: (inputs, config) => {
    const [, s, c] = inputs[0];
    return [1, s * c * channelFeatureNames(config.groups ?? ['statistics']).length];
  },
  estimate: (input, config) => {
    const f = channelFeatureNames(config.groups ?? ['statistics']).length;
    return { length: 1, features: input.sensors * input.features * f, parameters: 0, activations: input.sensors * input.features * f };
  },
  check(config: FeaturesConfig, ctx: CheckContext): SpecIssue[] {
    const groups = config.groups ?? ['statistics'];
    if (!groups.includes('hrv') || ctx.window === undefined) return [];
    const rate = ctx.length / ctx.window;
    if (rate >= HRV_MIN_RATE) return [];
    return [{ path: '/groups', message: `"hrv" needs pulse waves at >= ${HRV_MIN_RATE} Hz to find beats, but the input has ${rate} Hz (${ctx.length} samples per ${ctx.window}-s window). Feed it a bvp input with "rate" >= ${HRV_MIN_RATE}, or drop "hrv".` }];
  },
  apply(input: tf.SymbolicTensor, config: FeaturesConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 4) throw new ShapeMismatchError('features input', input.shape, '[batch, time, sensors, channels]');
    const t = input.shape[1];
    if (t == null || ctx.window === undefined) throw new ShapeMismatchError('features input', input.shape, 'a known time length and window');
    return new FusionWindowFeatures({ name: ctx.name('features'), rate: t / ctx.window, groups: config.groups ?? ['statistics'] }).apply(input) as tf.SymbolicTensor;
  },
};
