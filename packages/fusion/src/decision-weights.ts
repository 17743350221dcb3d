import * as tf from '@tensorflow/tfjs';
import { LayerArgs, ShapeMismatchError, singleInput, singleShape } from '@fusion/core/layers';

/** Learnt branch weights: softmax of one trainable logit per branch (zeros at first: the plain mean), a weighted sum. */
export class FusionDecisionWeights extends tf.layers.Layer {
  static className = 'FusionDecisionWeights';
  private logits?: tf.LayerVariable;

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape, this.name);
    if (s.length !== 3 || s[1] == null) throw new ShapeMismatchError(this.name, s, '[batch, branches, classes] with branches known');
    this.logits = this.addWeight('logits', [s[1]], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, this.name);
    return [s[0], s[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      const w = tf.softmax(this.logits!.read()).reshape([1, -1, 1]);
      return tf.sum(tf.mul(x, w), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(FusionDecisionWeights);
