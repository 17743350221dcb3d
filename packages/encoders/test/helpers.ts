// The shared layer-testing helpers live in core (one copy for every plugin package).
export { evalLoss, maxAbsDiff, roundTrip, testContext, trainStep, useBackend } from '@fusion/core';
