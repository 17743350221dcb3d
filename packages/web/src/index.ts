// @fusion/web: run an exported fusion bundle (`fusion-cli export`) in a browser or any tfjs runtime. Importing it
// registers the fusion layers with the host's tfjs, so stock `tf.loadLayersModel` reads an exported model too.
export { registeredLayers } from './layers';
export { BundleError, BundleInput, BundleManifest, BundleOutput, FusionBundle, loadBundle, LoadBundleOptions, loadMembers } from './bundle';
export { DroppedFile, livePredictions, LiveOptions, readE4Files, replayRecording, webSocketChunks, PredictionEvent, StreamEvent } from './live';
