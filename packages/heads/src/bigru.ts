import * as tf from '@tensorflow/tfjs';
import { HeadPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { FusionBiGru } from './bigru-layer';
import { bigruEstimate, HEAD_BOUNDS as B } from './sizes';

/** Options of the `bigru` head. */
export interface BiGruHeadConfig extends PluginConfig {
  type: 'bigru';
  /** Hidden units per direction. Default 64. */
  units?: number;
  /** Stacked bidirectional layers; the inner ones pass full sequences [B, T, 2H]. Default 1. */
  layers?: number;
  /** Dropout on each layer's input sequence, training only. Default 0. */
  dropout?: number;
  /** 'last': [forward final state, backward final state]; 'mean': time mean of the outputs. Default 'last'. */
  output?: 'last' | 'mean';
}

export const bigruSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'bigru' },
    units: { type: 'integer', minimum: 1, maximum: B.units, default: 64, description: 'hidden units per direction' },
    layers: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'stacked bidirectional layers' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: "dropout on each layer's input sequence" },
    output: { enum: ['last', 'mean'], default: 'last', description: 'final states of both directions, or the time mean' },
  },
} as const;

/** `bigru`: a lean bidirectional GRU over the fused sequence, [B, T, F] -> [B, 2*units]. */
export const bigruHead: HeadPlugin<BiGruHeadConfig> = {
  type: 'bigru',
  description: 'bidirectional GRU (lean, reset-after convention) over the fused sequence',
  schema: bigruSchema,
  estimate: bigruEstimate,
  apply(input: tf.SymbolicTensor, config: BiGruHeadConfig, ctx: ModelContext): tf.SymbolicTensor {
    if (input.shape.length !== 3) throw new ShapeMismatchError('bigru head input', input.shape, '[batch, time, features]');
    const layers = config.layers ?? 1;
    let x = input;
    for (let i = 0; i < layers; i++) {
      x = new FusionBiGru({
        name: ctx.name('bigru'),
        units: config.units ?? 64,
        output: i < layers - 1 ? 'sequence' : config.output ?? 'last',
        dropout: config.dropout ?? 0,
        seed: ctx.nextSeed(),
      }).apply(x) as tf.SymbolicTensor;
    }
    return x;
  },
};
