// `@fusion/core/live`: what live preprocessing needs (resampling onto the model's grid, a recording's grid and its
// statistics, the named data errors) and nothing that touches Node, so the stream operators and the E4 parser run
// in a browser bundle too.
export type { Signal, Recording, EventSeries, LabelInterval, WindowPart } from './data';
export { partsSize } from './data';
export type { PreprocessingSpec } from './spec';
export { DataFormatError, DatasetError, FusionError } from './errors';
export { resampleToGrid, reducerFor, magnitude } from './preprocess/resample';
export { recordingGrid, SensorGrid } from './preprocess/windows';
export { stats, zscore } from './preprocess/normalize';
export { inputRecordingStats, InputRate, multiRateInputs, windowParts } from './preprocess/multirate';
export { eventsToGrid } from './preprocess/events';
