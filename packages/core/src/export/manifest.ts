import type { WeightPrecision } from './quantize';

/** Balanced accuracy and AUROC of a set of models on windows with known labels. */
export interface BundleScores {
  balancedAccuracy: number;
  /** Null where the test windows hold only one class. */
  auroc: number | null;
}

/** The measured effect of the export's weight precision on one fold's test windows (or all of them pooled). */
export interface BundleEvaluation {
  windows: number;
  /** The run's float32 models. */
  before: BundleScores;
  /** The exported (possibly quantised) models, loaded back as a stock loader would. */
  after: BundleScores;
  /** Largest absolute difference of an ensemble class probability, exported vs. run models. */
  maxAbsProbDiff: number;
  /** Several outputs only: the same per output by name (the fields above are the first output's). */
  outputs?: Record<string, Omit<BundleEvaluation, 'outputs'>>;
}

/**
 * One model input of a bundle whose inputs have their own rates, in the models' input order: model input k takes
 * [n, windowLength, 1] samples of `sensor` resampled to `rate` Hz. Absent (`inputs` undefined): one input
 * [n, windowLength, sensors] at `sampleRate`.
 */
export interface BundleInput {
  name: string;
  sensor: string;
  /** Hz. */
  rate: number;
  /** Samples per window: round(window x rate). */
  windowLength: number;
  /** Samples between window starts: max(1, round(hop x rate)). */
  hopLength: number;
  /** Largest fraction of the window this input may miss. */
  maxMissing: number;
  /**
   * Event inputs only (e.g. `ibi`): `"events"`. The input's samples are events (a beat: its time and `values[0]`, the
   * interval in seconds), held on the input's grid by `eventsToGrid` (the last event at or before each sample's centre;
   * missing when that event is more than `missing.maxGap` s before it), as `@fusion/stream`'s `eventGrid` does live.
   * Absent: a regularly sampled signal, resampled to `rate`.
   */
  kind?: 'events';
  /** Event inputs only: the spec's `missing.maxGap` (s). */
  missing?: { maxGap: number };
  /** Event inputs only: `"none"`, never z-scored (their statistics in `normalization.folds` are the identity). */
  normalize?: 'none';
}

/** One output of a multi-task bundle, in the models' output order. */
export interface BundleOutput {
  name: string;
  /** The raw label it predicts and its class names. */
  label: string;
  classes: string[];
  lossWeight: number;
}

/** What running a bundle costs per window: all members' weights and MACs; the largest member's activation peak. */
export interface BundleCost {
  weightBytes: number;
  weightBytesByDtype: Record<string, number>;
  macsPerWindow: number;
  peakActivationBytes: number;
}

/**
 * fusion.json: what an exported bundle expects and holds, so that a browser or any tfjs runtime can feed it without
 * the run folder. Windows are [n, windowLength, sensors.length], sensors in this order, resampled to sampleRate.
 */
export interface BundleManifest {
  format: 'fusion-bundle';
  formatVersion: 1;
  name: string;
  createdAt: string;
  /** sha256 (hex) of the run's spec.json, as written by the run. */
  specSha256: string;
  sensors: string[];
  /** Hz: every sensor is resampled onto one grid at this rate. */
  sampleRate: number;
  /** Seconds per window and between window starts. */
  window: number;
  hop: number;
  /** Grid points per window: round(window x sampleRate). */
  windowLength: number;
  /** Largest fraction of a window a sensor may miss; live windows missing more are skipped, as in evaluation. */
  maxMissing: number;
  /**
   * Inputs at their own rates only: one model input per entry (then `sensors` are the distinct sensors and
   * `sampleRate`/`windowLength` the spec's common grid, unused by the models).
   */
  inputs?: BundleInput[];
  /** The (first) output's classes. */
  classes: string[];
  /** Several outputs only: every output in the models' order; `predict` gives their probabilities side by side. */
  outputs?: BundleOutput[];
  label: { target: string; mapping: 'threshold' | 'identity'; threshold: number };
  normalization:
    | { mode: 'none'; rule: string }
    | { mode: 'subject'; rule: string }
    /**
     * Per fold (key: 1-based fold number) the training windows' statistics, one per sensor in `sensors` order; with
     * `inputs`, one per input in `inputs` order (`input` names it).
     */
    | { mode: 'train'; rule: string; folds: Record<string, { sensor: string; input?: string; mean: number; sd: number }[]> };
  precision: WeightPrecision;
  /** Ensemble members, averaged by `predict`; paths relative to fusion.json. */
  members: {
    fold: number;
    member: number;
    path: string;
    weightBytes: number;
    /** Bytes of weights.bin per stored dtype (uint8/float16 codes, float32, int32), from the written files. */
    weightBytesByDtype: Record<string, number>;
    /** Multiply-accumulates of one window (batch 1) and the peak of live layer outputs (float32 bytes), from layer shapes. */
    macsPerWindow: number;
    peakActivationBytes: number;
  }[];
  /** The bundle as a device runs it: every member per window. */
  cost: BundleCost;
  versions: Record<string, string>;
  evaluation: { folds: (BundleEvaluation & { fold: number; testSubjects: string[] })[]; pooled: BundleEvaluation };
}
