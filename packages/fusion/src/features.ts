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
      description: 'per channel: statistics (mean, sd, min, max, slope), eda (tonic, phasic, SCR count), hrv (mean IBI, SDNN, RMSSD, pNN50 from pulse-wave peaks at >= 32 Hz, or from an ibi input)',
    },
  },
} as const;


/** `features`: statistics, EDA tonic/phasic/SCR and HRV of each window of its sensor inputs, as one time step. */
export const featuresNode: FusionPlugin<FeaturesConfig> = {
  type: 'features',
  description: 'handcrafted per-window features of its sensor inputs (statistics, EDA tonic/phasic/SCR count, HRV from pulse peaks or an ibi input), no weights',
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
    // an ibi event input gives its beats itself; every other input needs a pulse wave fast enough to find them
    const waves = ctx.sensors.filter((s) => !ctx.events?.includes(s));
    if (rate >= HRV_MIN_RATE || !waves.length) return [];
    return [
      {
        path: '/groups',
        message: `"hrv" needs pulse waves at >= ${HRV_MIN_RATE} Hz to find beats, but the input${waves.length > 1 ? 's' : ''} ${waves.join(', ')} ha${waves.length > 1 ? 've' : 's'} ${rate} Hz (${ctx.length} samples per ${ctx.window}-s window). Feed it a bvp input with "rate" >= ${HRV_MIN_RATE} or an ibi input, or drop "hrv".`,
      },
    ];
  },
  apply(input: tf.SymbolicTensor, config: FeaturesConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 4) throw new ShapeMismatchError('features input', input.shape, '[batch, time, sensors, channels]');
    const t = input.shape[1];
    if (t == null || ctx.window === undefined) throw new ShapeMismatchError('features input', input.shape, 'a known time length and window');
    // HRV of an ibi event input from its held beat intervals (window-features.ts), of any other from pulse peaks
    const ibi = ctx.events && ctx.sensors.length === input.shape[2] ? ctx.sensors.map((s) => ctx.events!.includes(s)) : undefined;
    return new FusionWindowFeatures({ name: ctx.name('features'), rate: t / ctx.window, groups: config.groups ?? ['statistics'], ...(ibi ? { ibi } : {}) }).apply(input) as tf.SymbolicTensor;
  },
};
