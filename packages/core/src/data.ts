/**
 * The in-memory data model shared by adapters, preprocessing, training and streaming.
 * Times are in seconds (Unix epoch or any consistent origin).
 */

/** A regularly sampled signal: sample i of channel c is `data[i * channels + c]` at `t0 + i / fs`. */
export interface Signal {
  t0: number;
  fs: number;
  channels: number;
  data: Float32Array;
  /** Where it was read from, for error messages. */
  source?: string;
}

/** An irregular series (e.g. inter-beat intervals): `values[i]` at `times[i]`. */
export interface EventSeries {
  times: Float64Array;
  values: Float32Array;
  source?: string;
}

/** A labelled span of time: `values` maps a target (arousal, valence, stress, ...) to its raw value. */
export interface LabelInterval {
  start: number;
  end: number;
  values: Record<string, number>;
}

export interface Recording {
  subject: string;
  /** Regular signals by sensor name (bvp, eda, temp, acc, hr, ...). */
  signals: Record<string, Signal>;
  /** Irregular series by name (ibi). */
  events?: Record<string, EventSeries>;
  labels: LabelInterval[];
  /** The span of interest (e.g. the debate); windows are cut only inside it when given. */
  span?: { start: number; end: number };
  source?: string;
}

export interface Dataset {
  name: string;
  recordings: Recording[];
  warnings: string[];
}

/**
 * Windows ready for a model: `x` is [n, length, sensors] row-major, `y` the class index,
 * `subjects[i]` the subject of window i and `ends[i]` the window end time.
 */
export interface WindowSet {
  x: Float32Array;
  y: Int32Array;
  subjects: string[];
  ends: Float64Array;
  length: number;
  sensors: string[];
  classes: string[];
  /** Several outputs only: the class index of every output's label, by output name (the first output's is `y`). */
  ys?: Record<string, Int32Array>;
  /**
   * Inputs at their own rates (graph inputs with a `rate`): each window's row of `x` is these parts one after the
   * other, part k holding `length` samples of its one channel. `length` and `sensors` then describe the parts only
   * loosely (`length`: the longest part); use `windowSize`. Absent: every sensor at one rate ([length, sensors]).
   */
  parts?: WindowPart[];
}

/** One input's block in a multi-rate window row: `length` samples at `rate` Hz, from `offset` in the row. */
export interface WindowPart {
  /** The graph input. */
  name: string;
  sensor: string;
  rate: number;
  length: number;
  offset: number;
  /** An event input (e.g. ibi) put on the grid by `eventsToGrid`: seconds after the last event a sample stays valid. */
  maxGap?: number;
}

/** Floats per window in `x`. */
export function windowSize(w: Pick<WindowSet, 'length' | 'sensors' | 'parts'>): number {
  return w.parts ? partsSize(w.parts) : w.length * w.sensors.length;
}

/** Floats per multi-rate window row: the parts' lengths together. */
export function partsSize(parts: readonly Pick<WindowPart, 'length'>[]): number {
  return parts.reduce((a, p) => a + p.length, 0);
}

export function windowCount(w: WindowSet): number {
  return w.y.length;
}

/** The windows at the given indices, as a new set. */
export function selectWindows(w: WindowSet, idx: ArrayLike<number>): WindowSet {
  const per = windowSize(w);
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  const ends = new Float64Array(idx.length);
  const subjects: string[] = new Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    x.set(w.x.subarray(i * per, (i + 1) * per), k * per);
    y[k] = w.y[i];
    ends[k] = w.ends[i];
    subjects[k] = w.subjects[i];
  }
  const ys = w.ys && Object.fromEntries(Object.entries(w.ys).map(([k, v]) => [k, Int32Array.from(idx, (i) => v[i])]));
  return { x, y, subjects, ends, length: w.length, sensors: w.sensors, classes: w.classes, ...(ys ? { ys } : {}), ...(w.parts ? { parts: w.parts } : {}) };
}
