import * as tf from '@tensorflow/tfjs';
import { CheckContext, FusionPlugin, ModelContext, PluginConfig, ShapeMismatchError, SpecIssue } from '@fusion/core';
import { LayerArgs, singleInput, singleShape } from '@fusion/core/layers';
import { channelFeatureNames, channelFeatures, FeatureGroup, HRV_MIN_RATE } from './window-features';

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

/**
 * Handcrafted features of each window as a model node: [batch, time, sensors, channels] -> [batch, 1, features], the
 * features of every (sensor, channel) side by side. Computed on the host from the node's sensor inputs with no weights
 * and no gradient (the layers after it train; core refuses a `features` node fed by another node, `rawInputs`).
 */
export class FusionWindowFeatures extends tf.layers.Layer {
  static className = 'FusionWindowFeatures';
  private readonly rate: number;
  private readonly groups: FeatureGroup[];

  constructor(args: LayerArgs & { rate: number; groups: FeatureGroup[] }) {
    super({ ...args, trainable: false });
    this.rate = args.rate;
    this.groups = [...args.groups];
  }

  private perChannel(): number {
    return channelFeatureNames(this.groups).length;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, this.name);
    if (s.length !== 4 || s[2] == null || s[3] == null) throw new ShapeMismatchError(this.name, s, '[batch, time, sensors, channels] with sensors and channels known');
    return [s[0], 1, s[2] * s[3] * this.perChannel()];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs, this.name);
    if (x.rank !== 4) throw new ShapeMismatchError(this.name, x.shape, '[batch, time, sensors, channels]');
    const [b, t, s, c] = x.shape;
    const data = x.dataSync();
    const F = this.perChannel();
    const out = new Float32Array(b * s * c * F);
    const series = new Float32Array(t);
    let at = 0;
    for (let i = 0; i < b; i++) {
      for (let ch = 0; ch < s * c; ch++) {
        for (let k = 0; k < t; k++) series[k] = data[(i * t + k) * s * c + ch];
        at = channelFeatures(series, this.rate, this.groups, out, at);
      }
    }
    return tf.tensor3d(out, [b, 1, s * c * F]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, groups: this.groups };
  }
}
tf.serialization.registerClass(FusionWindowFeatures);

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
