import { ContainerModule } from 'inversify';
import { HeadContribution } from '@fusion/core';
import { bigruHead } from './bigru';

export { bigruHead, bigruSchema, BiGruHeadConfig } from './bigru';
export { FusionBiGru, BiGruArgs, BiGruOutput, BiGruWeights, biGruForward } from './bigru-layer';

/** Binds the heads of this package (`bigru`) as head contributions. */
export const headsModule = new ContainerModule((bind) => {
  bind(HeadContribution).toConstantValue(bigruHead);
});
