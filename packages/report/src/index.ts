export { escapeHtml, renderReportHtml, writeReport } from './report';
export { parsePredictionsCsv, rocCurve, rocCurves, splitCsvLine } from './predictions';
export type { NamedRoc, PredictionRow, RocCurve } from './predictions';
export { pooledRocSpec, renderSvg } from './charts';
export type { VlSpec } from './charts';
export { renderEvaluationHtml } from './evaluation';
export { graphSvg } from './graph-svg';
export type { EvaluationReport } from './evaluation';
