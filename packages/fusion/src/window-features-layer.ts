import * as tf from '@tensorflow/tfjs';
import { LayerArgs, ShapeMismatchError, singleInput, singleShape } from '@fusion/core/layers';
import { channelFeatureNames, channelFeatures, FeatureGroup } from './window-features';

/**
 * Handcrafted features of each window as a model node: [batch, time, sensors, channels] -> [batch, 1, features], the
 * features of every (sensor, channel) side by side. Computed on the host from the node's sensor inputs with no weights
 * and no gradient (the layers after it train; core refuses a `features` node fed by another node, `rawInputs`).
 */
export class FusionWindowFeatures extends tf.layers.Layer {
  static className = 'FusionWindowFeatures';
  private readonly rate: number;
  private readonly groups: FeatureGroup[];
  /** Per sensor on the sensor axis: an event input of beat intervals (`ibi`), whose HRV comes from its steps. */
  private readonly ibi?: boolean[];

  constructor(args: LayerArgs & { rate: number; groups: FeatureGroup[]; ibi?: boolean[] }) {
    super({ ...args, trainable: false });
    this.rate = args.rate;
    this.groups = [...args.groups];
    if (args.ibi?.some((b) => b)) this.ibi = [...args.ibi];
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
        at = channelFeatures(series, this.rate, this.groups, out, at, this.ibi?.[Math.floor(ch / c)] ?? false);
      }
    }
    return tf.tensor3d(out, [b, 1, s * c * F]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, groups: this.groups, ...(this.ibi ? { ibi: this.ibi } : {}) };
  }
}
tf.serialization.registerClass(FusionWindowFeatures);
