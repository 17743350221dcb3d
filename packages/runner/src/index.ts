// @fusion/runner: running experiments on top of @fusion/core (which never imports this package).
export * from './eval/folds';
export * from './eval/metrics';
export * from './eval/baselines';
export * from './eval/feature-baseline';
export * from './model/train';
export * from './model/flat-adam';
export * from './run/reporter';
export * from './run/output-dir';
export * from './run/output-guard';
export * from './run/experiment';
export * from './run/plan';
export * from './run/executor';
export * from './run/worker-client';
export * from './run/provenance';
export * from './run/sweep-select';
export * from './bench/bench';
export { exportRun, readRunFolder, ExportOptions, RunFolder } from './export/export-run';
