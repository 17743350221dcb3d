import { ContainerModule } from 'inversify';
import { EncoderContribution } from '@fusion/core';
import { tcnEncoder } from './tcn';

export { tcnEncoder, tcnSchema, resolveTcnConfig, tcnOutputLength, TcnConfig, ResolvedTcnConfig } from './tcn';
export { FusionTcnBlock, TcnBlockArgs, TcnBlockWeights, TcnBlockOptions, tcnBlockForward } from './tcn-block';
export { FusionTimeStride, TimeStrideArgs } from './time-stride';

/** Binds the encoders of this package (`tcn`) as encoder contributions. */
export const encodersModule = new ContainerModule((bind) => {
  bind(EncoderContribution).toConstantValue(tcnEncoder);
});
