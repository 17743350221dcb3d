import * as tf from '@tensorflow/tfjs';
import { HeadPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { XLstmForgetGate } from './xlstm-cells';
import { HEAD_BOUNDS as B, headsDivide, xlstmEstimate } from './sizes';
import { FusionMLstm, FusionSLstm, FusionXLstmReadout, FusionXLstmReverse } from './xlstm-layers';
import { FusionLayerNorm } from './layer-norm';

/** A block of an xLSTM stack: 'm' (mLSTM, matrix memory) or 's' (sLSTM, scalar memory with recurrence). */
export type XLstmBlockKind = 'm' | 's';

/** Options of the `xlstm` head. */
export interface XLstmHeadConfig extends PluginConfig {
  type: 'xlstm';
  /** Width of the residual stream and of every cell. Default 64. */
  units?: number;
  /** Residual blocks in order. Default ['m', 's'] (xLSTM[1:1]). */
  blocks?: XLstmBlockKind[];
  /** Heads of every cell; must divide units. Default 4. */
  heads?: number;
  /** A second stack over the reversed sequence, concatenated. Default false. */
  bidirectional?: boolean;
  /** Dropout on each cell's output (the residual branch), training only. Default 0. */
  dropout?: number;
  /** 'last': the stack's last step; 'mean': its time mean. Default 'last'. */
  output?: 'last' | 'mean';
  /** Forget gate of both cells: 'exp' (the paper's exponential gate) or 'sigmoid'. Default 'exp'. */
  forgetGate?: XLstmForgetGate;
}

export const xlstmSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'xlstm' },
    units: { type: 'integer', minimum: 1, maximum: B.units, default: 64, description: 'width of the residual stream and of every cell' },
    blocks: {
      type: 'array',
      items: { enum: ['m', 's'] },
      minItems: 1,
      maxItems: 16,
      default: ['m', 's'],
      description: "residual blocks in order: 'm' mLSTM, 's' sLSTM",
    },
    heads: { type: 'integer', minimum: 1, maximum: B.heads, default: 4, description: 'heads of every cell; must divide units' },
    bidirectional: { type: 'boolean', default: false, description: 'add a stack over the reversed sequence' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: "dropout on each cell's output" },
    output: { enum: ['last', 'mean'], default: 'last', description: 'last step of the stack, or its time mean' },
    forgetGate: { enum: ['exp', 'sigmoid'], default: 'exp', description: 'exponential or sigmoid forget gates' },
  },
} as const;

/**
 * One xLSTM stack: Dense(units) input projection, then per block
 *   x <- x + Dense(cell(LayerNorm(x)))     (cell = mLSTM or sLSTM, each with its per-head norm and output dropout)
 * then a final LayerNorm and the readout (last step or time mean).
 */
function xLstmStack(input: tf.SymbolicTensor, config: XLstmHeadConfig, ctx: ModelContext): tf.SymbolicTensor {
  const units = config.units ?? 64;
  const glorot = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: ctx.nextSeed() });
  let x = tf.layers.dense({ units, name: ctx.name('xlstm_in'), kernelInitializer: glorot() }).apply(input) as tf.SymbolicTensor;
  for (const kind of config.blocks ?? ['m', 's']) {
    const normed = new FusionLayerNorm({ name: ctx.name('xlstm_ln') }).apply(x) as tf.SymbolicTensor;
    const cellArgs = {
      units,
      heads: config.heads ?? 4,
      forgetGate: config.forgetGate ?? 'exp',
      dropout: config.dropout ?? 0,
      seed: ctx.nextSeed(),
    };
    const cell = kind === 'm' ? new FusionMLstm({ ...cellArgs, name: ctx.name('mlstm') }) : new FusionSLstm({ ...cellArgs, name: ctx.name('slstm') });
    const branch = tf.layers.dense({ units, name: ctx.name('xlstm_proj'), kernelInitializer: glorot() }).apply(cell.apply(normed));
    x = tf.layers.add({ name: ctx.name('xlstm_add') }).apply([x, branch as tf.SymbolicTensor]) as tf.SymbolicTensor;
  }
  x = new FusionLayerNorm({ name: ctx.name('xlstm_ln') }).apply(x) as tf.SymbolicTensor;
  return new FusionXLstmReadout({ name: ctx.name('xlstm_readout'), mode: config.output ?? 'last' }).apply(x) as tf.SymbolicTensor;
}

/**
 * `xlstm`: residual stacks of mLSTM/sLSTM blocks (Beck et al. 2024) over the fused sequence,
 * [B, T, F] -> [B, units] (or [B, 2·units] when bidirectional: forward stack ‖ backward stack).
 */
export const xlstmHead: HeadPlugin<XLstmHeadConfig> = {
  type: 'xlstm',
  description: 'xLSTM (mLSTM/sLSTM residual blocks, exponential gating) over the fused sequence',
  schema: xlstmSchema,
  check: (config: XLstmHeadConfig) => headsDivide(config.units ?? 64, config.heads ?? 4, 'units'),
  estimate: xlstmEstimate,
  apply(input: tf.SymbolicTensor, config: XLstmHeadConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 3) throw new ShapeMismatchError('xlstm head input', input.shape, '[batch, time, features]');
    const units = config.units ?? 64;
    const heads = config.heads ?? 4;
    if (units % heads !== 0) {
      throw new RangeError(`xlstm head: heads ${heads} does not divide units ${units}; choose heads among the divisors of units.`);
    }
    const blocks = config.blocks ?? ['m', 's'];
    if (blocks.length === 0 || blocks.some((b) => b !== 'm' && b !== 's')) {
      throw new RangeError(`xlstm head: blocks ${JSON.stringify(blocks)} received; expected a non-empty array of "m" and "s".`);
    }
    const forward = xLstmStack(input, config, ctx);
    if (!config.bidirectional) return forward;
    const reversed = new FusionXLstmReverse({ name: ctx.name('xlstm_reverse') }).apply(input) as tf.SymbolicTensor;
    const backward = xLstmStack(reversed, config, ctx);
    return tf.layers.concatenate({ name: ctx.name('xlstm_concat'), axis: -1 }).apply([forward, backward]) as tf.SymbolicTensor;
  },
};
