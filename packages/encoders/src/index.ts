import { ContainerModule } from 'inversify';
import { EncoderContribution } from '@fusion/core';
import { tcnEncoder } from './tcn';
import { tcnCasaEncoder } from './tcn-casa';
import { resnet1dEncoder } from './resnet1d';
import { stackEncoder } from './stack';

export { stackEncoder, StackConfig } from './stack';
export { tcnEncoder, tcnSchema, resolveTcnConfig, tcnOutputLength, stackTemporalBlocks, TcnConfig, ResolvedTcnConfig } from './tcn';
export { FusionTcnBlock, TcnBlockArgs, TcnBlockWeights, TcnBlockOptions, tcnBlockForward } from './tcn-block';
export { FusionTimeStride, TimeStrideArgs } from './time-stride';
export { shiftStack, shiftConv1d, shiftPadLeft } from './shift-conv';
export { tcnCasaEncoder, tcnCasaSchema, resolveTcnCasaConfig, TcnCasaConfig, ResolvedTcnCasaConfig } from './tcn-casa';
export {
  FusionTcnCasaBlock,
  TcnCasaBlockArgs,
  CasaWeights,
  CasaOptions,
  casaHiddenUnits,
  prefixMeanMax,
  channelAttention,
  spatialAttention,
  casaForward,
  tcnCasaBlockForward,
} from './tcn-casa-block';
export { resnet1dEncoder, resnet1dSchema, resolveResNet1dConfig, ResNet1dConfig, ResolvedResNet1dConfig } from './resnet1d';
export { FusionResBlock1d, ResBlock1dArgs, ResBlockWeights, ResBlockOptions, BatchNormWeights, BatchStats, batchNorm, resBlockForward } from './res-block';

/** Binds the encoders of this package (`tcn`, `tcn-casa`, `resnet1d`; `stack` for early fusion) as encoder contributions. */
export const encodersModule = new ContainerModule((bind) => {
  bind(EncoderContribution).toConstantValue(tcnEncoder);
  bind(EncoderContribution).toConstantValue(tcnCasaEncoder);
  bind(EncoderContribution).toConstantValue(resnet1dEncoder);
  bind(EncoderContribution).toConstantValue(stackEncoder);
});
