import * as tf from '@tensorflow/tfjs';
import { EncoderPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { FusionResBlock1d } from './res-block';
import { ENCODER_BOUNDS as B, resnet1dEstimate, temporalIssues } from './sizes';
import { FusionTimeStride } from './time-stride';

/** Options of the `resnet1d` encoder (after schema defaults). */
export interface ResNet1dConfig extends PluginConfig {
  type: 'resnet1d';
  /** Output channels of each stage. Default [32, 64, 128]. */
  channels?: number[];
  /** Taps per convolution ('same' padding). Default 3. */
  kernelSize?: number;
  /** Residual blocks per stage (the first one changes the channel count). Default 1. */
  blocksPerStage?: number;
  /** Dropout on each block's output, training only. Default 0.2. */
  dropout?: number;
  /** One set of weights and BN statistics for all sensors. Default false. */
  shared?: boolean;
  /** Keep every stride-th time step at the end (aligned to the last step). Default 1. */
  stride?: number;
}

export interface ResolvedResNet1dConfig {
  channels: number[];
  kernelSize: number;
  blocksPerStage: number;
  dropout: number;
  shared: boolean;
  stride: number;
}

export const resnet1dSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'resnet1d' },
    channels: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: B.channels },
      minItems: 1,
      maxItems: B.blocks,
      default: [32, 64, 128],
      description: 'output channels of each stage',
    },
    kernelSize: { type: 'integer', minimum: 1, maximum: B.kernelSize, default: 3, description: "taps per convolution ('same' padding, centred)" },
    blocksPerStage: { type: 'integer', minimum: 1, maximum: B.blocksPerStage, default: 1, description: 'residual blocks per stage' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.2, description: "on each block's output, training only" },
    shared: { type: 'boolean', default: false, description: 'one set of weights and BN statistics for all sensors instead of one per sensor' },
    stride: { type: 'integer', minimum: 1, maximum: B.stride, default: 1, description: 'keep every stride-th time step at the end (the last step is always kept)' },
  },
} as const;

export function resolveResNet1dConfig(config: ResNet1dConfig): ResolvedResNet1dConfig {
  return {
    channels: config.channels ?? [32, 64, 128],
    kernelSize: config.kernelSize ?? 3,
    blocksPerStage: config.blocksPerStage ?? 1,
    dropout: config.dropout ?? 0.2,
    shared: config.shared ?? false,
    stride: config.stride ?? 1,
  };
}

/**
 * `resnet1d`: stages of 1-D residual blocks with batch normalisation on every sensor (EmoHEAL's ResNet+GRU
 * baseline, in 1-D): [B, T, S, C] -> [B, T', S, channels[-1]]. One `FusionResBlock1d` per block, named
 * `resnet_*`. Not causal ('same' convolutions).
 */
export const resnet1dEncoder: EncoderPlugin<ResNet1dConfig> = {
  type: 'resnet1d',
  description: '1-D ResNet (conv-BN-ReLU-conv-BN + shortcut) per sensor (EmoHEAL ResNet+GRU baseline)',
  schema: resnet1dSchema,
  check(config: ResNet1dConfig, ctx) {
    return temporalIssues(resolveResNet1dConfig(config), ctx.length);
  },
  estimate(input, config) {
    return resnet1dEstimate(input, resolveResNet1dConfig(config));
  },
  apply(input: tf.SymbolicTensor, config: ResNet1dConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 4) {
      throw new ShapeMismatchError('resnet1d encoder input', input.shape, '[batch, time, sensors, channels]');
    }
    const cfg = resolveResNet1dConfig(config);
    let x = input;
    for (const filters of cfg.channels) {
      for (let i = 0; i < cfg.blocksPerStage; i++) {
        const block = new FusionResBlock1d({
          name: ctx.name('resnet'),
          filters,
          kernelSize: cfg.kernelSize,
          dropout: cfg.dropout,
          shared: cfg.shared,
          seed: ctx.nextSeed(),
        });
        x = block.apply(x) as tf.SymbolicTensor;
      }
    }
    if (cfg.stride > 1) x = new FusionTimeStride({ name: ctx.name('resnet_stride'), stride: cfg.stride }).apply(x) as tf.SymbolicTensor;
    return x;
  },
};
