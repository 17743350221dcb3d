// `@fusion/encoders/layers`: the encoders' tfjs layer classes (registered with tf.serialization on import), without
// the plugin factories, schemas and container module, so a saved model loads where Node modules are not available.
export { FusionTcnBlock } from './tcn-block';
export { FusionTcnCasaBlock } from './tcn-casa-block';
export { FusionResBlock1d } from './res-block';
export { FusionTimeStride } from './time-stride';
