import * as tf from '@tensorflow/tfjs';
import { HeadPlugin, ModelContext, PluginConfig } from '@fusion/core';
import { checkAttentionHead, embedSequence, normalize, PositionalOption, poolSequence, residual, selfAttention } from './transformer-blocks';
import { FeedForwardActivation, FusionTransformerFeedForward } from './transformer-layers';
import { HEAD_BOUNDS as B, headsDivide, transformerEstimate } from './sizes';

/** Options of the `transformer` head. */
export interface TransformerHeadConfig extends PluginConfig {
  type: 'transformer';
  /** Width of the projected sequence. Default 64. */
  dModel?: number;
  /** Attention heads per layer; must divide dModel. Default 4. */
  heads?: number;
  /** Encoder layers. Default 2. */
  layers?: number;
  /** Hidden units of each feed-forward block. Default 128. */
  ff?: number;
  /** Activation of the feed-forward blocks. Default 'relu'. */
  activation?: FeedForwardActivation;
  /** Dropout on the embedding, attention weights, both residual branches and the feed-forward hidden layer. Default 0.1. */
  dropout?: number;
  /** Position code added after the input projection. Default 'sinusoidal'. */
  positional?: PositionalOption;
  /** 'pre': x + f(LN(x)) and a final LN (stable without warm-up); 'post': LN(x + f(x)) (Vaswani). Default 'pre'. */
  norm?: 'pre' | 'post';
  /** Each step attends only to itself and earlier steps. Default false. */
  causal?: boolean;
  /** 'mean': time mean of the encoded sequence; 'last': its last step. Default 'mean'. */
  output?: 'mean' | 'last';
}

export const transformerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'transformer' },
    dModel: { type: 'integer', minimum: 1, maximum: B.units, default: 64, description: 'width of the projected sequence; divisible by heads' },
    heads: { type: 'integer', minimum: 1, maximum: B.heads, default: 4, description: 'attention heads per layer; must divide dModel' },
    layers: { type: 'integer', minimum: 1, maximum: 12, default: 2, description: 'encoder layers' },
    ff: { type: 'integer', minimum: 1, maximum: B.ff, default: 128, description: 'hidden units of each feed-forward block' },
    activation: { enum: ['relu', 'gelu'], default: 'relu', description: 'activation of the feed-forward blocks (gelu: exact erf form)' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.1, description: 'dropout on embedding, attention weights, residual branches and feed-forward hidden layer' },
    positional: { enum: ['sinusoidal', 'learned', 'none'], default: 'sinusoidal', description: 'position code added after the input projection' },
    norm: { enum: ['pre', 'post'], default: 'pre', description: "layer norm before each sublayer (and once at the end) or after each residual add" },
    causal: { type: 'boolean', default: false, description: 'each step attends only to itself and earlier steps' },
    output: { enum: ['mean', 'last'], default: 'mean', description: 'time mean of the encoded sequence, or its last step' },
  },
} as const;

/**
 * `transformer`: input projection + positional code + N Transformer encoder layers (self-attention and
 * feed-forward sublayers, each with a residual connection and layer norm), then time pooling:
 * [B, T, F] -> [B, dModel].
 */
export const transformerHead: HeadPlugin<TransformerHeadConfig> = {
  type: 'transformer',
  description: 'Transformer encoder over time (projection, positional code, N attention + feed-forward layers, pooling)',
  schema: transformerSchema,
  check: (config: TransformerHeadConfig) => headsDivide(config.dModel ?? 64, config.heads ?? 4, 'dModel'),
  estimate: transformerEstimate,
  apply(input: tf.SymbolicTensor, config: TransformerHeadConfig, ctx: ModelContext): tf.SymbolicTensor {
    const dModel = config.dModel ?? 64;
    const heads = config.heads ?? 4;
    const layers = config.layers ?? 2;
    const dropout = config.dropout ?? 0.1;
    const pre = (config.norm ?? 'pre') === 'pre';
    const causal = config.causal ?? false;
    checkAttentionHead('transformer', input, dModel, heads);
    const h = 'transformer';
    let x = embedSequence(input, h, { dModel, positional: config.positional ?? 'sinusoidal', dropout }, ctx);
    for (let i = 0; i < layers; i++) {
      const attentionBranch = (v: tf.SymbolicTensor): tf.SymbolicTensor => selfAttention(v, h, { heads, dropout, causal }, ctx);
      const feedForwardBranch = (v: tf.SymbolicTensor): tf.SymbolicTensor =>
        new FusionTransformerFeedForward({
          name: ctx.name(`${h}_ff`),
          units: config.ff ?? 128,
          activation: config.activation ?? 'relu',
          dropout,
          outputDropout: dropout,
          seed: ctx.nextSeed(),
        }).apply(v) as tf.SymbolicTensor;
      for (const branch of [attentionBranch, feedForwardBranch]) {
        x = pre ? residual(x, branch(normalize(x, h, ctx)), h, ctx) : normalize(residual(x, branch(x), h, ctx), h, ctx);
      }
    }
    if (pre) x = normalize(x, h, ctx);
    return poolSequence(x, h, config.output ?? 'mean', ctx);
  },
};
