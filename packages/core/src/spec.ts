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
  /** Largest estimated training memory (weights, optimiser state, one batch's activations; float32) in MB. */
  maxMemoryMB: number;
}

/** Personalisation reported apart: the first `minutes` of each test subject set its decision threshold (eval/personalise.ts). */
export interface CalibrationSpec {
  minutes: number;
}

export type EvaluationSpec = (
  | { type: 'loso' }
  | { type: 'group-kfold'; k: number }
  | { type: 'groups'; groups: (string | number)[][] }
) & { calibration?: CalibrationSpec };

export interface GraphInputSpec {
  sensor: string;
  /** Samples per second; for now the common `preprocessing.sampleRate` (the default). */
  rate?: number;
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
  properties: { minutes: { type: 'number', exclusiveMinimum: 0, maximum: 600, description: "first minutes of each test subject's windows that set its decision threshold (binary labels); reported apart" } },
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
