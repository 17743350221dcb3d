import { describePluginContract } from '@fusion/core/testing';
import { fusionModule } from '../src';

// The shared plugin contract for every fusion of this package (feature-level on [time, sensors, features];
// decision-level on [branches, classes] probabilities).
describePluginContract({ kind: 'fusion', type: 'concat', module: fusionModule, inputShape: [6, 3, 4] });
describePluginContract({ kind: 'fusion', type: 'attention', module: fusionModule, config: { type: 'attention', units: 5 }, inputShape: [6, 3, 4] });
describePluginContract({ kind: 'fusion', type: 'mean', module: fusionModule, inputShape: [3, 2], probabilities: true });
describePluginContract({ kind: 'fusion', type: 'weighted', module: fusionModule, inputShape: [3, 2], probabilities: true, seededWeights: false });
