import * as path from 'path';
import type { Dataset, GraphSpec, Registries, WindowSet } from '@fusion/core';
import { augmentWithNoise, buildModel, callPluginAsync, checkLoadedDataset, DatasetError, InterruptedError, makeMultiRateWindows, makeWindows, multiRateInputs, normalizeFold, pointSpecs, preprocessingKey, Rng, saveModel, selectWindows, SpecIssue, SpecValidationError, SpecValidator, sweepOf, SweepPoint, TrainingError, trainOutputs, WindowingReport, withIoErrorsAsync, withOutputLabels } from '@fusion/core';
import { Fold, makeFolds, splitValidation } from '../eval/folds';
import { EpochLog, predictProbs, trainModel, TrainResult } from '../model/train';
import { jobProbs } from '../model/output-loss';

/**
 * The unit of work of a run: one ensemble member of one fold. A job's result depends only on the spec and the job
 * (its seed is derived from the spec seed, fold and member), so jobs may run in any order, in this process, in
 * worker processes or on other machines, and the run's metrics stay the same.
 */
export interface TrainJob {
  id: string;
  /** 0-based fold index. */
  fold: number;
  /** 0-based ensemble member. */
  member: number;
  seed: number;
  /** 0-based sweep point (sweeps only; the id then starts with `point-P-`). */
  point?: number;
}

export interface JobResult extends TrainResult {
  id: string;
  fold: number;
  member: number;
  seed: number;
  /** Test-window class probabilities, flat [testWindows * classes], in the fold's test-window order. */
  probs: number[];
  /** Validation-window class probabilities, flat, in the fold's validation-window order (empty without validation subjects). */
  valProbs: number[];
  /** Where the trained model was written, relative to the run folder. */
  modelDir: string;
  /** Several outputs only: the other outputs' test and validation probabilities, by output name (same layout). */
  outputs?: Record<string, { probs: number[]; valProbs: number[] }>;
}

/** Everything a run derives from its spec before training: data, windows and folds (deterministic). */
export interface RunContext {
  spec: GraphSpec;
  reg: Registries;
  dataset: Dataset;
  windows: WindowSet;
  windowing: WindowingReport;
  subjects: string[];
  folds: Fold[];
  warnings: string[];
  prepared: Map<number, PreparedFold>;
  /**
   * Sweeps only: one context per grid point (its own spec with the point's values; points with the same preprocessing
   * share their data, windows and prepared folds). Every point has the same folds.
   */
  points?: RunContext[];
  sweepPoints?: SweepPoint[];
}

export interface PreparedFold {
  fold: Fold;
  fit: string[];
  validation: string[];
  fitW: WindowSet;
  valW: WindowSet;
  testW: WindowSet;
  /** Windows of all training subjects (fit and validation, not augmented): what the baselines may learn from. */
  baseW: WindowSet;
  /** Labels of all training subjects. */
  trainLabels: Int32Array;
  /** With `normalize: "train"`: the per-sensor statistics of the fold's training windows (kept with its models). */
  normalization?: { mean: number; sd: number }[];
}

export function indicesOf(w: WindowSet, subjects: readonly string[]): number[] {
  const set = new Set(subjects);
  const idx: number[] = [];
  w.subjects.forEach((s, i) => {
    if (set.has(s)) idx.push(i);
  });
  return idx;
}

export async function prepareRun(spec: GraphSpec, reg: Registries, opts: { baseDir: string; cacheDir: string; warn?: (m: string) => void; shouldStop?: () => boolean }): Promise<RunContext> {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.includes(m)) return;
    warnings.push(m);
    opts.warn?.(m);
  };
  const adapter = reg.datasets.get(spec.dataset.type);
  const origin = reg.datasets.originOf(spec.dataset.type);
  const loaded = await callPluginAsync(origin, `dataset adapter "${spec.dataset.type}" load()`, () =>
    adapter.load(spec.dataset, { baseDir: opts.baseDir, cacheDir: opts.cacheDir, sensors: spec.sensors, warn, shouldStop: opts.shouldStop })
  );
  const dataset = checkLoadedDataset(origin, spec.dataset.type, loaded);
  if (opts.shouldStop?.()) throw new InterruptedError();
  dataset.warnings.forEach(warn);
  if (!sweepOf(spec)) return windowRun(spec, reg, dataset, warn, warnings);
  // A sweep: one context per point; points that window the data alike share it (and its prepared folds).
  const validator = new SpecValidator(reg);
  const points = pointSpecs(spec, (raw) => validator.check(raw));
  const byKey = new Map<string, RunContext>();
  const contexts = points.map(({ spec: ps }) => {
    const key = preprocessingKey(ps);
    const shared = byKey.get(key) ?? windowRun(ps, reg, dataset, warn, warnings);
    byKey.set(key, shared);
    return { ...shared, spec: ps };
  });
  const first = contexts[0];
  const foldsOf = (c: RunContext): string => JSON.stringify(c.folds.map((f) => f.test));
  const issues: SpecIssue[] = [];
  contexts.forEach((c, i) => {
    if (foldsOf(c) !== foldsOf(first))
      issues.push({ path: '/sweep', message: `point ${i} (${JSON.stringify(points[i].point.values)}) keeps other subjects than point 0 (windowing drops different subjects), so its folds differ; sweep points must share their folds. Sweep other preprocessing values.` });
  });
  if (issues.length) throw new SpecValidationError(undefined, issues);
  return { ...first, spec, points: contexts, sweepPoints: points.map((p) => p.point) };
}

/** Windows the loaded dataset as `spec` says and folds its subjects. */
function windowRun(spec: GraphSpec, reg: Registries, dataset: Dataset, warn: (m: string) => void, warnings: string[]): RunContext {
  const rates = multiRateInputs(spec);
  const { windows, report } = withOutputLabels(rates ? makeMultiRateWindows(dataset.recordings, rates, spec.preprocessing) : makeWindows(dataset.recordings, spec.sensors, spec.preprocessing), dataset.recordings, spec);
  report.warnings.forEach(warn);
  if (windows.y.length === 0) {
    throw new DatasetError(
      `dataset "${dataset.name}" gave no labelled windows for sensors ${spec.sensors.join(', ')} and label "${spec.preprocessing.label.target}" ` +
        `(dropped: ${JSON.stringify(report.dropped)}). Check the label target, the window length and that the recordings overlap their annotations.`
    );
  }
  const subjects = Object.entries(report.kept)
    .filter(([, n]) => n > 0)
    .map(([s]) => s);
  const folds = makeFolds(subjects, spec.evaluation, spec.seed);
  return { spec, reg, dataset, windows, windowing: report, subjects, folds, warnings, prepared: new Map() };
}

/** The fold's training, validation and test windows (validation subjects held out of the training subjects). */
export function prepareFold(ctx: RunContext, index: number): PreparedFold {
  const cached = ctx.prepared.get(index);
  if (cached) return cached;
  const { spec, windows } = ctx;
  const fold = ctx.folds[index];
  const rng = new Rng(`${spec.seed}/fold${index}`);
  const { fit, validation } = splitValidation(fold.train, spec.training.validationFraction, rng.child('validation'));
  const { stats: normalization, sets } = normalizeFold(spec.preprocessing.normalize, {
    train: selectWindows(windows, indicesOf(windows, fit)),
    validation: selectWindows(windows, indicesOf(windows, validation)),
    test: selectWindows(windows, indicesOf(windows, fold.test)),
    base: selectWindows(windows, indicesOf(windows, [...fit, ...validation])),
  });
  const { train: trainW, validation: valW, test: testW, base: baseW } = sets;
  if (trainW.y.length === 0) throw new TrainingError(`fold ${index + 1}: the training subjects (${fit.join(', ')}) have no windows.`);
  const fitW = augmentWithNoise(trainW, spec.preprocessing.augment.noise, spec.preprocessing.augment.copies, rng.child('augment'));
  const prepared = { fold, fit, validation, fitW, valW, testW, baseW, trainLabels: baseW.y, normalization };
  ctx.prepared.set(index, prepared);
  return prepared;
}

export function planJobs(ctx: RunContext): TrainJob[] {
  const jobs: TrainJob[] = [];
  if (ctx.points) {
    ctx.points.forEach((pc, p) => {
      for (const fold of pc.folds) {
        for (let m = 0; m < pc.spec.training.ensemble; m++) {
          // The same seed as the fold's member in any other point: points differ only in their values.
          jobs.push({ id: `point-${p + 1}-fold-${fold.index + 1}-member-${m + 1}`, fold: fold.index, member: m, point: p, seed: new Rng(`${ctx.spec.seed}/fold${fold.index}/member${m}`).seed31() });
        }
      }
    });
    return jobs;
  }
  for (const fold of ctx.folds) {
    for (let m = 0; m < ctx.spec.training.ensemble; m++) {
      jobs.push({ id: `fold-${fold.index + 1}-member-${m + 1}`, fold: fold.index, member: m, seed: new Rng(`${ctx.spec.seed}/fold${fold.index}/member${m}`).seed31() });
    }
  }
  return jobs;
}

export function jobModelDir(job: TrainJob): string {
  if (job.point !== undefined) return path.join('sweep', `point-${job.point + 1}`, `fold-${job.fold + 1}`, `member-${job.member + 1}`);
  return path.join('models', `fold-${job.fold + 1}`, `member-${job.member + 1}`);
}

export interface JobHooks {
  onEpoch?: (log: EpochLog) => void;
  shouldStop?: () => boolean;
}

/** Trains one job's model, predicts its fold's test windows and saves the model under `runDir`. */
export async function runTrainJob(root: RunContext, job: TrainJob, runDir: string, hooks: JobHooks = {}): Promise<JobResult> {
  const ctx = contextOf(root, job);
  const { spec, reg } = ctx;
  const p = prepareFold(ctx, job.fold);
  const shape = { sensors: spec.sensors, length: ctx.windows.length, classes: spec.preprocessing.label.classes.length, parts: ctx.windows.parts };
  const model = buildModel(spec, reg, shape, job.seed);
  const outputs = trainOutputs(spec);
  try {
    const res = await trainModel(model, p.fitW, p.valW.y.length ? p.valW : undefined, spec.training, {
      seed: job.seed,
      label: `fold ${job.fold + 1} (test ${p.fold.test.join(', ')}), member ${job.member + 1}`,
      onEpoch: hooks.onEpoch,
      shouldStop: hooks.shouldStop,
      outputs,
    });
    if (hooks.shouldStop?.()) throw new InterruptedError();
    const probs = await jobProbs(model, p.testW, p.valW, outputs, (m, w) => predictProbs(m, w));
    const modelDir = jobModelDir(job);
    const dir = path.join(runDir, modelDir);
    await withIoErrorsAsync(`saving the model of ${job.id} into ${dir}`, () => saveModel(model, dir));
    return { ...job, ...res, ...probs, modelDir };
  } finally {
    model.dispose();
  }
}

/** The context a job runs in: its sweep point's, or the run's. */
export function contextOf(root: RunContext, job: { point?: number }): RunContext {
  if (job.point === undefined) return root;
  const c = root.points?.[job.point];
  if (!c) throw new TrainingError(`job for sweep point ${job.point} but the run has ${root.points?.length ?? 0} points (was the spec changed?).`);
  return c;
}
