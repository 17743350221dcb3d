import { Rng } from '@fusion/core';
import { argmaxRows, baselineComparisons, computeMetrics, Metrics, MetricSummary, pooledLabelOnly, RunMetrics, summarize } from '@fusion/runner';

export interface FixtureOptions {
  classes?: string[];
  subjects?: string[];
  folds?: number;
  members?: number;
  epochs?: number;
  /** Adds a `features` baseline to the summary, per fold and per subject. */
  features?: boolean;
  /** How strongly the fake model's probabilities follow the truth (0: chance). */
  skill?: number;
  seed?: string;
  name?: string;
}

export interface Fixture {
  metrics: RunMetrics;
  csv: string;
  spec: Record<string, unknown>;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A small but internally consistent run: fake predictions per window, and metrics computed from them with core's
 * own computeMetrics/summarize (as runExperiment does), plus a matching predictions.csv.
 */
export function makeFixture(o: FixtureOptions = {}): Fixture {
  const classes = o.classes ?? ['low', 'high'];
  const subjects = o.subjects ?? ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
  const nFolds = o.folds ?? 3;
  const members = o.members ?? 2;
  const epochs = o.epochs ?? 6;
  const skill = o.skill ?? 1.2;
  const rng = new Rng(o.seed ?? 'report-fixture');
  const C = classes.length;
  const baselineNames = ['majority', 'classRatio', ...(o.features ? ['features'] : [])];
  const csv = [`fold,subject,window_end,true,pred,${classes.map((c) => `p_${c}`).join(',')},majority_pred,class_ratio_pred${o.features ? ',features_pred' : ''}`];
  const folds: RunMetrics['folds'] = [];
  const perSubject: RunMetrics['perSubject'] = {};
  const pooled = { y: [] as number[], probs: [] as number[], base: Object.fromEntries(baselineNames.map((b) => [b, { pred: [] as number[], probs: [] as number[] }])) };
  const classCounts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  const windowsPerSubject: Record<string, number> = {};

  const foldSubjects = Array.from({ length: nFolds }, (_, f) => subjects.filter((_, i) => i % nFolds === f));
  for (let f = 0; f < nFolds; f++) {
    const test = foldSubjects[f];
    const ys: number[] = [];
    const probs: number[] = [];
    const subj: string[] = [];
    const base: Record<string, { pred: number[]; probs: number[] }> = Object.fromEntries(baselineNames.map((b) => [b, { pred: [], probs: [] }]));
    for (const s of test) {
      const n = 20 + rng.int(15);
      windowsPerSubject[s] = n;
      for (let i = 0; i < n; i++) {
        const y = rng.next() < 0.6 ? 0 : rng.int(C); // imbalanced toward class 0
        classCounts[classes[y]]++;
        const logits = classes.map((_, c) => (c === y ? skill : 0) + rng.normal());
        const z = logits.map(Math.exp);
        const sum = z.reduce((a, b) => a + b, 0);
        ys.push(y);
        subj.push(s);
        z.forEach((v) => probs.push(v / sum));
        base.majority.pred.push(0);
        classes.forEach((_, c) => base.majority.probs.push(c === 0 ? 1 : 0));
        base.classRatio.pred.push(rng.int(C));
        classes.forEach(() => base.classRatio.probs.push(1 / C));
        if (o.features) {
          const fl = classes.map((_, c) => (c === y ? skill / 2 : 0) + rng.normal());
          const fz = fl.map(Math.exp);
          const fs = fz.reduce((a, b) => a + b, 0);
          fz.forEach((v) => base.features.probs.push(v / fs));
          base.features.pred.push(fl.indexOf(Math.max(...fl)));
        }
      }
    }
    const pred = argmaxRows(probs, C);
    const model = computeMetrics(ys, pred, C, probs);
    const baselines = Object.fromEntries(baselineNames.map((b) => [b, computeMetrics(ys, base[b].pred, C, base[b].probs)])) as unknown as Record<'majority' | 'classRatio' | 'features', Metrics>;
    for (const s of test) {
      const idx = subj.map((x, i) => (x === s ? i : -1)).filter((i) => i >= 0);
      const pick = (a: ArrayLike<number>, k = 1): number[] => idx.flatMap((i) => Array.from({ length: k }, (_, c) => a[i * k + c]));
      perSubject[s] = {
        fold: f + 1,
        model: computeMetrics(pick(ys), pick(pred), C, pick(probs, C)),
        baselines: Object.fromEntries(baselineNames.map((b) => [b, computeMetrics(pick(ys), pick(base[b].pred), C, pick(base[b].probs, C))])) as unknown as Record<'majority' | 'classRatio' | 'features', Metrics>,
      };
    }
    ys.forEach((y, i) => {
      pooled.y.push(y);
      for (let c = 0; c < C; c++) pooled.probs.push(probs[i * C + c]);
      for (const b of baselineNames) {
        pooled.base[b].pred.push(base[b].pred[i]);
        for (let c = 0; c < C; c++) pooled.base[b].probs.push(base[b].probs[i * C + c]);
      }
      const p = classes.map((_, c) => probs[i * C + c].toFixed(6)).join(',');
      csv.push(`${f + 1},${csvCell(subj[i])},${(1000 + i * 5).toFixed(3)},${y},${pred[i]},${p},${base.majority.pred[i]},${base.classRatio.pred[i]}${o.features ? `,${base.features.pred[i]}` : ''}`);
    });
    const train = subjects.filter((s) => !test.includes(s));
    folds.push({
      index: f + 1,
      test,
      train: train.slice(1),
      validation: train.slice(0, 1),
      trainWindows: 200,
      validationWindows: 40,
      testWindows: ys.length,
      model,
      baselines,
      members: Array.from({ length: members }, (_, m) => {
        const history = Array.from({ length: epochs }, (_, e) => ({
          epoch: e + 1,
          loss: 0.7 * Math.exp(-e / 4) + 0.2 + 0.02 * rng.normal(),
          valLoss: 0.75 * Math.exp(-e / 6) + 0.3 + 0.03 * rng.normal(),
          valBalancedAccuracy: Math.min(1, 0.5 + 0.05 * e + 0.03 * rng.normal()),
          learningRate: 0.01,
        }));
        return { member: m + 1, seed: 1000 + m, history, bestEpoch: epochs - 1, epochsRun: epochs, stoppedEarly: false };
      }),
    });
  }
  const pooledModel = computeMetrics(pooled.y, argmaxRows(pooled.probs, C), C, pooled.probs);
  const summaryBaselines = Object.fromEntries(
    baselineNames.map((b) => {
      const s = summarize(folds.map((f) => (f.baselines as Record<string, Metrics>)[b]), computeMetrics(pooled.y, pooled.base[b].pred, C, pooled.base[b].probs));
      return [b, b === 'features' ? s : pooledLabelOnly(s)]; // as runExperiment
    })
  ) as unknown as Record<'majority' | 'classRatio' | 'features', MetricSummary>;
  const spec = {
    name: o.name ?? 'fixture-run',
    seed: 7,
    dataset: { type: 'fake', subjects: subjects.length },
    sensors: ['hr', 'eda', 'bvp'],
    preprocessing: { sampleRate: 4, window: 5, hop: 5 },
    training: { epochs, ensemble: members },
    evaluation: { type: 'group-kfold', k: nFolds },
  };
  const metrics: RunMetrics = {
    name: spec.name,
    createdAt: '2025-03-01T12:34:56.000Z',
    durationSeconds: 754.2,
    backend: 'tensorflow',
    seed: 7,
    parameters: { blocks: { encoder: 1200, fusion: 0, head: 800, classifier: 34 }, total: 2034 },
    dataset: {
      name: 'fake dataset',
      subjects: subjects.length,
      windows: pooled.y.length,
      windowLength: 20,
      sensors: ['hr', 'eda', 'bvp'],
      classes,
      classCounts,
      windowsPerSubject,
      dropped: { missing: 0, unlabelled: 3, straddling: 1 },
      warnings: ['one warning <b>with markup</b>'],
    },
    evaluation: { type: 'group-kfold', k: nFolds } as RunMetrics['evaluation'],
    execution: { executor: 'in-process', jobs: nFolds * members, resumedJobs: 1 },
    summary: { model: summarize(folds.map((f) => f.model), pooledModel), baselines: summaryBaselines, ...(o.features ? { comparisons: baselineComparisons(perSubject, 7) } : {}) },
    perSubject,
    folds,
  };
  return { metrics, csv: csv.join('\n') + '\n', spec };
}
