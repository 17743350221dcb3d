// The multi-input ensemble inference lives in core (Node-free, shared with @fusion/web).
export { multiRateProbs } from '@fusion/core';
