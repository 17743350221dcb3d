// `@fusion/heads/layers`: the heads' tfjs layer classes (registered with tf.serialization on import), without the
// plugin factories, schemas and container module, so a saved model loads where Node modules are not available.
export { FusionBiGru } from './bigru-layer';
export { FusionSLstm, FusionMLstm, FusionXLstmReverse, FusionXLstmReadout } from './xlstm-layers';
export { FusionMultiHeadAttention } from './attention-layer';
export { FusionPositionalEncoding } from './positional-encoding';
export { FusionLayerNorm, FusionXLstmLayerNorm } from './layer-norm';
export { FusionTransformerFeedForward, FusionTransformerPool } from './transformer-layers';
