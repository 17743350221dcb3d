import * as tf from '@tensorflow/tfjs';
import { EncoderPlugin, FusionError, ModelContext, PluginConfig, ShapeMismatchError, SpecIssue } from '@fusion/core';
import { dilationIssues, ENCODER_BOUNDS as B, tcnEstimate, temporalIssues } from './sizes';
import { FusionTcnBlock, TcnBlockArgs } from './tcn-block';
import { FusionTimeStride } from './time-stride';

/** The temporal-block options of the `tcn` encoder, shared with `tcn-casa`. */
export interface TcnOptions {
  /** Output channels of each temporal block. Default [25, 25, 25] (EmoHEAL). */
  channels?: number[];
  /** Taps per causal convolution. Default 2. */
  kernelSize?: number;
  /** Dilation of each block; default 2^i (1, 2, 4, ...). Same length as `channels`. */
  dilations?: number[];
  /** Dropout after each convolution's ReLU, training only. Default 0.2. */
  dropout?: number;
  /** Residual connection around each block (1x1 projection when channels change). Default true. */
  residual?: boolean;
  /** One set of weights for all sensors (default false: per-sensor weights). */
  shared?: boolean;
  /** Keep every stride-th time step at the end (aligned to the last step). Default 1. */
  stride?: number;
}

/** Options of the `tcn` encoder (after schema defaults). */
export interface TcnConfig extends PluginConfig, TcnOptions {
  type: 'tcn';
}

/** The `tcn` config with every default filled in. */
export interface ResolvedTcnConfig {
  channels: number[];
  kernelSize: number;
  dilations: number[];
  dropout: number;
  residual: boolean;
  shared: boolean;
  stride: number;
}

export const tcnSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'tcn' },
    channels: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: B.channels },
      minItems: 1,
      maxItems: B.blocks,
      default: [25, 25, 25],
      description: 'output channels of each temporal block',
    },
    kernelSize: { type: 'integer', minimum: 1, maximum: B.kernelSize, default: 2, description: 'taps per causal convolution; at most the window length' },
    dilations: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: B.dilation },
      minItems: 1,
      maxItems: B.blocks,
      description: 'dilation of each block, same length as channels; when omitted 2^i (1, 2, 4, ...)',
    },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.2 },
    residual: { type: 'boolean', default: true },
    shared: { type: 'boolean', default: false, description: 'one set of weights for all sensors instead of one per sensor' },
    stride: { type: 'integer', minimum: 1, maximum: B.stride, default: 1, description: 'keep every stride-th time step at the end (the last step is always kept)' },
  },
} as const;

/** Fills the defaults and checks what the schema cannot (dilations vs channels). */
export function resolveTcnConfig(config: TcnConfig): ResolvedTcnConfig {
  const channels = config.channels ?? [25, 25, 25];
  const dilations = config.dilations ?? channels.map((_, i) => 2 ** i);
  if (dilations.length !== channels.length) {
    throw new FusionError(
      `tcn: received ${dilations.length} dilations (${dilations.join(', ')}) for ${channels.length} blocks (channels ${channels.join(', ')}); ` +
        `expected one dilation per block. Give as many dilations as channels, or omit "dilations" for 1, 2, 4, ...`
    );
  }
  return {
    channels,
    kernelSize: config.kernelSize ?? 2,
    dilations,
    dropout: config.dropout ?? 0.2,
    residual: config.residual ?? true,
    shared: config.shared ?? false,
    stride: config.stride ?? 1,
  };
}

/** Output time length of the tcn encoder for an input of `length` steps. */
export function tcnOutputLength(length: number, config: TcnConfig): number {
  return Math.ceil(length / (config.stride ?? 1));
}

/**
 * `tcn`: a causal temporal convolutional network run on every sensor ([B, T, S, C] -> [B, T', S, channels[-1]]),
 * per-sensor weights unless `shared`; one FusionTcnBlock layer per block, named `tcn_*`.
 */
export const tcnEncoder: EncoderPlugin<TcnConfig> = {
  type: 'tcn',
  description: 'causal dilated temporal convolutional network per sensor (EmoHEAL: channels 25-25-25, kernel 2, dilations 1-2-4)',
  schema: tcnSchema,
  check(config: TcnConfig, ctx) {
    return tcnIssues(config, ctx.length);
  },
  estimate(input, config) {
    return tcnEstimate(input, resolveTcnConfig(config));
  },
  apply(input: tf.SymbolicTensor, config: TcnConfig, ctx: ModelContext): tf.SymbolicTensor {
    const cfg = resolveTcnConfig(config);
    return stackTemporalBlocks(input, 'tcn', cfg.stride, ctx, cfg.channels.map((filters, i) => () => new FusionTcnBlock(tcnBlockArgs('tcn', cfg, filters, i, ctx))));
  },
};

/** The schema-unchecked issues of a `tcn` (or `tcn-casa`) config's temporal blocks for windows of `length` steps. */
export function tcnIssues(config: TcnOptions, length: number): SpecIssue[] {
  const c = { channels: config.channels ?? [25, 25, 25], dilations: config.dilations, kernelSize: config.kernelSize ?? 2, stride: config.stride ?? 1 };
  return [...dilationIssues(c, length), ...temporalIssues(c, length)];
}

/** The arguments of block `i` (`filters` channels) of a `tcn`-like encoder; draws the layer name, then the seed. */
export function tcnBlockArgs(prefix: string, cfg: ResolvedTcnConfig, filters: number, i: number, ctx: ModelContext): TcnBlockArgs {
  return {
    name: ctx.name(prefix),
    filters,
    kernelSize: cfg.kernelSize,
    dilation: cfg.dilations[i],
    dropout: cfg.dropout,
    residual: cfg.residual,
    shared: cfg.shared,
    seed: ctx.nextSeed(),
  };
}

/**
 * Applies temporal blocks one after the other (each made when its turn comes, so layer names and seeds are drawn in
 * block order), then the optional time stride: the shared skeleton of the TCN-style encoders.
 */
export function stackTemporalBlocks(input: tf.SymbolicTensor, prefix: string, stride: number, ctx: ModelContext, blocks: (() => tf.layers.Layer)[]): tf.SymbolicTensor {
  if (input.shape.length !== 4) {
    throw new ShapeMismatchError(`${prefix.replace(/_/g, '-')} encoder input`, input.shape, '[batch, time, sensors, channels]');
  }
  let x = input;
  for (const make of blocks) x = make().apply(x) as tf.SymbolicTensor;
  if (stride > 1) x = new FusionTimeStride({ name: ctx.name(`${prefix}_stride`), stride }).apply(x) as tf.SymbolicTensor;
  return x;
}
