import { multiOutputs, OutputTarget, Rng } from '@fusion/core';
import type { WindowSet } from '@fusion/core';
import { classPrior, classRatioBaseline, majorityBaseline } from '../eval/baselines';
import { featureBaseline } from '../eval/feature-baseline';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from '../eval/metrics';
import { JobResult, prepareFold, RunContext } from './plan';
import { formatPredictionsCsv, PredictionRow } from './predictions-csv';

type Baseline = 'majority' | 'classRatio' | 'features';
const BASELINES: Baseline[] = ['majority', 'classRatio', 'features'];

/** One output's results in metrics.json's `outputs` (several outputs only). */
export interface OutputMetrics {
  label: string;
  classes: string[];
  classCounts: Record<string, number>;
  lossWeight: number;
  summary: { model: MetricSummary; baselines: Record<Baseline, MetricSummary> };
  folds: { index: number; test: string[]; testWindows: number; model: Metrics; baselines: Record<Baseline, Metrics> }[];
}

/** What the first output's evaluation (runExperiment's own) already gave. */
interface FirstOutput {
  summary: OutputMetrics['summary'];
  folds: { index: number; test: string[]; testWindows: number; model: Metrics; baselines: Record<Baseline, Metrics> }[];
}

/** The run file of an output's predictions: predictions.csv for the first, predictions-<name>.csv for the others. */
export function predictionsFile(output: string, first: boolean): string {
  return first ? 'predictions.csv' : `predictions-${output}.csv`;
}

/**
 * Several outputs: every output after the first evaluated as runExperiment evaluates the first (the fold's
 * ensemble, averaged, against the majority, class-ratio and feature baselines, per fold and pooled), and its
 * predictions as CSV in the predictions.csv format. `membersOf(fold, point)` gives a fold's jobs of the chosen point.
 * Returns undefined with one output.
 */
export function evaluateOutputs(
  ctx: RunContext,
  selected: number[],
  membersOf: (fold: number, point: number) => JobResult[],
  first: FirstOutput
): { outputs: Record<string, OutputMetrics>; files: Record<string, string> } | undefined {
  const outs = multiOutputs(ctx.spec);
  if (!outs) return undefined;
  const points = ctx.points ?? [ctx];
  const outputs: Record<string, OutputMetrics> = {};
  const files: Record<string, string> = {};
  outs.forEach((o, k) => {
    const head = { label: o.label.target, classes: o.label.classes, classCounts: countClasses(ctx.windows.ys![o.name], o.label.classes), lossWeight: o.lossWeight };
    if (k === 0) {
      outputs[o.name] = { ...head, summary: first.summary, folds: first.folds.map((f) => ({ index: f.index, test: f.test, testWindows: f.testWindows, model: f.model, baselines: f.baselines })) };
      return;
    }
    const r = evaluateOutput(o, ctx, (fold) => {
      const point = selected[fold];
      return { p: prepareFold(points[point], fold), members: membersOf(fold, point) };
    });
    outputs[o.name] = { ...head, ...r.metrics };
    files[predictionsFile(o.name, false)] = r.csv;
  });
  return { outputs, files };
}

function countClasses(y: Int32Array, classes: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  y.forEach((c) => counts[classes[c]]++);
  return counts;
}

/** One output (not the first) on every fold: the ensemble's averaged probabilities, the baselines and the CSV rows. */
function evaluateOutput(
  o: OutputTarget,
  ctx: RunContext,
  foldOf: (fold: number) => { p: ReturnType<typeof prepareFold>; members: JobResult[] }
): { metrics: Pick<OutputMetrics, 'summary' | 'folds'>; csv: string } {
  const C = o.label.classes.length;
  const seed = ctx.spec.seed;
  const relabel = (w: WindowSet): WindowSet => ({ ...w, y: w.ys![o.name], classes: o.label.classes });
  const pooled = { y: [] as number[], model: { pred: [] as number[], probs: [] as number[] } } as { y: number[] } & Record<'model' | Baseline, { pred: number[]; probs: number[] }>;
  for (const b of BASELINES) pooled[b] = { pred: [], probs: [] };
  const cs = o.label.classes;
  const rows: PredictionRow[] = [];
  const folds: OutputMetrics['folds'] = [];
  for (const fold of ctx.folds) {
    const { p, members } = foldOf(fold.index);
    const testW = relabel(p.testW);
    const n = testW.y.length;
    const probs = new Float32Array(n * C);
    for (const m of members) {
      const mp = m.outputs![o.name].probs;
      for (let i = 0; i < probs.length; i++) probs[i] += mp[i] / members.length;
    }
    const prior = classPrior(p.baseW.ys![o.name], C);
    const rng = new Rng(`${seed}/fold${fold.index}`);
    const by: Record<'model' | Baseline, { pred: ArrayLike<number>; probs: ArrayLike<number> }> = {
      model: { pred: argmaxRows(probs, C), probs },
      majority: majorityBaseline(prior, n),
      classRatio: classRatioBaseline(prior, n, rng.child(`class-ratio/${o.name}`)),
      features: featureBaseline(relabel(p.baseW), testW, C, rng.child(`features/${o.name}`).seed31()),
    };
    const metricsOf = (k: 'model' | Baseline): Metrics => computeMetrics(testW.y, by[k].pred, C, by[k].probs);
    folds.push({
      index: fold.index + 1,
      test: fold.test,
      testWindows: n,
      model: metricsOf('model'),
      baselines: { majority: metricsOf('majority'), classRatio: metricsOf('classRatio'), features: metricsOf('features') },
    });
    for (let i = 0; i < n; i++) {
      pooled.y.push(testW.y[i]);
      for (const k of ['model', ...BASELINES] as const) {
        pooled[k].pred.push(by[k].pred[i]);
        for (let c = 0; c < C; c++) pooled[k].probs.push(by[k].probs[i * C + c]);
      }
      const row = (x: ArrayLike<number>): number[] => Array.from({ length: C }, (_, c) => x[i * C + c]);
      rows.push({
        fold: fold.index + 1,
        subject: testW.subjects[i],
        windowEnd: testW.ends[i],
        trueClass: testW.y[i],
        pred: by.model.pred[i],
        probs: row(probs),
        baselinePreds: { majority: by.majority.pred[i], classRatio: by.classRatio.pred[i], features: by.features.pred[i] },
        featureProbs: row(by.features.probs),
      });
    }
  }
  const summaryOf = (k: 'model' | Baseline): MetricSummary =>
    summarize(
      folds.map((f) => (k === 'model' ? f.model : f.baselines[k])),
      computeMetrics(pooled.y, k === 'model' ? argmaxRows(pooled.model.probs, C) : pooled[k].pred, C, pooled[k].probs)
    );
  return {
    metrics: { summary: { model: summaryOf('model'), baselines: { majority: summaryOf('majority'), classRatio: summaryOf('classRatio'), features: summaryOf('features') } }, folds },
    csv: formatPredictionsCsv(cs, rows),
  };
}
