// Shared layer utilities for plugin packages: seeded dropout, causal dilated convolution built from matMul,
// seeded initialisers and a finite-difference gradient check for tests.
export { LayerArgs, LayerKwargs, isTraining, singleInput, singleShape } from './types';
export { mixSeed } from './seeds';
export { registerClassAlias } from './class-alias';
export { SeededDropout } from './seeded-dropout';
export { SensorBlockLayer, SensorBlockArgs, notBuiltError } from './sensor-block';
export { causalShiftStack, causalConv1d, groupedPointwise, GROUPED_BATCHED_MAX_ROWS, GROUPED_TINY_MAX_MACS, ROW_TAPS_MIN_STEPS, tapsFromRows } from './causal-conv';
export { orthogonalMatrix } from './initializers';
export { gradCheck, GradCheckOptions, GradCheckResult, GradCheckEntry } from './grad-check';
export { evalLoss, maxAbsDiff, roundTrip, testContext, trainStep, useBackend } from './testing';
