import type { RunMetrics } from '@fusion/runner';
import type { VlSpec } from './charts';
import { escapeHtml, figure, fmt } from './report';

/** Balanced accuracy (mean over folds) against calibration minutes N: adapted, and the same windows not adapted. */
export function personalisedCurveSpec(metrics: RunMetrics): VlSpec | undefined {
  const entries = metrics.summary.personalised ?? [];
  const values = entries.flatMap((p) => [
    { minutes: p.minutes, series: 'personalised (per-subject threshold)', value: p.model.balancedAccuracy },
    { minutes: p.minutes, series: 'same windows, not adapted', value: p.subjectIndependent.balancedAccuracy },
  ]).filter((d) => Number.isFinite(d.value));
  if (!values.length) return undefined;
  return {
    title: 'Balanced accuracy against calibration minutes',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'minutes', type: 'quantitative', title: 'calibration minutes per test subject (N)' },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'balanced accuracy (mean over folds)' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

/** The report's "Personalised" section (evaluation.calibration only), apart from the subject-independent summary. */
export async function personalisedSection(metrics: RunMetrics): Promise<string> {
  const entries = metrics.summary.personalised;
  if (!entries?.length) return '';
  const rows = entries
    .map((p) => {
      const notAdapted = Object.values(p.perSubject).filter((s) => s.notAdapted && p.minutes > 0).length;
      return `<tr><td class="num">${escapeHtml(p.minutes)}</td><td class="num">${fmt(p.model.balancedAccuracy)}<span class="pm"> ± ${fmt(p.model.sd.balancedAccuracy)}</span></td><td class="num">${fmt(p.subjectIndependent.balancedAccuracy)}<span class="pm"> ± ${fmt(p.subjectIndependent.sd.balancedAccuracy)}</span></td><td class="num">${fmt(p.model.auroc)}</td><td class="num">${fmt(p.subjectIndependent.auroc)}</td><td class="num">${escapeHtml(p.testWindows)}</td><td class="num">${escapeHtml(p.calibrationWindows)}</td><td class="num">${escapeHtml(p.adaptedSubjects)}${notAdapted ? ` (${escapeHtml(notAdapted)} not)` : ''}</td></tr>`;
    })
    .join('');
  return `<section id="personalised"><h2>Personalised (reported apart)</h2>
<p>Each test subject’s first N labelled minutes (by window end time) choose that subject’s decision threshold on the model’s probability (the one maximising balanced accuracy on those windows) and are then left out of its scored windows. “Not adapted”: the same models on the same remaining windows, without the threshold. A subject whose calibration windows hold fewer than 2 windows of either class keeps the threshold 0.5 (see metrics.json, <code>summary.personalised[].perSubject</code>). These figures are not subject-independent: compare them with each other, not with the summary above.</p>
<div class="scroll"><table class="summary"><thead><tr><th>N (min)</th><th>Balanced accuracy<br><span class="sub">personalised</span></th><th>Balanced accuracy<br><span class="sub">not adapted</span></th><th>AUROC<br><span class="sub">personalised</span></th><th>AUROC<br><span class="sub">not adapted</span></th><th>Scored windows</th><th>Calibration windows</th><th>Subjects adapted</th></tr></thead><tbody>${rows}</tbody></table></div>
<div class="charts">${await figure('chart-personalised', personalisedCurveSpec(metrics), 'Mean over folds; both lines on the same remaining windows at each N (fewer windows as N grows).', 'No personalised figures.')}</div></section>`;
}
