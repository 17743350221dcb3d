import * as fs from 'fs';
import { COMPARISON_COLUMNS, comparisonRows, comparisonVerdict } from '@fusion/runner';
import type { MetricSummary, RunMetrics, StagedOutput } from '@fusion/runner';
import {
  confusionSpec,
  foldConfusionSpec,
  foldRocSpec,
  lossSpec,
  methodLabel,
  perSubjectSpec,
  pooledRocSpec,
  renderSvg,
  summarySpec,
  valAccuracySpec,
  VlSpec,
} from './charts';
import type { GraphView } from '@fusion/core';
import { graphSvg } from './graph-svg';
import { parsePredictionsCsv, PredictionRow } from './predictions';
import { personalisedSection } from './personalised';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function fmtDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function evaluationText(e: RunMetrics['evaluation']): string {
  const rest = Object.entries(e as unknown as Record<string, unknown>)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return rest.length ? `${e.type} (${rest.join(', ')})` : e.type;
}

/** The chart's SVG in a figure with a caption; a missing chart becomes a short note instead. */
export async function figure(id: string, spec: VlSpec | undefined, caption: string, missing: string): Promise<string> {
  if (!spec) return `<p class="note">${escapeHtml(missing)}</p>`;
  const svg = await renderSvg(spec);
  return `<figure class="chart" id="${escapeHtml(id)}" data-chart="${escapeHtml(id)}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function summaryRows(metrics: RunMetrics): { key: string; s: MetricSummary }[] {
  return [{ key: 'model', s: metrics.summary.model }, ...Object.entries(metrics.summary.baselines).map(([key, s]) => ({ key, s: s as MetricSummary }))];
}

/** The metrics a summary table shows, in order, with their headings. */
export const METRIC_COLUMNS = [
  ['balancedAccuracy', 'Balanced accuracy'],
  ['macroF1', 'Macro-F1'],
  ['auroc', 'AUROC'],
  ['accuracy', 'Accuracy'],
] as const;

function summaryTable(metrics: RunMetrics): string {
  const cols = METRIC_COLUMNS;
  const head = `<tr><th>Method</th>${cols.map(([, t]) => `<th>${escapeHtml(t)}<br><span class="sub">mean ± sd</span></th>`).join('')}<th>Balanced accuracy<br><span class="sub">pooled</span></th><th>AUROC<br><span class="sub">pooled</span></th></tr>`;
  const body = summaryRows(metrics)
    .map(({ key, s }) => {
      const cells = cols.map(([k]) => {
        const m = k === 'auroc' ? s.auroc : s[k];
        const sdv = s.sd[k];
        return `<td class="num">${fmt(m)}<span class="pm"> ± ${fmt(sdv)}</span></td>`;
      });
      const pooled = (v: number | null): string => (s.pooled.leftOut ? `<td class="num left-out" title="${escapeHtml(s.pooled.leftOut)}">–*</td>` : `<td class="num">${fmt(v)}</td>`);
      return `<tr class="${key === 'model' ? 'model' : ''}"><th scope="row">${escapeHtml(methodLabel(key))}</th>${cells.join('')}${pooled(s.pooled.balancedAccuracy)}${pooled(s.pooled.auroc)}</tr>`;
    })
    .join('');
  const folds = metrics.summary.model.folds;
  const leftOut = summaryRows(metrics).find(({ s }) => s.pooled.leftOut);
  // Run folders written before the pooled cells of the label-only baselines were left out still hold numbers: say what they mean.
  const oldPooled = !leftOut && metrics.summary.baselines.majority ? ' The pooled figures of the majority and class-ratio baselines measure only how the folds’ class shares differ (this run predates leaving them out): do not read them as chance.' : '';
  return `<div class="scroll"><table class="summary"><thead>${head}</thead><tbody>${body}</tbody></table></div>
<p class="sub">Mean ± sd over ${escapeHtml(folds.balancedAccuracy)} fold(s), each fold weighing the same; AUROC over the ${escapeHtml(folds.auroc)} fold(s) whose test windows hold more than one class. “Pooled”: all test windows together, each method’s scores on one scale across folds.${escapeHtml(oldPooled)}</p>
${leftOut ? `<p class="sub" id="pooled-note">* Pooled cells ${escapeHtml(leftOut.s.pooled.leftOut!)}</p>` : ''}`;
}

/** The model against the feature baseline, paired by test subject: mean difference, bootstrap interval, Wilcoxon p. */
function comparisonTable(metrics: RunMetrics): string {
  const c = metrics.summary.comparisons?.featureBaseline;
  if (!c) return '';
  const rows = comparisonRows(c)
    .map(([label, ...cells]) => `<tr><th scope="row">${escapeHtml(label)}</th>${cells.map((v) => `<td class="num">${escapeHtml(v)}</td>`).join('')}</tr>`)
    .join('');
  return `<h3 id="paired">Model against the feature baseline, per subject</h3>
<div class="scroll"><table class="paired"><thead><tr><th>Model − feature baseline</th>${COMPARISON_COLUMNS.map((h) => `<th class="num">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>
<p class="sub">Each test subject’s windows are scored by both the model and the feature baseline (logistic regression on window statistics, trained on the same fold); the difference is taken per subject, then averaged with every subject weighing the same. Interval: percentile bootstrap over subjects (2000 resamples, seeded by the run’s seed). p: two-sided Wilcoxon signed-rank test (exact below 51 subjects when no difference is zero or tied; otherwise the normal approximation, zero differences dropped, variance corrected for ties). AUROC pairs only subjects whose windows hold more than one class.</p>
<p class="framing">${escapeHtml(comparisonVerdict(c, 'feature baseline'))}</p>`;
}

/** The plain-language framing: what chance is and the model's margin over it. */
function framing(metrics: RunMetrics): string {
  const K = metrics.dataset.classes.length;
  const model = metrics.summary.model;
  const maj = metrics.summary.baselines.majority as MetricSummary | undefined;
  const chance = 1 / K;
  const parts: string[] = [];
  parts.push(
    `Balanced accuracy averages the recall of each class, so class imbalance cannot inflate it: the majority-class baseline, which always predicts the most frequent training class, scores ${K === 2 ? '0.5' : `1/${K} ≈ ${fmt(chance)}`} whatever the class shares` +
      (maj ? ` (here ${fmt(maj.balancedAccuracy)} on average over folds).` : '.')
  );
  const margin = model.balancedAccuracy - (maj?.balancedAccuracy ?? chance);
  const sdv = model.sd.balancedAccuracy;
  parts.push(
    `The model's balanced accuracy is ${fmt(model.balancedAccuracy)} ± ${fmt(sdv)} (mean ± sd over ${model.folds.balancedAccuracy} fold(s)), a margin of ${margin >= 0 ? '+' : '−'}${fmt(Math.abs(margin))} over the majority baseline` +
      ` (pooled over all ${model.pooled.n} test windows: ${fmt(model.pooled.balancedAccuracy)}).`
  );
  if (!Number.isFinite(margin) || margin <= 0.005) parts.push('The model does not beat the majority baseline: there is no evidence here that it learned anything that transfers to unseen subjects.');
  else if (sdv !== null && margin < sdv) parts.push('The margin is smaller than the fold-to-fold standard deviation, so it is weak evidence of learning.');
  else parts.push('The margin is larger than the fold-to-fold standard deviation.');
  const feat = metrics.summary.baselines['features' as keyof typeof metrics.summary.baselines] as MetricSummary | undefined;
  if (feat && Number.isFinite(feat.balancedAccuracy)) {
    const d = model.balancedAccuracy - feat.balancedAccuracy;
    parts.push(
      d > 0
        ? `Against the hand-crafted feature baseline (logistic regression, ${fmt(feat.balancedAccuracy)}) the model's margin is +${fmt(d)}.`
        : `The hand-crafted feature baseline (logistic regression) does as well or better (${fmt(feat.balancedAccuracy)}): the deep model adds nothing over simple window statistics here.`
    );
  }
  if (metrics.dataset.subjects < 10) parts.push(`With only ${metrics.dataset.subjects} subject(s) these estimates are noisy.`);
  return `<p class="framing">${parts.map(escapeHtml).join(' ')}</p>`;
}

function header(metrics: RunMetrics): string {
  const d = metrics.dataset;
  const total = Object.values(d.classCounts).reduce((a, b) => a + b, 0) || 1;
  const classCounts = d.classes.map((c) => `${c}: ${d.classCounts[c] ?? 0} (${(((d.classCounts[c] ?? 0) / total) * 100).toFixed(0)}%)`).join(' · ');
  const blocks = Object.entries(metrics.parameters.blocks)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(' · ');
  const items: [string, string][] = [
    ['Dataset', d.name],
    ['Subjects', String(d.subjects)],
    ['Windows', `${d.windows} (length ${d.windowLength} samples)`],
    ['Classes', classCounts],
    ['Sensors', d.sensors.join(', ')],
    ['Evaluation', `${evaluationText(metrics.evaluation)} · ${metrics.folds.length} fold(s)`],
    ['Backend', metrics.backend],
    ...(metrics.execution
      ? ([['Execution', `${metrics.execution.executor} · ${metrics.execution.jobs} job(s)${metrics.execution.resumedJobs ? ` (${metrics.execution.resumedJobs} resumed)` : ''}`]] as [string, string][])
      : []),
    ['Seed', String(metrics.seed)],
    ['Date', fmtDate(metrics.createdAt)],
    ['Duration', fmtDuration(metrics.durationSeconds)],
    ['Parameters', `${metrics.parameters.total.toLocaleString('en-US')}${blocks ? ` (${blocks})` : ''}`],
  ];
  const dropped = Object.entries(d.dropped ?? {}).filter(([, n]) => n > 0);
  if (dropped.length) items.push(['Dropped windows', dropped.map(([k, n]) => `${k} ${n}`).join(' · ')]);
  return `<header>
<h1>${escapeHtml(metrics.name)} <span class="sub">evaluation report</span></h1>
<dl class="facts">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
${d.warnings.length ? `<details class="warnings"><summary>${d.warnings.length} warning(s) during the run</summary><ul>${d.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></details>` : ''}
</header>`;
}

function foldTable(metrics: RunMetrics): string {
  const baselineKeys = Object.keys(metrics.summary.baselines);
  const head = `<tr><th>Fold</th><th>Test subjects</th><th class="num">Train / val / test windows<br><span class="sub">train includes augmented copies</span></th><th class="num">Model BA</th>${baselineKeys.map((k) => `<th class="num">${escapeHtml(methodLabel(k))} BA</th>`).join('')}<th class="num">Model AUROC</th><th>Best / run epochs<br><span class="sub">per member</span></th></tr>`;
  const rows = metrics.folds
    .map((f) => {
      const b = f.baselines as Record<string, { balancedAccuracy: number } | undefined>;
      return `<tr><td>${f.index}</td><td>${escapeHtml(f.test.join(', '))}</td><td class="num">${f.trainWindows} / ${f.validationWindows} / ${f.testWindows}</td><td class="num">${fmt(f.model.balancedAccuracy)}</td>${baselineKeys
        .map((k) => `<td class="num">${fmt(b[k]?.balancedAccuracy)}</td>`)
        .join('')}<td class="num">${fmt(f.model.auroc)}</td><td>${escapeHtml(f.members.map((m) => `${m.bestEpoch}/${m.epochsRun}${m.stoppedEarly ? ' (early stop)' : ''}`).join(', '))}</td></tr>`;
    })
    .join('');
  return `<div class="scroll"><table class="folds"><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #24292f; background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: white; min-height: 100vh; }
h1 { font-size: 24px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: #57606a; font-weight: normal; font-size: 12px; }
h1 .sub { font-size: 16px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 6px 20px; margin: 0; }
dl.facts div { border-left: 3px solid #d0d7de; padding-left: 8px; }
dt { color: #57606a; font-size: 12px; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; font-weight: 600; border-bottom: 1px solid #d0d7de; }
td.num, th.num { text-align: right; white-space: nowrap; }
.pm { color: #57606a; font-size: 12px; }
tr.model th, tr.model td { background: #eef6ff; font-weight: 600; }
table.folds { font-size: 13px; }
.framing { background: #fff8c5; border: 1px solid #e9d66b; border-radius: 6px; padding: 10px 14px; max-width: 900px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px 28px; align-items: flex-start; }
figure.chart { margin: 8px 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.graph { max-width: 100%; }
figcaption { color: #57606a; font-size: 12px; max-width: 620px; margin-top: 4px; }
.note { color: #57606a; font-style: italic; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px; overflow: auto; max-height: 520px; font-size: 12px; line-height: 1.45; }
details.warnings { margin-top: 10px; color: #9a6700; }
footer { margin-top: 36px; color: #57606a; font-size: 12px; }
h1, h2, h3, p, li, figcaption { overflow-wrap: anywhere; }
/* wide tables scroll inside their own box, never the page */
.scroll { overflow-x: auto; max-width: 100%; }
@media (max-width: 640px) {
  main { padding: 12px 12px 32px; }
  h1 { font-size: 20px; }
  dl.facts { grid-template-columns: 1fr; }
  .charts { gap: 12px; }
}
/* paper: the whole spec (no scroll box to clip it), tables and charts unsplit where they fit */
@media print {
  body { background: white; font-size: 12px; }
  main { max-width: none; padding: 0; min-height: 0; }
  pre { max-height: none; overflow: visible; white-space: pre-wrap; overflow-wrap: anywhere; }
  .scroll { overflow: visible; }
  table { font-size: 10px; max-width: 100%; }
  th, td, td.num, th.num { padding: 3px 5px; white-space: normal; overflow-wrap: anywhere; }
  figure.chart, tr, .framing, dl.facts div { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
`;

/** Several outputs: per output, its label and classes, the framing, the summary table and its pooled confusion matrix. */
async function outputsSection(metrics: RunMetrics): Promise<string> {
  const parts: string[] = [];
  for (const [name, o] of Object.entries(metrics.outputs ?? {})) {
    const view: RunMetrics = { ...metrics, summary: o.summary, dataset: { ...metrics.dataset, classes: o.classes, classCounts: o.classCounts } };
    const counts = o.classes.map((c) => `${c}: ${o.classCounts[c] ?? 0}`).join(' · ');
    parts.push(`<h3 id="output-${escapeHtml(name)}">Output ${escapeHtml(name)} <span class="sub">label ${escapeHtml(o.label)} · ${escapeHtml(counts)} · loss weight ${escapeHtml(o.lossWeight)}</span></h3>
${framing(view)}${summaryTable(view)}
<div class="charts">${await figure(`chart-confusion-${name}`, confusionSpec(o.summary.model.confusion, o.classes, `Confusion matrix, all folds pooled (output ${name})`), 'Rows: true class; columns: predicted.', 'No confusion matrix.')}</div>`);
  }
  return `<section id="outputs"><h2>Outputs</h2><p>The model predicts ${Object.keys(metrics.outputs ?? {}).length} labels; the sections above and below are for the first output. Each output's predictions: predictions.csv (first), predictions-&lt;output&gt;.csv (others).</p>${parts.join('\n')}</section>`;
}

/**
 * The report as one self-contained HTML page: every chart is an inline SVG rendered here (vega-lite → vega, no
 * browser), styles are inline, and nothing is fetched (a Content-Security-Policy forbids any network use).
 * `predictionsCsvText` is the run's predictions.csv ('' leaves out the ROC curves); `specJson` the run's spec
 * (object or JSON text); `graph` the model graph to draw (`specGraphView`; left out without it).
 */
export async function renderReportHtml(metrics: RunMetrics, predictionsCsvText: string, specJson: unknown, graph?: GraphView): Promise<string> {
  const classes = metrics.dataset.classes;
  let rows: PredictionRow[] = [];
  let predictionsProblem = '';
  try {
    rows = parsePredictionsCsv(predictionsCsvText, classes);
  } catch (e) {
    predictionsProblem = (e as Error).message;
  }
  const specText = (() => {
    if (typeof specJson === 'string') {
      try {
        return JSON.stringify(JSON.parse(specJson), null, 2);
      } catch {
        return specJson;
      }
    }
    return JSON.stringify(specJson, null, 2) ?? 'null';
  })();

  const noRoc = predictionsProblem ? `No ROC curves: ${predictionsProblem}` : 'No ROC curves: predictions.csv is empty or no test set holds more than one class.';
  const foldRoc = rows.length ? foldRocSpec(rows, classes) : { spec: undefined, skipped: [] as number[] };
  const sections: string[] = [];

  sections.push(`<section id="summary"><h2>Summary</h2>${framing(metrics)}${summaryTable(metrics)}${comparisonTable(metrics)}
<div class="charts">${await figure('chart-summary', summarySpec(metrics), 'Bars: mean over folds; black line: ± 1 sd; red dashed: chance (1 / classes).', 'No summary chart.')}</div></section>`);

  if (metrics.outputs) sections.push(await outputsSection(metrics));
  if (metrics.summary.personalised?.length) sections.push(await personalisedSection(metrics));

  sections.push(`<section id="learning"><h2>Learning curves</h2>
<div class="charts">${await figure('chart-loss', lossSpec(metrics), 'One panel per fold, one colour per ensemble member. Solid: training loss; dashed: validation loss (on held-out training subjects, not the test fold); diamond: the best epoch of each member (lowest validation loss), whose weights are kept when training.restoreBest is on.', 'No training history recorded.')}
${await figure('chart-val-ba', valAccuracySpec(metrics), 'Validation balanced accuracy per epoch; dotted red: chance.', 'No validation balanced accuracy recorded (no validation subjects).')}</div>
<h3>Folds</h3>${foldTable(metrics)}</section>`);

  sections.push(`<section id="confusion"><h2>Confusion matrices</h2>
<div class="charts">${await figure('chart-confusion-pooled', confusionSpec(metrics.summary.model.confusion, classes, 'Confusion matrix, all folds pooled (model)'), 'Rows: true class; columns: predicted. Counts, with the share of the true class (the recall on the diagonal).', 'No confusion matrix.')}
${await figure('chart-confusion-folds', metrics.folds.length ? foldConfusionSpec(metrics) : undefined, 'Per fold: counts; colour is the share of the true class.', 'No folds.')}</div></section>`);

  sections.push(`<section id="subjects"><h2>Per subject</h2>
<div class="charts">${await figure('chart-subjects', perSubjectSpec(metrics), 'Balanced accuracy on each test subject’s windows, the model beside the baselines evaluated on the same windows. A subject whose windows hold only one class scores that class’s recall (often 0 or 1 for the majority baseline).', 'No per-subject results.')}</div></section>`);

  sections.push(`<section id="roc"><h2>ROC curves</h2>
<div class="charts">${await figure('chart-roc-pooled', rows.length ? pooledRocSpec(rows, classes) : undefined, classes.length === 2 ? `From the predicted probability of “${classes[1]}” in predictions.csv; dashed grey: chance (the diagonal). Pooling mixes the folds’ models.` : 'One-vs-rest per class from the predicted probabilities; dashed grey: chance.', noRoc)}
${await figure('chart-roc-folds', foldRoc.spec, `Per fold, dashed grey: the diagonal.${foldRoc.skipped.length ? ` Left out (test windows of one class only): fold ${foldRoc.skipped.join(', ')}.` : ''}`, noRoc)}</div></section>`);

  if (graph) {
    sections.push(`<section id="graph"><h2>Model graph</h2>
<figure class="chart graph" id="chart-graph">${graphSvg(graph)}<figcaption>Sensor inputs (blue) through the model's nodes to its outputs (green); each arrow is labelled with the shape it carries per window (batch left out), as <code>fusion-cli validate</code> prints it.</figcaption></figure></section>`);
  }

  sections.push(`<section id="spec"><h2>Run specification</h2>
<p>Backend: <strong>${escapeHtml(metrics.backend)}</strong> · seed ${escapeHtml(metrics.seed)}</p>
<pre>${escapeHtml(specText)}</pre></section>`);

  return htmlPage(`${metrics.name} · evaluation report`, `${header(metrics)}
${sections.join('\n')}
<footer>Generated by @fusion/report from metrics.json, predictions.csv and spec.json. Self-contained: opens offline.</footer>`);
}

/** A self-contained page with the report's styles; nothing is fetched (a Content-Security-Policy forbids any network use). */
export function htmlPage(title: string, mainHtml: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${mainHtml}
</main>
</body>
</html>
`;
}

/** Writes `report.html` into the staged run folder (plug into `RunOptions.extraOutputs`); `graph`: the model graph to draw. */
export async function writeReport(metrics: RunMetrics, out: StagedOutput, graph?: GraphView): Promise<void> {
  const read = (name: string): string => {
    const file = out.path(name);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };
  const spec = read('spec.json');
  const html = await renderReportHtml(metrics, read('predictions.csv'), spec || { note: 'spec.json was not found in the run folder' }, graph);
  out.writeText('report.html', html);
}
