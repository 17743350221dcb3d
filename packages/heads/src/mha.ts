import * as tf from '@tensorflow/tfjs';
import { HeadPlugin, ModelContext, PluginConfig } from '@fusion/core';
import { HEAD_BOUNDS as B, headsDivide, mhaEstimate } from './sizes';
import { checkAttentionHead, embedSequence, normalize, PositionalOption, poolSequence, residual, selfAttention } from './transformer-blocks';

/** Options of the `mha` head. */
export interface MhaHeadConfig extends PluginConfig {
  type: 'mha';
  /** Width of the projected sequence (queries, keys, values, output). Default 64. */
  dModel?: number;
  /** Attention heads; must divide dModel. Default 4. */
  heads?: number;
  /** Dropout on the embedded sequence, the attention weights and the attention output, training only. Default 0.1. */
  dropout?: number;
  /** Position code added after the input projection. Default 'sinusoidal'. */
  positional?: PositionalOption;
  /** Each step attends only to itself and earlier steps. Default false. */
  causal?: boolean;
  /** 'mean': time mean of the attended sequence; 'last': its last step. Default 'mean'. */
  output?: 'mean' | 'last';
}

export const mhaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'mha' },
    dModel: { type: 'integer', minimum: 1, maximum: B.units, default: 64, description: 'width of the projected sequence; divisible by heads' },
    heads: { type: 'integer', minimum: 1, maximum: B.heads, default: 4, description: 'attention heads; must divide dModel' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.1, description: 'dropout on embedding, attention weights and attention output' },
    positional: { enum: ['sinusoidal', 'learned', 'none'], default: 'sinusoidal', description: 'position code added after the input projection' },
    causal: { type: 'boolean', default: false, description: 'each step attends only to itself and earlier steps' },
    output: { enum: ['mean', 'last'], default: 'mean', description: 'time mean of the attended sequence, or its last step' },
  },
} as const;

/**
 * `mha`: input projection to dModel + positional code + one multi-head self-attention over time with a residual
 * connection and layer norm (post-norm), then time pooling: [B, T, F] -> [B, dModel].
 */
export const mhaHead: HeadPlugin<MhaHeadConfig> = {
  type: 'mha',
  description: 'multi-head self-attention over time (projection, positional code, attention + residual + layer norm, pooling)',
  schema: mhaSchema,
  check: (config: MhaHeadConfig) => headsDivide(config.dModel ?? 64, config.heads ?? 4, 'dModel'),
  estimate: mhaEstimate,
  apply(input: tf.SymbolicTensor, config: MhaHeadConfig, ctx: ModelContext): tf.SymbolicTensor {
    const dModel = config.dModel ?? 64;
    const heads = config.heads ?? 4;
    const dropout = config.dropout ?? 0.1;
    checkAttentionHead('mha', input, dModel, heads);
    const x = embedSequence(input, 'mha', { dModel, positional: config.positional ?? 'sinusoidal', dropout }, ctx);
    const attended = selfAttention(x, 'mha', { heads, dropout, causal: config.causal ?? false }, ctx);
    const y = normalize(residual(x, attended, 'mha', ctx), 'mha', ctx);
    return poolSequence(y, 'mha', config.output ?? 'mean', ctx);
  },
};
