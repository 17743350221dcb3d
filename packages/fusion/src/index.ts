import { ContainerModule } from 'inversify';
import { FusionContribution } from '@fusion/core';
import { concatFusion } from './concat';
import { attentionFusion } from './attention';
import { meanDecision, weightedDecision } from './decision';
import { featuresNode } from './features';

export { concatFusion, concatSchema, ConcatFusionConfig } from './concat';
export { FusionSensorConcat } from './sensor-concat';
export { meanDecision, weightedDecision, DecisionFusionConfig } from './decision';
export { FusionDecisionWeights } from './decision-weights';
export { featuresNode, featuresSchema, FeaturesConfig, FusionWindowFeatures } from './features';
export { channelFeatureNames, channelFeatures, FEATURE_GROUPS, FeatureGroup, HRV_MIN_RATE } from './window-features';
export { attentionFusion, attentionFusionSchema, AttentionFusionConfig } from './attention';
export {
  FusionSensorAttention,
  SensorAttentionArgs,
  SensorAttentionOutput,
  SensorAttentionWeights,
  sensorAttentionWeights,
  sensorAttentionForward,
} from './sensor-attention';

/** Binds the fusions of this package (`concat`, `attention`, `features`; decision-level `mean`, `weighted`) as fusion contributions. */
export const fusionModule = new ContainerModule((bind) => {
  bind(FusionContribution).toConstantValue(concatFusion);
  bind(FusionContribution).toConstantValue(attentionFusion);
  bind(FusionContribution).toConstantValue(meanDecision);
  bind(FusionContribution).toConstantValue(weightedDecision);
  bind(FusionContribution).toConstantValue(featuresNode);
});
