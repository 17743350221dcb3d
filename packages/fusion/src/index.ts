import { ContainerModule } from 'inversify';
import { FusionContribution } from '@fusion/core';
import { concatFusion } from './concat';

export { concatFusion, concatSchema, ConcatFusionConfig } from './concat';
export { FusionSensorConcat } from './sensor-concat';

/** Binds the fusions of this package (`concat`) as fusion contributions. */
export const fusionModule = new ContainerModule((bind) => {
  bind(FusionContribution).toConstantValue(concatFusion);
});
