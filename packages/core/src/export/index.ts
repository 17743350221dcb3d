export { quantizeWeights, affineUint8, float32ToFloat16Bits, WeightPrecision, WEIGHT_PRECISIONS } from './quantize';
export { BundleManifest, BundleEvaluation, BundleScores, BundleCost, BundleInput, BundleOutput } from './manifest';
