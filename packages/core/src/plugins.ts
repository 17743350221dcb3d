import type * as tf from '@tensorflow/tfjs';
import type { Dataset, Recording } from './data';
import type { SpecIssue } from './errors';
import type { PluginConfig } from './spec';

/** A JSON Schema object for a plugin's options (including its `type: { const: ... }`). */
export type JsonSchema = Record<string, unknown>;

/** What every plugin declares: its name, a line for `--help`-style listings, and its option schema. */
export interface PluginBase {
  readonly type: string;
  readonly description: string;
  /** Schema of the whole config object, `type` included; `additionalProperties: false` recommended. */
  readonly schema: JsonSchema;
  /**
   * Optional checks the schema cannot express (one option against another, or against the window), run after the
   * schema by `validate` and `run` before any data is read or any layer is built. Issue paths are JSON pointers
   * relative to this plugin's config (`/dilations`, "" for the config itself); core prefixes the config's own path.
   * A config that passes the schema and `check` must build.
   */
  check?(config: PluginConfig, ctx: CheckContext): SpecIssue[];
}

/** What a plugin's `check` knows about the spec around its config. */
export interface CheckContext {
  /** Sensors the spec asks for (for a per-sensor encoder: that one sensor). */
  sensors: readonly string[];
  /** Samples per window (window x sampleRate). */
  length: number;
  classes: number;
  /** The preprocessing common rate in Hz. */
  sampleRate: number;
  /** Seconds per window (`preprocessing.window`). */
  window?: number;
  /** The sensors among `sensors` that are event series on a grid (e.g. `ibi`: the last beat's interval, in seconds). */
  events?: readonly string[];
}

/** Sizes of a plugin's output and what it holds, for the memory estimate made before a model is built. */
export interface ShapeEstimate {
  /** Time steps of the output (encoders and fusions). */
  length: number;
  /** Features per step (per sensor for an encoder's output). */
  features: number;
  /** Trainable and non-trainable weights. */
  parameters: number;
  /** Floats of intermediate results per window (each layer's output counted once, attention maps included). */
  activations: number;
}

/** Input sizes handed to `estimate`: time steps, sensors, features per sensor (encoders, fusions) or per step (heads). */
export interface EstimateInput {
  length: number;
  sensors: number;
  features: number;
}

export interface LoadContext {
  /** Folder relative paths in the spec are resolved against. */
  baseDir: string;
  /** Where generated or derived data may be cached. */
  cacheDir: string;
  /** Sensors the spec asks for; an adapter may skip reading the others. */
  sensors: readonly string[];
  warn(message: string): void;
  /** True once the run was asked to stop (SIGINT/SIGTERM): a long load may check it between files and throw `InterruptedError`. */
  shouldStop?: () => boolean;
}

/** What `readRecording` knows: the sensors wanted and where its warnings go. */
export interface RecordingContext {
  /** Sensors the model uses; an adapter may skip reading the others. */
  sensors: readonly string[];
  warn(message: string): void;
}

/** Sensor adapter: reads (or makes) a dataset. */
export interface DatasetAdapter<C extends PluginConfig = PluginConfig> extends PluginBase {
  /** Sensor names this adapter can provide. */
  readonly sensors: readonly string[];
  /** Optional: the raw labels its recordings carry (arousal, valence, stress, ...); outputs are checked against them. */
  readonly labels?: readonly string[];
  /** Native sample rate (Hz) of each sensor, when fixed: graph inputs may ask for it or an integer divisor of it. */
  readonly rates?: Readonly<Record<string, number>>;
  /**
   * Optional: event series its recordings carry in `events` (irregular times, e.g. `ibi`: inter-beat intervals in
   * seconds at each beat). A graph input may name one; it is resampled onto the input's grid (preprocess/events.ts).
   */
  readonly events?: readonly string[];
  load(config: C, ctx: LoadContext): Promise<Dataset>;
  /**
   * Optional: reads one recording in this adapter's layout (a folder or a file, given by absolute path) for replay
   * (`fusion-cli stream --source replay:<location>`), with the `span` evaluation windows it by, so the replay's grid
   * starts where evaluation's does; labels when the layout has them. Returns undefined when `location` is not in this
   * adapter's layout (replay then asks the next adapter); a location that is, but is malformed, throws a named error.
   * Adapters without it keep working for `run`; replay names them in a `ReplayNotSupportedError`.
   */
  readRecording?(location: string, ctx: RecordingContext): Recording | undefined | Promise<Recording | undefined>;
}

/** What a model-building plugin knows about the model it is part of. */
export interface ModelContext {
  sensors: readonly string[];
  /** Samples per window. */
  length: number;
  classes: number;
  /** Seconds per window (`preprocessing.window`): a node's input covers it, whatever its time steps. */
  window?: number;
  /** The sensors among `sensors` that are event series on a grid (e.g. `ibi`: the last beat's interval, in seconds). */
  events?: readonly string[];
  /** A fresh seed for an initialiser or a dropout stream. */
  nextSeed(): number;
  /** A unique layer name under the given prefix (names group parameters per block in `summary`). */
  name(prefix: string): string;
}

/** Per-sensor encoder: [batch, time, sensors, channels] -> [batch, time', sensors, features]. */
export interface EncoderPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
  /** Shape-level sizes from the config alone (nothing built); plugins without it are left out of the estimate. */
  estimate?(input: EstimateInput, config: C): ShapeEstimate;
  /**
   * Optional: the output shape (batch excluded) for the input shapes (one: a node's inputs are stacked first), for
   * the graph checks and `validate`. Without it core derives the shape from `estimate`.
   */
  outputShape?(inputs: readonly (readonly number[])[], config: C): number[];
}

/**
 * Fusion: [batch, time, sensors, features] -> [batch, time, fused features]. A decision-level fusion (`decision: true`)
 * instead gets the class probabilities of a classifier core puts on each of its inputs (heads), [batch, inputs,
 * classes], and returns [batch, classes] probabilities; an output naming it adds no classifier of its own.
 */
export interface FusionPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  readonly decision?: boolean;
  /** The node takes graph inputs only: it computes from raw samples, with no gradient through it (e.g. `features`). */
  readonly rawInputs?: boolean;
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
  /** Shape-level sizes from the config alone (nothing built); plugins without it are left out of the estimate. */
  estimate?(input: EstimateInput, config: C): ShapeEstimate;
  /**
   * Optional: the output shape (batch excluded) for the input shapes (one: a node's inputs are stacked first), for
   * the graph checks and `validate`. Without it core derives the shape from `estimate`.
   */
  outputShape?(inputs: readonly (readonly number[])[], config: C): number[];
}

/** Temporal head: [batch, time, features] -> [batch, features'] (the classifier is added by core). */
export interface HeadPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
  /** Shape-level sizes from the config alone (nothing built); plugins without it are left out of the estimate. */
  estimate?(input: EstimateInput, config: C): ShapeEstimate;
  /**
   * Optional: the output shape (batch excluded) for the input shapes (one: a node's inputs are stacked first), for
   * the graph checks and `validate`. Without it core derives the shape from `estimate`.
   */
  outputShape?(inputs: readonly (readonly number[])[], config: C): number[];
}

/** Contribution tokens: a package binds its plugins to these; core collects them into registries. */
export const DatasetAdapterContribution = Symbol('DatasetAdapterContribution');
export const EncoderContribution = Symbol('EncoderContribution');
export const FusionContribution = Symbol('FusionContribution');
export const HeadContribution = Symbol('HeadContribution');
