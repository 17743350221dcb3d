import { Rng } from '@fusion/core';
import type { WindowSet } from '@fusion/core';
import { classPrior, classRatioBaseline, majorityBaseline } from '../eval/baselines';
import { featureBaseline } from '../eval/feature-baseline';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from '../eval/metrics';
import { pooledLabelOnly } from '../eval/pooled';
import { meanMemberProbs } from './ensemble';
import { indicesOf, JobResult, PreparedFold } from './plan';
import type { PredictionRow } from './predictions-csv';

/**
 * Reporting a run's test predictions: per fold (the ensemble against the baselines on the same test windows), per
 * test subject, and pooled over every test window of every fold.
 */

/** majority and classRatio: no features at all; features: logistic regression on per-window statistics. */
export type BaselineName = 'majority' | 'classRatio' | 'features';

type Predictions = { pred: ArrayLike<number>; probs: ArrayLike<number> };

/** One fold's test predictions (model and baselines) and their metrics. */
export interface FoldPredictions {
  fold: number;
  testW: WindowSet;
  model: { pred: Int32Array; probs: Float32Array };
  baselines: Record<BaselineName, Predictions>;
  metrics: { model: Metrics; baselines: Record<BaselineName, Metrics> };
}

/** The class-ratio baseline's draws: seeded per fold, independent of the model's jobs. */
function classRatioRng(seed: number, fold: number): Rng {
  return new Rng(`${seed}/fold${fold}`).child('class-ratio');
}

/** The fold's ensemble (its members' mean) and the baselines, trained on the fold's training subjects, on its test windows. */
export function predictFold(seed: number, p: PreparedFold, members: JobResult[], C: number): FoldPredictions {
  const { testW } = p;
  const fold = p.fold.index;
  const sum = meanMemberProbs(members.map((m) => m.probs), testW.y.length * C);
  const pred = argmaxRows(sum, C);
  const prior = classPrior(p.trainLabels, C);
  const baselines = {
    majority: majorityBaseline(prior, testW.y.length),
    classRatio: classRatioBaseline(prior, testW.y.length, classRatioRng(seed, fold)),
    features: featureBaseline(p.baseW, testW, C, new Rng(`${seed}/fold${fold}`).child('features').seed31()),
  };
  const metricsOf = (b: Predictions): Metrics => computeMetrics(testW.y, b.pred, C, b.probs);
  return {
    fold,
    testW,
    model: { pred, probs: sum },
    baselines,
    metrics: {
      model: computeMetrics(testW.y, pred, C, sum),
      baselines: { majority: metricsOf(baselines.majority), classRatio: metricsOf(baselines.classRatio), features: metricsOf(baselines.features) },
    },
  };
}

export type PerSubject = Record<string, { fold: number; model: Metrics; baselines: Record<BaselineName, Metrics> }>;

/** Metrics of each of the fold's test subjects on its own windows (subjects without windows are left out). */
export function perSubjectMetrics(fp: FoldPredictions, subjects: readonly string[], C: number): PerSubject {
  const out: PerSubject = {};
  for (const s of subjects) {
    const idx = indicesOf(fp.testW, [s]);
    if (!idx.length) continue;
    const pick = (a: ArrayLike<number>, k = 1): number[] => idx.flatMap((i) => Array.from({ length: k }, (_, c) => a[i * k + c]));
    const ys = pick(fp.testW.y);
    const metricsOf = (b: Predictions): Metrics => computeMetrics(ys, pick(b.pred), C, pick(b.probs, C));
    out[s] = {
      fold: fp.fold + 1,
      model: metricsOf(fp.model),
      baselines: { majority: metricsOf(fp.baselines.majority), classRatio: metricsOf(fp.baselines.classRatio), features: metricsOf(fp.baselines.features) },
    };
  }
  return out;
}

/** The rows of predictions.csv for one fold's test windows. */
export function predictionRows(fp: FoldPredictions, C: number): PredictionRow[] {
  const { testW, model, baselines } = fp;
  const row = (a: ArrayLike<number>, i: number): number[] => Array.from({ length: C }, (_, c) => a[i * C + c]);
  return Array.from({ length: testW.y.length }, (_, i) => ({
    fold: fp.fold + 1,
    subject: testW.subjects[i],
    windowEnd: testW.ends[i],
    trueClass: testW.y[i],
    pred: model.pred[i],
    probs: row(model.probs, i),
    baselinePreds: { majority: baselines.majority.pred[i], classRatio: baselines.classRatio.pred[i], features: baselines.features.pred[i] },
    featureProbs: row(baselines.features.probs, i),
  }));
}

/** Every fold's test windows pooled: the summaries' "pooled" figures. */
export class PooledPredictions {
  private readonly y: number[] = [];
  private readonly probs: number[] = [];
  private readonly baselines: Record<BaselineName, { pred: number[]; probs: number[] }> = {
    majority: { pred: [], probs: [] },
    classRatio: { pred: [], probs: [] },
    features: { pred: [], probs: [] },
  };
  private readonly folds: FoldPredictions['metrics'][] = [];

  constructor(private readonly C: number) {}

  add(fp: FoldPredictions): void {
    const C = this.C;
    this.folds.push(fp.metrics);
    for (let i = 0; i < fp.testW.y.length; i++) {
      this.y.push(fp.testW.y[i]);
      for (const b of ['majority', 'classRatio', 'features'] as const) this.baselines[b].pred.push(fp.baselines[b].pred[i]);
      for (let c = 0; c < C; c++) {
        this.probs.push(fp.model.probs[i * C + c]);
        for (const b of ['majority', 'classRatio', 'features'] as const) this.baselines[b].probs.push(fp.baselines[b].probs[i * C + c]);
      }
    }
  }

  /** Mean and sd over the folds added, and the metrics of all their windows pooled; the model's pooled prediction is the argmax of its pooled probabilities. */
  summary(): { model: MetricSummary; baselines: Record<BaselineName, MetricSummary> } {
    const { y, probs, C } = this;
    const of = (b: BaselineName): MetricSummary =>
      summarize(
        this.folds.map((f) => f.baselines[b]),
        computeMetrics(y, this.baselines[b].pred, C, this.baselines[b].probs)
      );
    return {
      model: summarize(
        this.folds.map((f) => f.model),
        computeMetrics(y, argmaxRows(probs, C), C, probs)
      ),
      // majority and class-ratio predict from each fold's training labels alone: pooled, they measure the folds' class shares, not chance
      baselines: { majority: pooledLabelOnly(of('majority')), classRatio: pooledLabelOnly(of('classRatio')), features: of('features') },
    };
  }
}
