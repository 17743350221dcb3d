// `@fusion/fusion/layers`: the fusion blocks' tfjs layer classes (registered with tf.serialization on import),
// without the plugin factories, schemas and container module, so a saved model loads where Node modules are not available.
export { FusionSensorConcat } from './sensor-concat';
export { FusionSensorAttention } from './sensor-attention';
export { FusionDecisionWeights } from './decision-weights';
export { FusionWindowFeatures } from './window-features-layer';
