import * as tf from '@tensorflow/tfjs';
import { EncoderPlugin, ModelContext, PluginConfig } from '@fusion/core';
import { ENCODER_BOUNDS as B, tcnCasaEstimate, temporalIssues } from './sizes';
import { resolveTcnConfig, ResolvedTcnConfig, stackTemporalBlocks, tcnBlockArgs, tcnIssues, TcnOptions, tcnSchema } from './tcn';
import { FusionTcnCasaBlock } from './tcn-casa-block';

/** Options of the `tcn-casa` encoder: those of `tcn` plus the attention's. */
export interface TcnCasaConfig extends PluginConfig, TcnOptions {
  type: 'tcn-casa';
  /** Channel-attention reduction ratio: bottleneck max(1, floor(C / reduction)). Default 16 (EmoHEAL). */
  reduction?: number;
  /** Taps of the spatial-attention conv. Default 7 (EmoHEAL). */
  spatialKernel?: number;
  /**
   * Causal attention: spatial conv left-padded, channel attention from running (prefix) mean/max. Default false =
   * EmoHEAL's CBAM: centred spatial conv (3 later steps seen with k=7) and channel pools over the whole window.
   */
  causalAttention?: boolean;
}

export interface ResolvedTcnCasaConfig extends ResolvedTcnConfig {
  reduction: number;
  spatialKernel: number;
  causalAttention: boolean;
}

export const tcnCasaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    ...tcnSchema.properties,
    type: { const: 'tcn-casa' },
    reduction: {
      type: 'integer',
      minimum: 1,
      maximum: B.reduction,
      default: 16,
      description: 'channel-attention reduction ratio; the MLP bottleneck has max(1, floor(channels / reduction)) units',
    },
    spatialKernel: { type: 'integer', minimum: 1, maximum: B.kernelSize, default: 7, description: 'taps of the spatial-attention convolution over time' },
    causalAttention: {
      type: 'boolean',
      default: false,
      description:
        "false: EmoHEAL's CBAM, not causal (channel attention pools the whole window; the spatial conv is centred and sees floor((spatialKernel-1)/2) later steps); true: causal (running mean/max pools, left-padded spatial conv)",
    },
  },
} as const;

/** Fills the defaults (those of `tcn` plus reduction 16, spatialKernel 7, causalAttention false). */
export function resolveTcnCasaConfig(config: TcnCasaConfig): ResolvedTcnCasaConfig {
  return {
    ...resolveTcnConfig({ ...config, type: 'tcn' }),
    reduction: config.reduction ?? 16,
    spatialKernel: config.spatialKernel ?? 7,
    causalAttention: config.causalAttention ?? false,
  };
}

/**
 * `tcn-casa`: the `tcn` encoder with CBAM-style channel + spatial attention (EmoHEAL's CA-SA) after the
 * convolutions of every temporal block, before the residual add. One `FusionTcnCasaBlock` per block, named
 * `tcn_casa_*`. Not causal unless `causalAttention: true`.
 */
export const tcnCasaEncoder: EncoderPlugin<TcnCasaConfig> = {
  type: 'tcn-casa',
  description: 'TCN with channel and spatial attention (CA-SA, CBAM) in every temporal block (EmoHEAL TCN+CA-SA)',
  schema: tcnCasaSchema,
  check(config: TcnCasaConfig, ctx) {
    return [
      ...tcnIssues(config, ctx.length),
      ...temporalIssues({ kernelSize: config.spatialKernel ?? 7, stride: 1 }, ctx.length, 'spatialKernel'),
    ];
  },
  estimate(input, config) {
    return tcnCasaEstimate(input, resolveTcnCasaConfig(config));
  },
  apply(input: tf.SymbolicTensor, config: TcnCasaConfig, ctx: ModelContext): tf.SymbolicTensor {
    const cfg = resolveTcnCasaConfig(config);
    return stackTemporalBlocks(input, 'tcn_casa', cfg.stride, ctx, cfg.channels.map((filters, i) => () =>
      new FusionTcnCasaBlock({
        ...tcnBlockArgs('tcn_casa', cfg, filters, i, ctx),
        reduction: cfg.reduction,
        spatialKernel: cfg.spatialKernel,
        causalAttention: cfg.causalAttention,
      })
    ));
  },
};
