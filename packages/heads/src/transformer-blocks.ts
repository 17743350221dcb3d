import * as tf from '@tensorflow/tfjs';
import { FusionError, ModelContext, ShapeMismatchError } from '@fusion/core';
import { FusionMultiHeadAttention } from './attention-layer';
import { FusionLayerNorm } from './layer-norm';
import { FusionPositionalEncoding, PositionalMode } from './positional-encoding';
import { FusionTransformerPool, TransformerPoolMode } from './transformer-layers';

/** Positional code of the attention heads, or none (then self-attention ignores the order of time steps). */
export type PositionalOption = PositionalMode | 'none';

/** Checks what the head schemas cannot: a known feature count and dModel divisible by heads. */
export function checkAttentionHead(head: string, input: tf.SymbolicTensor, dModel: number, heads: number): void {
  if (input.shape.length !== 3 || input.shape[2] == null) {
    throw new ShapeMismatchError(`${head} head input`, input.shape, '[batch, time, features] with features known');
  }
  if (!Number.isInteger(dModel) || !Number.isInteger(heads) || heads < 1 || dModel % heads !== 0) {
    const near = Math.max(heads, Math.round(dModel / heads) * heads);
    throw new FusionError(
      `${head} head: dModel ${dModel} received with heads ${heads}; expected dModel divisible by heads ` +
        `(each head gets dModel / heads features). Use e.g. dModel ${near} or a number of heads that divides ${dModel}.`
    );
  }
}

/** Input projection to dModel (Glorot-uniform, seeded) plus the positional code (with embedding dropout). */
export function embedSequence(
  input: tf.SymbolicTensor,
  head: string,
  options: { dModel: number; positional: PositionalOption; dropout: number },
  ctx: ModelContext
): tf.SymbolicTensor {
  const projected = tf.layers
    .dense({
      units: options.dModel,
      name: ctx.name(`${head}_proj`),
      kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }),
    })
    .apply(input) as tf.SymbolicTensor;
  if (options.positional === 'none') return projected;
  return new FusionPositionalEncoding({
    name: ctx.name(`${head}_pos`),
    mode: options.positional,
    maxLength: options.positional === 'learned' ? input.shape[1] ?? ctx.length : undefined,
    dropout: options.dropout,
    seed: ctx.nextSeed(),
  }).apply(projected) as tf.SymbolicTensor;
}

export function selfAttention(
  x: tf.SymbolicTensor,
  head: string,
  options: { heads: number; dropout: number; causal: boolean },
  ctx: ModelContext
): tf.SymbolicTensor {
  return new FusionMultiHeadAttention({
    name: ctx.name(`${head}_attention`),
    heads: options.heads,
    causal: options.causal,
    dropout: options.dropout,
    outputDropout: options.dropout,
    seed: ctx.nextSeed(),
  }).apply(x) as tf.SymbolicTensor;
}

export function normalize(x: tf.SymbolicTensor, head: string, ctx: ModelContext): tf.SymbolicTensor {
  return new FusionLayerNorm({ name: ctx.name(`${head}_norm`) }).apply(x) as tf.SymbolicTensor;
}

export function residual(x: tf.SymbolicTensor, branch: tf.SymbolicTensor, head: string, ctx: ModelContext): tf.SymbolicTensor {
  return tf.layers.add({ name: ctx.name(`${head}_residual`) }).apply([x, branch]) as tf.SymbolicTensor;
}

export function poolSequence(x: tf.SymbolicTensor, head: string, mode: TransformerPoolMode, ctx: ModelContext): tf.SymbolicTensor {
  return new FusionTransformerPool({ name: ctx.name(`${head}_pool`), mode }).apply(x) as tf.SymbolicTensor;
}
