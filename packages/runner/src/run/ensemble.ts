import * as fs from 'fs';
import { SpecValidationError } from '@fusion/core';
import { argmaxRows, computeMetrics, Metrics } from '../eval/metrics';
import type { StagedOutput } from './output-dir';
import { JobResult, prepareFold, RunContext } from './plan';
import { selectSweepPoints, SweepMetrics, sweepMetrics, SweepPointScores } from './sweep-select';

/** Ensembling: a fold's models vote by averaging their class probabilities. */

/** The members' probabilities averaged (float32, summed in member order: the figures metrics.json reports). */
export function meanMemberProbs(memberProbs: readonly ArrayLike<number>[], length: number): Float32Array {
  const sum = new Float32Array(length);
  for (const probs of memberProbs) for (let i = 0; i < sum.length; i++) sum[i] += probs[i] / memberProbs.length;
  return sum;
}

/** Metrics of an ensemble (members' probabilities averaged) on windows with labels `y`. */
export function ensembleMetrics(y: Int32Array, memberProbs: readonly ArrayLike<number>[], C: number): Metrics {
  const sum = meanMemberProbs(memberProbs, y.length * C);
  return computeMetrics(y, argmaxRows(sum, C), C, sum);
}

/** The finished jobs of the models of one fold (and sweep point). */
export type MembersOf = (fold: number, point: number | undefined) => JobResult[];

/**
 * Sweeps: per fold, the point whose ensemble scores best on the fold's validation subjects (never its test subjects);
 * the chosen point's models are copied to models/fold-K/member-M, as in a run without a sweep.
 */
export function chooseSweepPoints(ctx: RunContext, membersOf: MembersOf, C: number, pointParameters: { total: number }[], out: StagedOutput): { selected: number[]; sweep: SweepMetrics } {
  const points = ctx.points!;
  const scores: SweepPointScores[] = points.map((pc, pi) => ({
    index: pi,
    folds: ctx.folds.map((fold) => {
      const p = prepareFold(pc, fold.index);
      const ms = membersOf(fold.index, pi);
      return {
        validation: ensembleMetrics(p.valW.y, ms.map((m) => m.valProbs), C),
        test: ensembleMetrics(p.testW.y, ms.map((m) => m.probs), C),
      };
    }),
  }));
  const selected = selectSweepPoints(scores);
  const sweep = sweepMetrics(ctx.sweepPoints!, pointParameters, scores, selected);
  for (const fold of ctx.folds) {
    for (const m of membersOf(fold.index, selected[fold.index])) {
      fs.cpSync(out.path(m.modelDir), out.path('models', `fold-${fold.index + 1}`, `member-${m.member + 1}`), { recursive: true });
    }
  }
  return { selected, sweep };
}

/** A sweep chooses on each fold's validation subjects: every fold must have validation windows. */
export function checkSweepFolds(ctx: RunContext): void {
  for (const fold of ctx.folds) {
    if (!prepareFold(ctx.points![0], fold.index).valW.y.length)
      throw new SpecValidationError(undefined, [
        { path: '/sweep', message: `fold ${fold.index + 1} has no validation windows, and a sweep chooses its point on the validation subjects of each fold. Raise training.validationFraction or use more subjects.` },
      ]);
  }
}
