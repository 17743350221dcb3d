import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { RunMetrics } from '@fusion/runner';
import { NamedRoc, PredictionRow, rocCurves, rocCurve } from './predictions';

/** A vega-lite spec as plain data (typed loosely here; vega-lite validates it when compiling). */
export type VlSpec = Record<string, unknown>;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d7de' },
  axis: { labelLimit: 300, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eef1f4', domainColor: '#8c959f', tickColor: '#8c959f' },
  // Text is measured by estimate in Node (no canvas): generous limits keep labels from being cut short.
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', orient: 'bottom', direction: 'horizontal', labelLimit: 400, titleLimit: 400 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, fontWeight: 'bold', anchor: 'start', color: '#24292f' },
  range: { category: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] },
};

/** Compiles a vega-lite spec and renders it to an SVG string in Node (no browser, no canvas). */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const compiled = vl.compile({ config: CONFIG, ...spec } as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export const METHOD_LABELS: Record<string, string> = {
  model: 'Model',
  majority: 'Majority class',
  classRatio: 'Class ratio (random)',
  features: 'Feature baseline',
};

export function methodLabel(key: string): string {
  return METHOD_LABELS[key] ?? key;
}

const METHOD_COLORS: Record<string, string> = { model: '#1f77b4', majority: '#8c959f', classRatio: '#c9a227', features: '#2ca02c' };
const EXTRA_COLORS = ['#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Fixed colours per method so every chart agrees. */
function methodScale(keys: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: keys.map(methodLabel), range: keys.map((k, i) => METHOD_COLORS[k] ?? EXTRA_COLORS[i % EXTRA_COLORS.length]) };
}

function facetColumns(n: number): number {
  return Math.min(n, 4);
}

/** Mean ± sd balanced accuracy per method, with the chance level. */
export function summarySpec(metrics: RunMetrics): VlSpec {
  const keys = ['model', ...Object.keys(metrics.summary.baselines)];
  const summaries = { model: metrics.summary.model, ...metrics.summary.baselines } as Record<string, RunMetrics['summary']['model']>;
  const values = keys
    .map((k) => ({ method: methodLabel(k), mean: summaries[k].balancedAccuracy, sd: summaries[k].sd.balancedAccuracy ?? 0 }))
    .filter((d) => Number.isFinite(d.mean))
    .map((d) => ({ ...d, lo: Math.max(0, d.mean - d.sd), hi: Math.min(1, d.mean + d.sd), label: `${d.mean.toFixed(3)} ± ${d.sd.toFixed(3)}` }));
  const chance = 1 / metrics.dataset.classes.length;
  const y = { field: 'method', type: 'nominal', sort: values.map((d) => d.method), title: null };
  return {
    title: 'Balanced accuracy, mean ± sd over folds',
    width: 460,
    height: { step: 28 },
    data: { values },
    layer: [
      { mark: { type: 'bar', height: 16 }, encoding: { y, x: { field: 'mean', type: 'quantitative', scale: { domain: [0, 1] }, title: 'balanced accuracy' }, color: { field: 'method', type: 'nominal', scale: methodScale(keys), legend: null } } },
      { mark: { type: 'rule', color: '#24292f' }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      { mark: { type: 'text', align: 'left', dx: 6, fontSize: 11 }, encoding: { y, x: { field: 'hi', type: 'quantitative' }, text: { field: 'label' } } },
      { data: { values: [{ chance }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#cf222e' }, encoding: { x: { field: 'chance', type: 'quantitative' } } },
    ],
  };
}

interface CurveRow {
  fold: number;
  member: string;
  epoch: number;
  value: number;
  series: string;
  /** The member's best epoch (lowest validation loss; its weights are the ones kept with training.restoreBest). */
  best?: boolean;
}

/** Training and validation loss per epoch, one panel per fold, one colour per ensemble member. */
export function lossSpec(metrics: RunMetrics): VlSpec | undefined {
  const values: CurveRow[] = [];
  for (const f of metrics.folds)
    for (const m of f.members)
      for (const h of m.history) {
        if (Number.isFinite(h.loss)) values.push({ fold: f.index, member: `member ${m.member}`, epoch: h.epoch, value: h.loss, series: 'training' });
        if (h.valLoss !== undefined && Number.isFinite(h.valLoss))
          values.push({ fold: f.index, member: `member ${m.member}`, epoch: h.epoch, value: h.valLoss, series: 'validation', ...(h.epoch === m.bestEpoch ? { best: true } : {}) });
      }
  if (!values.length) return undefined;
  return curveFacet(values, metrics.folds.length, 'loss', 'Loss per epoch (solid: training, dashed: validation)', undefined);
}

/** Validation balanced accuracy per epoch, one panel per fold, with the chance level. */
export function valAccuracySpec(metrics: RunMetrics): VlSpec | undefined {
  const values: CurveRow[] = [];
  for (const f of metrics.folds)
    for (const m of f.members)
      for (const h of m.history)
        if (h.valBalancedAccuracy !== undefined && Number.isFinite(h.valBalancedAccuracy))
          values.push({ fold: f.index, member: `member ${m.member}`, epoch: h.epoch, value: h.valBalancedAccuracy, series: 'validation' });
  if (!values.length) return undefined;
  return curveFacet(values, metrics.folds.length, 'balanced accuracy', 'Validation balanced accuracy per epoch (dotted: chance)', 1 / metrics.dataset.classes.length);
}

function curveFacet(values: CurveRow[], folds: number, yTitle: string, title: string, chance: number | undefined): VlSpec {
  const maxEpoch = Math.max(...values.map((v) => v.epoch));
  const layer: VlSpec[] = [
    {
      mark: { type: 'line', point: maxEpoch <= 12 ? { size: 18 } : false, strokeWidth: 1.6 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', scale: { domain: [1, Math.max(2, maxEpoch)] }, axis: maxEpoch <= 12 ? { values: Array.from({ length: Math.max(2, maxEpoch) }, (_, i) => i + 1), format: 'd' } : { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: chance !== undefined ? { domain: [0, 1] } : { zero: false } },
        color: { field: 'member', type: 'nominal', title: 'ensemble member' },
        strokeDash: { field: 'series', type: 'nominal', scale: { domain: ['training', 'validation'], range: [[1, 0], [5, 3]] }, legend: null },
        detail: { field: 'series' },
      },
    },
  ];
  if (values.some((v) => v.best))
    layer.push({
      transform: [{ filter: 'datum.best === true' }],
      mark: { type: 'point', shape: 'diamond', size: 80, filled: true, stroke: '#000', strokeWidth: 0.6 },
      encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: { field: 'member', type: 'nominal', title: 'ensemble member' } },
    });
  if (chance !== undefined) layer.unshift({ mark: { type: 'rule', strokeDash: [2, 3], color: '#cf222e' }, encoding: { y: { datum: chance, type: 'quantitative' } } });
  return {
    title,
    data: { values },
    columns: facetColumns(folds),
    facet: { field: 'fold', type: 'ordinal', header: { title: null, labelExpr: "'fold ' + datum.value" } },
    spec: { width: 190, height: 130, layer },
  };
}

/** A confusion matrix heatmap: colour is the share of the true class (row), text the count. */
export function confusionSpec(confusion: number[][], classes: readonly string[], title: string): VlSpec {
  return confusionFacet([{ fold: 0, confusion }], classes, title, false);
}

export function foldConfusionSpec(metrics: RunMetrics): VlSpec {
  return confusionFacet(
    metrics.folds.map((f) => ({ fold: f.index, confusion: f.model.confusion })),
    metrics.dataset.classes,
    'Confusion matrix per fold (model; colour: share of the true class)',
    true
  );
}

function confusionFacet(mats: { fold: number; confusion: number[][] }[], classes: readonly string[], title: string, faceted: boolean): VlSpec {
  const values = mats.flatMap(({ fold, confusion }) =>
    confusion.flatMap((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((count, p) => {
        const share = total ? count / total : 0;
        return { fold, truth: classes[t] ?? String(t), predicted: classes[p] ?? String(p), count, share, label: `${count}`, sub: total ? `${(share * 100).toFixed(0)}%` : '' };
      });
    })
  );
  const size = faceted ? Math.max(90, Math.min(190, 56 * classes.length)) : Math.max(160, Math.min(320, 80 * classes.length));
  const longNames = classes.some((c) => c.length * 7 > size / classes.length);
  const x = { field: 'predicted', type: 'nominal', sort: [...classes], title: 'predicted', axis: { labelAngle: longNames ? -35 : 0 } };
  const y = { field: 'truth', type: 'nominal', sort: [...classes], title: 'true' };
  const fontSize = faceted ? 11 : 14;
  const layer = [
    { mark: { type: 'rect', stroke: 'white', strokeWidth: 1 }, encoding: { x, y, color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share of true class', legend: faceted ? null : { orient: 'right', direction: 'vertical', gradientLength: 120 } } } },
    {
      mark: { type: 'text', fontSize, fontWeight: 'bold', baseline: 'middle', dy: faceted ? 0 : -7 },
      encoding: { x, y, text: { field: 'label' }, color: { condition: { test: 'datum.share > 0.55', value: 'white' }, value: '#24292f' } },
    },
  ];
  if (!faceted)
    layer.push({ mark: { type: 'text', fontSize: 11, fontWeight: 'normal', baseline: 'middle', dy: 10 }, encoding: { x, y, text: { field: 'sub' }, color: { condition: { test: 'datum.share > 0.55', value: 'white' }, value: '#57606a' } } } as never);
  const inner = { width: size, height: size, layer };
  if (!faceted) return { title, data: { values }, ...inner };
  return { title, data: { values }, columns: facetColumns(mats.length), facet: { field: 'fold', type: 'ordinal', header: { title: null, labelExpr: "'fold ' + datum.value" } }, spec: inner };
}

/** Balanced accuracy per subject: model beside every baseline, subjects sorted by the model's score. */
export function perSubjectSpec(metrics: RunMetrics): VlSpec | undefined {
  const entries = Object.entries(metrics.perSubject).filter(([, s]) => Number.isFinite(s.model.balancedAccuracy));
  if (!entries.length) return undefined;
  entries.sort((a, b) => b[1].model.balancedAccuracy - a[1].model.balancedAccuracy || a[0].localeCompare(b[0], undefined, { numeric: true }));
  const baselineKeys = [...new Set(entries.flatMap(([, s]) => Object.keys(s.baselines)))];
  const keys = ['model', ...baselineKeys];
  const values = entries.flatMap(([subject, s]) =>
    keys
      .map((k) => ({ subject: `${subject} (fold ${s.fold})`, method: methodLabel(k), ba: k === 'model' ? s.model.balancedAccuracy : (s.baselines as Record<string, { balancedAccuracy: number }>)[k]?.balancedAccuracy }))
      .filter((d) => d.ba !== undefined && Number.isFinite(d.ba))
  );
  const order = entries.map(([subject, s]) => `${subject} (fold ${s.fold})`);
  const chance = 1 / metrics.dataset.classes.length;
  const y = { field: 'subject', type: 'nominal', sort: order, title: null };
  return {
    title: 'Balanced accuracy per test subject (sorted by the model; dotted: chance)',
    width: 520,
    // With yOffset the step is one bar's height (a subject takes one step per method).
    height: { step: 6 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          yOffset: { field: 'method', type: 'nominal', sort: keys.map(methodLabel) },
          x: { field: 'ba', type: 'quantitative', scale: { domain: [0, 1] }, title: 'balanced accuracy' },
          color: { field: 'method', type: 'nominal', scale: methodScale(keys), title: null, sort: keys.map(methodLabel) },
        },
      },
      { data: { values: [{ chance }] }, mark: { type: 'rule', strokeDash: [2, 3], color: '#cf222e' }, encoding: { x: { field: 'chance', type: 'quantitative' } } },
    ],
  };
}

interface RocRow {
  fold: number;
  curve: string;
  kind: string;
  i: number;
  fpr: number;
  tpr: number;
}

function rocRows(curves: NamedRoc[], fold: number): RocRow[] {
  const rows: RocRow[] = [];
  for (const c of curves) c.points.forEach((p, i) => rows.push({ fold, curve: `${c.name} · AUC ${c.auc.toFixed(3)}`, kind: 'model', i, fpr: p.fpr, tpr: p.tpr }));
  rows.push({ fold, curve: 'chance', kind: 'chance', i: 0, fpr: 0, tpr: 0 }, { fold, curve: 'chance', kind: 'chance', i: 1, fpr: 1, tpr: 1 });
  return rows;
}

function rocEncoding(legend: boolean, curveNames: string[]): VlSpec {
  return {
    x: { field: 'fpr', type: 'quantitative', scale: { domain: [0, 1] }, title: 'false positive rate' },
    y: { field: 'tpr', type: 'quantitative', scale: { domain: [0, 1] }, title: 'true positive rate' },
    order: { field: 'i', type: 'quantitative' },
    detail: { field: 'curve' },
    color: legend
      ? { field: 'curve', type: 'nominal', title: null, scale: { domain: curveNames, range: curveNames.map((n, i) => (n === 'chance' ? '#8c959f' : CONFIG.range.category[i % 10])) }, legend: { orient: 'bottom', direction: 'vertical', symbolType: 'stroke', symbolStrokeWidth: 2 } }
      : { field: 'kind', type: 'nominal', scale: { domain: ['model', 'chance'], range: ['#1f77b4', '#8c959f'] }, legend: null },
    strokeDash: { field: 'kind', type: 'nominal', scale: { domain: ['model', 'chance'], range: [[1, 0], [4, 4]] }, legend: null },
  };
}

/** Pooled ROC over every test window (model probabilities), with the diagonal. */
export function pooledRocSpec(rows: readonly PredictionRow[], classes: readonly string[]): VlSpec | undefined {
  const curves = rocCurves(rows, classes);
  // Binary: the feature baseline's ROC beside the model's, when predictions.csv carries its probabilities.
  if (classes.length === 2 && curves.length && rows.every((r) => r.featureProbs)) {
    const fc = rocCurve(
      rows.map((r) => r.featureProbs![1]),
      rows.map((r) => r.trueClass === 1)
    );
    if (fc) {
      curves[0] = { ...curves[0], name: `model: ${curves[0].name}` };
      curves.push({ ...fc, name: 'feature baseline' });
    }
  }
  if (!curves.length) return undefined;
  const values = rocRows(curves, 0);
  const names = [...new Set(values.map((v) => v.curve))];
  return {
    title: classes.length === 2 ? 'ROC, all test windows pooled' : 'ROC one-vs-rest, all test windows pooled',
    width: 300,
    height: 300,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
    encoding: rocEncoding(true, names),
  };
}

/** ROC per fold (binary: the positive class; multi-class: one line per class vs rest). Folds with one class are left out. */
export function foldRocSpec(rows: readonly PredictionRow[], classes: readonly string[]): { spec: VlSpec | undefined; skipped: number[] } {
  const folds = [...new Set(rows.map((r) => r.fold))].sort((a, b) => a - b);
  const values: (RocRow & { label?: string; ly?: number })[] = [];
  const skipped: number[] = [];
  const multi = classes.length > 2;
  for (const f of folds) {
    const curves = rocCurves(
      rows.filter((r) => r.fold === f),
      classes
    );
    if (!curves.length) {
      skipped.push(f);
      continue;
    }
    // Curves named by class only (the same colour in every panel); the AUCs are written inside the panel.
    values.push(...rocRows(curves, f).map((r) => ({ ...r, curve: r.kind === 'chance' ? 'chance' : r.curve.replace(/ · AUC.*$/, '') })));
    curves.forEach((c, k) =>
      values.push({ fold: f, curve: c.name, kind: 'label', i: 0, fpr: 0.97, tpr: 0, ly: 0.04 + 0.1 * (curves.length - 1 - k), label: multi ? `${c.name.replace(/ vs rest$/, '')} ${c.auc.toFixed(2)}` : `AUC ${c.auc.toFixed(2)}` })
    );
  }
  if (!values.length) return { spec: undefined, skipped };
  const names = [...new Set(values.filter((v) => v.kind !== 'label').map((v) => v.curve))];
  const shown = folds.filter((f) => !skipped.includes(f)).length;
  const textColor = multi ? { field: 'curve', type: 'nominal', scale: { domain: names, range: names.map((n, i) => (n === 'chance' ? '#8c959f' : CONFIG.range.category[i % 10])) } } : { value: '#24292f' };
  return {
    spec: {
      title: multi ? 'ROC per fold, one-vs-rest (AUC per class in each panel)' : 'ROC per fold (model)',
      data: { values },
      columns: facetColumns(shown),
      facet: { field: 'fold', type: 'ordinal', header: { title: null, labelExpr: "'fold ' + datum.value" } },
      spec: {
        width: 170,
        height: 170,
        layer: [
          { transform: [{ filter: "datum.kind !== 'label'" }], mark: { type: 'line', strokeWidth: 1.6 }, encoding: rocEncoding(multi, names) },
          {
            transform: [{ filter: "datum.kind === 'label'" }],
            mark: { type: 'text', align: 'right', baseline: 'bottom', fontSize: 11 },
            encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'ly', type: 'quantitative' }, text: { field: 'label' }, color: textColor },
          },
        ],
      },
    },
    skipped,
  };
}
