/** Wire and in-process types of the streaming pipeline. Times are Unix seconds. */

/** One text line as it arrived, with where it came from (for error reports). */
export interface Line {
  text: string;
  /** 1-based line number within its origin. */
  lineNo: number;
  /** Connection or input name, e.g. `stdin`, `tcp#3 127.0.0.1:53120`, `ws#1`. */
  origin: string;
}

/** Samples of one sensor of one stream: sample i has `times[i]` and channels `values[i*channels ..]`. */
export interface SampleChunk {
  stream: string;
  sensor: string;
  times: Float64Array;
  values: Float32Array;
  channels: number;
  /** Sample rate declared by the sender (batch form), if any. */
  fs?: number;
}

/** A line that could not be used. */
export interface Malformed {
  malformed: true;
  origin: string;
  lineNo: number;
  reason: string;
}

/** One ordered sample of a stream (after reordering and de-duplication). */
export interface Sample {
  sensor: string;
  t: number;
  values: ArrayLike<number>;
  fs?: number;
}

/** One point of the model's grid: `values[s]` for each model sensor (NaN when missing), covering [t, t + 1/fs). */
export interface Frame {
  /** Grid index from the stream's origin (may be negative before it). */
  k: number;
  /** Start of the grid point's bin: origin + k / sampleRate. */
  t: number;
  values: Float32Array;
}

/** A window cut from the grid, raw (not normalised) values, [length * sensors] row-major. */
export interface Window {
  stream: string;
  /** Grid index of the first frame. */
  k0: number;
  windowEnd: number;
  x: Float32Array;
  /** Fraction of missing grid points per sensor. */
  missing: Record<string, number>;
  /** Why it will not be predicted (too many missing points, warm-up of the running statistics). */
  skipped?: 'missing' | 'warmup';
  /** Wall-clock ms when the window was cut (for latency). */
  cutAt: number;
}

/** What comes out on stdout, one NDJSON line each. */
export interface PredictionEvent {
  stream: string;
  windowEnd: number;
  probs: Record<string, number>;
  label: string;
  latencyMs: number;
  missing: Record<string, number>;
  /** With several outputs: every output's probabilities and predicted class (`probs`/`label` above are the first's). */
  outputs?: Record<string, { probs: Record<string, number>; pred: string }>;
}

export interface SkippedEvent {
  stream: string;
  windowEnd: number;
  skipped: 'missing' | 'warmup';
  missing: Record<string, number>;
}

export type StreamEvent = PredictionEvent | SkippedEvent;

/** Mean and standard deviation of one sensor's grid values. */
export interface SensorStats {
  mean: number;
  sd: number;
  n: number;
}
