import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from './data';
import type { PluginConfig } from './spec';

/** A JSON Schema object for a plugin's options (including its `type: { const: ... }`). */
export type JsonSchema = Record<string, unknown>;

/** What every plugin declares: its name, a line for `--help`-style listings, and its option schema. */
export interface PluginBase {
  readonly type: string;
  readonly description: string;
  /** Schema of the whole config object, `type` included; `additionalProperties: false` recommended. */
  readonly schema: JsonSchema;
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

/** Sensor adapter: reads (or makes) a dataset. */
export interface DatasetAdapter<C extends PluginConfig = PluginConfig> extends PluginBase {
  /** Sensor names this adapter can provide. */
  readonly sensors: readonly string[];
  load(config: C, ctx: LoadContext): Promise<Dataset>;
}

/** What a model-building plugin knows about the model it is part of. */
export interface ModelContext {
  sensors: readonly string[];
  /** Samples per window. */
  length: number;
  classes: number;
  /** A fresh seed for an initialiser or a dropout stream. */
  nextSeed(): number;
  /** A unique layer name under the given prefix (names group parameters per block in `summary`). */
  name(prefix: string): string;
}

/** Per-sensor encoder: [batch, time, sensors, channels] -> [batch, time', sensors, features]. */
export interface EncoderPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
}

/** Fusion: [batch, time, sensors, features] -> [batch, time, fused features]. */
export interface FusionPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
}

/** Temporal head: [batch, time, features] -> [batch, features'] (the classifier is added by core). */
export interface HeadPlugin<C extends PluginConfig = PluginConfig> extends PluginBase {
  apply(input: tf.SymbolicTensor, config: C, ctx: ModelContext): tf.SymbolicTensor;
}

/** Contribution tokens: a package binds its plugins to these; core collects them into registries. */
export const DatasetAdapterContribution = Symbol('DatasetAdapterContribution');
export const EncoderContribution = Symbol('EncoderContribution');
export const FusionContribution = Symbol('FusionContribution');
export const HeadContribution = Symbol('HeadContribution');
