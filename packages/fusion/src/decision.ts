import * as tf from '@tensorflow/tfjs';
import { FusionPlugin, ModelContext, PluginConfig, ShapeMismatchError } from '@fusion/core';
import { FusionDecisionWeights } from './decision-weights';

/**
 * Decision-level (late) fusion: each input is a branch's head; core puts a softmax classifier on each and hands the
 * plugin their class probabilities stacked, [batch, branches, classes]; it returns [batch, classes] probabilities.
 */
export interface DecisionFusionConfig extends PluginConfig {
  type: 'mean' | 'weighted';
}

/** A decision fusion from its name, line, weights per branch and the layer combining [batch, branches, classes]. */
function decisionFusion(type: 'mean' | 'weighted', description: string, weightsPerBranch: number, layer: (name: string) => tf.layers.Layer): FusionPlugin<DecisionFusionConfig> {
  return {
    type,
    description,
    schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: type } } },
    decision: true,
    outputShape: (inputs) => [inputs[0][inputs[0].length - 1]],
    estimate: (input) => ({ length: 1, features: input.features, parameters: weightsPerBranch * input.sensors, activations: input.features }),
    apply(input: tf.SymbolicTensor, _config: DecisionFusionConfig, ctx: ModelContext): tf.SymbolicTensor {
      if (input.shape.length !== 3) throw new ShapeMismatchError(`${type} decision fusion input`, input.shape, '[batch, branches, classes]');
      return layer(ctx.name(type)).apply(input) as tf.SymbolicTensor;
    },
  };
}

/** `mean`: the branches' class probabilities averaged. */
export const meanDecision = decisionFusion('mean', 'decision-level fusion: a classifier per input branch, their class probabilities averaged', 0, (name) =>
  tf.layers.globalAveragePooling1d({ name })
);

/** `weighted`: the branches' class probabilities in a learnt convex combination. */
export const weightedDecision = decisionFusion(
  'weighted',
  'decision-level fusion: a classifier per input branch, their class probabilities weighted by learnt softmax weights',
  1,
  (name) => new FusionDecisionWeights({ name })
);
