// `@fusion/stream/live`: the live operators without Node modules (no sockets, files or the tfjs model loader), so a
// browser runs the same windowing, resampling and normalisation as `fusion-cli stream` (the web demo imports them).
export { alignResample, AlignOptions } from './align-resample';
export { eventGrid, EventGridOptions } from './event-grid';
export { createCounters, LatencyRecorder, StreamCounters, StreamSummary, summarize } from './counters';
export { normalizeWindows, WindowNormalization } from './normalize-windows';
export { isMalformed, parseLine, parseNdjson, ParseOptions } from './parse-ndjson';
export { PipelineOptions, streamPipeline } from './pipeline';
export { flooredStats, RunningStats } from './running-stats';
export { recordingStats, ReplayOptions, replaySource } from './sources/replay-source';
export { windowStream, WindowStreamOptions } from './window-stream';
export type { Predictor, PredictorOutput } from './predictor';
export { outputEvents, predictorWidth } from './predictor';
export { Frame, Line, Malformed, PredictionEvent, Sample, SampleChunk, SensorStats, SkippedEvent, StreamEvent, Window } from './types';
