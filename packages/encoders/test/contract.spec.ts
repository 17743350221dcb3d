import { describePluginContract } from '@fusion/core/testing';
import { encodersModule } from '../src';

// The shared plugin contract (registration, strict schema, config round trip, seeded determinism, cpu and wasm
// without tensor leaks) for every encoder of this package; small configs keep it fast.
describePluginContract({ kind: 'encoder', type: 'tcn', module: encodersModule, config: { type: 'tcn', channels: [4, 5], dropout: 0.2 }, inputShape: [12, 3, 1] });
describePluginContract({
  kind: 'encoder',
  type: 'tcn-casa',
  module: encodersModule,
  config: { type: 'tcn-casa', channels: [4, 4], dropout: 0.2, reduction: 2, causalAttention: true, stride: 2 },
  inputShape: [12, 3, 1],
});
describePluginContract({ kind: 'encoder', type: 'resnet1d', module: encodersModule, config: { type: 'resnet1d', channels: [4, 6], dropout: 0.2 }, inputShape: [12, 3, 1] });
describePluginContract({ kind: 'encoder', type: 'stack', module: encodersModule, inputShape: [12, 3, 2] });
