/** The JSON graph spec, as TypeScript sees it after validation and defaults. */

/** Any plugin's options: its `type` selects the plugin, the rest is validated by the plugin's own schema. */
export interface PluginConfig {
  type: string;
  [option: string]: unknown;
}

export interface LabelSpec {
  /** Which raw label to predict (arousal, valence, stress, ...). */
  target: string;
  /** `threshold`: class 1 when value >= threshold (K-EmoCon: low <= 2, high >= 3); `identity`: values are class ids. */
  mapping: 'threshold' | 'identity';
  threshold: number;
  classes: string[];
}

export interface PreprocessingSpec {
  sampleRate: number;
  window: number;
  hop: number;
  normalize: 'subject' | 'train' | 'none';
  label: LabelSpec;
  /** Largest fraction of a window a sensor may miss before the window is dropped. */
  maxMissing: number;
  augment: { noise: number; copies: number };
}

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  patience: number;
  ensemble: number;
  /** Fraction of the training subjects held out (by subject) for early stopping. */
  validationFraction: number;
  restoreBest: boolean;
  classWeight: 'none' | 'balanced';
  reduceLrOnPlateau: { factor: number; patience: number } | false;
  /** Learning rate per epoch (absent: constant `learningRate`); see runner/src/model/lr-schedule.ts. */
  lrSchedule?: LrScheduleSpec;
  /** Largest estimated training memory (weights, optimiser state, one batch's activations; float32) in MB. */
  maxMemoryMB: number;
}

/** cosine: from learningRate down to minLearningRate over the epochs after warm-up; step: times factor every `every` epochs. */
export type LrScheduleSpec =
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number }
  | { type: 'step'; every: number; factor: number; warmupEpochs?: number };

/** Personalisation: the first `minutes` labelled minutes of each test subject adapt the model and leave its test set. */
export interface CalibrationSpec {
  /** One value or several (a curve), each >= 0. */
  minutes: number | number[];
}

export type EvaluationSpec = (
  | { type: 'loso' }
  | { type: 'group-kfold'; k: number }
  | { type: 'groups'; groups: (string | number)[][] }
) & { calibration?: CalibrationSpec };

export interface GraphInputSpec {
  sensor: string;
  /** Samples per second (default: the common `preprocessing.sampleRate`); see preprocess/multirate.ts. */
  rate?: number;
  /** Fraction of this input's samples a window may miss (default: `preprocessing.maxMissing`). */
  maxMissing?: number;
  /**
   * Event inputs only (a sensor the dataset adapter lists in `events`, e.g. `ibi`; filled in by validation): a grid
   * sample more than `maxGap` seconds after the last event is missing. See preprocess/events.ts.
   */
  missing?: { maxGap: number };
}

export interface GraphNodeSpec extends PluginConfig {
  /** Names of sensor inputs or other nodes; several are stacked (on the sensor axis for encoders and fusions). */
  inputs: string[];
}

export interface GraphOutputSpec {
  node: string;
  /** The raw label predicted (arousal, valence, stress, ...). */
  label: string;
  /** Class names (default: `preprocessing.label.classes`). */
  classes?: string[];
  /** Weight of this output's cross-entropy in the training loss (several outputs: their weighted sum); > 0. */
  lossWeight: number;
}

export interface GraphSpec {
  $schema?: string;
  name: string;
  description?: string;
  plugins: string[];
  seed: number;
  dataset: PluginConfig;
  /** Sensors the windows hold (graph form: derived from `inputs` when not given). */
  sensors: string[];
  preprocessing: PreprocessingSpec;
  /** One encoder for every sensor (per-sensor weights unless `shared: true`) ... */
  encoder?: PluginConfig;
  /** ... or one per sensor, by name. */
  encoders?: Record<string, PluginConfig>;
  fusion?: PluginConfig;
  head?: PluginConfig;
  /** Graph form (instead of `encoder(s)`/`fusion`/`head`): named sensor inputs ... */
  inputs?: Record<string, GraphInputSpec>;
  /** ... named plugin nodes, each naming its inputs (sensor inputs or other nodes) ... */
  nodes?: Record<string, GraphNodeSpec>;
  /** ... and the outputs, each naming its node and label. */
  outputs?: Record<string, GraphOutputSpec>;
  training: TrainingSpec;
  evaluation: EvaluationSpec;
  output: { dir: string };
  /** Options to sweep: dotted spec paths mapped to lists of values (see run/sweep.ts). */
  sweep?: Record<string, unknown[]>;
}

/** The JSON Schema of the parts core owns; plugin parts are filled in by `assembleSpecSchema`. */
export const preprocessingSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    sampleRate: { type: 'number', exclusiveMinimum: 0, maximum: 1024, default: 4, description: 'common rate in Hz' },
    window: { type: 'number', exclusiveMinimum: 0, maximum: 3600, default: 5, description: 'window length in seconds' },
    hop: { type: 'number', exclusiveMinimum: 0, maximum: 3600, default: 5, description: 'hop between windows in seconds' },
    normalize: { enum: ['subject', 'train', 'none'], default: 'subject' },
    maxMissing: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
    label: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        target: { type: 'string', minLength: 1, default: 'arousal' },
        mapping: { enum: ['threshold', 'identity'], default: 'threshold' },
        threshold: { type: 'number', minimum: -1e9, maximum: 1e9, default: 3 },
        classes: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, maxItems: 1000, uniqueItems: true, default: ['low', 'high'] },
      },
    },
    augment: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        noise: { type: 'number', minimum: 0, maximum: 100, default: 0, description: 'Gaussian noise sigma (EmoHEAL: 0.01)' },
        copies: { type: 'integer', minimum: 0, maximum: 16, default: 1, description: 'noisy copies per window' },
      },
    },
  },
} as const;

export const trainingSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    epochs: { type: 'integer', minimum: 1, maximum: 10000, default: 30 },
    batchSize: { type: 'integer', minimum: 1, maximum: 8192, default: 32 },
    learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.001 },
    weightDecay: { type: 'number', minimum: 0, maximum: 1, default: 0 },
    patience: { type: 'integer', minimum: 0, maximum: 10000, default: 10 },
    ensemble: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    validationFraction: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.2 },
    restoreBest: { type: 'boolean', default: true },
    classWeight: { enum: ['none', 'balanced'], default: 'none' },
    reduceLrOnPlateau: {
      default: false,
      oneOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          required: ['factor', 'patience'],
          properties: {
            factor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
            patience: { type: 'integer', minimum: 0, maximum: 10000 },
          },
        },
      ],
    },
    lrSchedule: {
      description: 'learning rate per epoch (absent: constant learningRate); warm-up: linear from learningRate / warmupEpochs',
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string' } },
      discriminator: { propertyName: 'type' },
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { const: 'cosine' },
            minLearningRate: { type: 'number', minimum: 0, maximum: 10, description: 'default 0' },
            warmupEpochs: { type: 'integer', minimum: 0, maximum: 10000, description: 'default 0' },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'every', 'factor'],
          properties: {
            type: { const: 'step' },
            every: { type: 'integer', minimum: 1, maximum: 10000 },
            factor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
            warmupEpochs: { type: 'integer', minimum: 0, maximum: 10000, description: 'default 0' },
          },
        },
      ],
    },
    maxMemoryMB: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1048576,
      default: 4096,
      description: 'largest estimated training memory in MB (weights, Adam state, one batch of activations, float32); FUSION_MAX_MEMORY_MB or --max-memory override it',
    },
  },
} as const;

const calibrationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['minutes'],
  description: 'personalisation, reported apart: the first N labelled minutes of each test subject adapt the model (per-subject threshold) and leave its test windows',
  properties: {
    minutes: {
      oneOf: [
        { type: 'number', minimum: 0, maximum: 1440 },
        { type: 'array', minItems: 1, maxItems: 16, uniqueItems: true, items: { type: 'number', minimum: 0, maximum: 1440 } },
      ],
    },
  },
} as const;

export const evaluationSchema = {
  type: 'object',
  default: { type: 'loso' },
  required: ['type'],
  properties: { type: { type: 'string' } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'loso' }, calibration: calibrationSchema } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'k'],
      properties: { type: { const: 'group-kfold' }, k: { type: 'integer', minimum: 2, maximum: 1000 }, calibration: calibrationSchema },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'groups'],
      properties: {
        type: { const: 'groups' },
        calibration: calibrationSchema,
        groups: {
          type: 'array',
          minItems: 2,
          items: { type: 'array', minItems: 1, items: { type: ['string', 'integer'] } },
        },
      },
    },
  ],
} as const;
