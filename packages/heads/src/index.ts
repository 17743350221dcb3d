import { ContainerModule } from 'inversify';
import { HeadContribution } from '@fusion/core';
import { bigruHead } from './bigru';
import { xlstmHead } from './xlstm';
import { mhaHead } from './mha';
import { transformerHead } from './transformer';

export { bigruHead, bigruSchema, BiGruHeadConfig } from './bigru';
export { FusionBiGru, BiGruArgs, BiGruOutput, BiGruWeights, biGruForward } from './bigru-layer';
export { biGruFused } from './gru-fused';
export { biGruHost, useHostRecurrence, HOST_RECURRENCE_MAX_BATCH, SIMD_MIN_UNITS } from './gru-host';
export { gruMatVec } from './gru-matvec';
export { xlstmHead, xlstmSchema, XLstmHeadConfig, XLstmBlockKind } from './xlstm';
export { FusionSLstm, FusionMLstm, FusionXLstmReverse, FusionXLstmReadout, XLstmCellArgs, MLstmArgs, XLstmReadoutArgs, XLstmReadoutMode } from './xlstm-layers';
export { sLstmForward, mLstmForward, xLstmHeadNorm, SLstmWeights, MLstmWeights, MLstmMode, XLstmCellOptions, XLstmForgetGate } from './xlstm-cells';
export { mhaHead, mhaSchema, MhaHeadConfig } from './mha';
export { transformerHead, transformerSchema, TransformerHeadConfig } from './transformer';
export { PositionalOption } from './transformer-blocks';
export { FusionMultiHeadAttention, MultiHeadAttentionArgs, MultiHeadAttentionWeights, MultiHeadAttentionOptions, MultiHeadAttentionResult, multiHeadAttention } from './attention-layer';
export { FusionPositionalEncoding, PositionalEncodingArgs, PositionalMode, sinusoidalTable } from './positional-encoding';
export { FusionLayerNorm, LayerNormArgs, layerNorm, FusionXLstmLayerNorm, XLstmLayerNormArgs } from './layer-norm';
export { FusionTransformerFeedForward, FusionTransformerPool, TransformerFeedForwardArgs, TransformerPoolArgs, TransformerPoolMode, FeedForwardActivation, gelu } from './transformer-layers';

/** Binds the heads of this package (`bigru`) as head contributions. */
export const headsModule = new ContainerModule((bind) => {
  bind(HeadContribution).toConstantValue(bigruHead);
  bind(HeadContribution).toConstantValue(xlstmHead);
  bind(HeadContribution).toConstantValue(mhaHead);
  bind(HeadContribution).toConstantValue(transformerHead);
});
