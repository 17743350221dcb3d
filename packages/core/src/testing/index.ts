// `@fusion/core/testing`: what plugin tests share (the plugin contract and the layer-testing helpers). It uses
// mocha's `describe`/`it` globals and Node's assert, so it is loaded by tests only, never by the browser bundle.
export {
  describePluginContract,
  registeredPlugin,
  checkOptions,
  PluginContract,
  ModelPluginContract,
  DatasetPluginContract,
  ContractKind,
  ContractBackend,
} from './plugin-contract';
export { evalLoss, maxAbsDiff, roundTrip, testContext, trainStep, useBackend } from '../layers/testing';
export * from './fakes';
