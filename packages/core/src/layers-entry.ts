// `@fusion/core/layers`: what the plugin packages' tfjs layer classes need at run time and nothing that touches
// Node (no fs, path, child_process), so the layers load in a browser bundle and in any JavaScript runtime.
export { LayerArgs, LayerKwargs, isTraining, singleInput, singleShape } from './layers/types';
export { mixSeed } from './layers/seeds';
export { registerClassAlias } from './layers/class-alias';
export { SeededDropout } from './layers/seeded-dropout';
export { SensorBlockLayer, SensorBlockArgs, notBuiltError } from './layers/sensor-block';
export { causalShiftStack, causalConv1d, groupedPointwise, GROUPED_BATCHED_MAX_ROWS, ROW_TAPS_MIN_STEPS, tapsFromRows } from './layers/causal-conv';
export { orthogonalMatrix } from './layers/initializers';
export { section, uleb, wasmName } from './wasm-bytes';
export { FusionError, ShapeMismatchError } from './errors';
export { SelectSensor } from './model/select-sensor';
export { inferProbs, ensembleProbs, multiRateProbs } from './model/infer';
export type { BundleManifest, BundleEvaluation, BundleScores, BundleCost, BundleInput, BundleOutput } from './export/manifest';
export type { WeightPrecision } from './export/quantize';
