import { describePluginContract } from '@fusion/core/testing';
import { headsModule } from '../src';

// The shared plugin contract (registration, strict schema, config round trip, seeded determinism, cpu and wasm
// without tensor leaks) for every head of this package; small configs with dropout keep it fast and seeded.
describePluginContract({ kind: 'head', type: 'bigru', module: headsModule, config: { type: 'bigru', units: 4, layers: 2, dropout: 0.2 }, inputShape: [6, 3] });
describePluginContract({ kind: 'head', type: 'mha', module: headsModule, config: { type: 'mha', dModel: 8, heads: 2, dropout: 0.2, positional: 'learned' }, inputShape: [6, 3] });
describePluginContract({
  kind: 'head',
  type: 'transformer',
  module: headsModule,
  config: { type: 'transformer', dModel: 8, heads: 2, layers: 1, ff: 8, dropout: 0.2 },
  inputShape: [6, 3],
});
describePluginContract({
  kind: 'head',
  type: 'xlstm',
  module: headsModule,
  config: { type: 'xlstm', units: 4, heads: 2, blocks: ['m', 's'], bidirectional: true, dropout: 0.2 },
  inputShape: [6, 3],
});
