// `@fusion/core/testing`: minimal in-memory plugins (a fake dataset, a dense encoder, a reshape fusion, a pooling
// head) and spec helpers, for tests of core and of the packages built on it (@fusion/runner) without real data.
export * from './testing/fakes';
