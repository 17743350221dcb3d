import * as path from 'path';
import { buildModel, InterruptedError, parameterCounts } from '@fusion/core';
import type { GraphSpec, Registries, WindowingReport } from '@fusion/core';
import type { Metrics, MetricSummary } from '../eval/metrics';
import { baselineComparisons, PairedComparison } from '../eval/comparisons';
import { writeRunModelManifests } from '../export/describe';
import type { TrainResult } from '../model/train';
import { checkSweepFolds, chooseSweepPoints, MembersOf } from './ensemble';
import { BaselineName, FoldPredictions, perSubjectMetrics, PooledPredictions, predictFold, predictionRows } from './evaluation';
import { InProcessExecutor, JobExecutor } from './executor';
import { StagedOutput } from './output-dir';
import { planJobs, prepareFold, prepareRun, RunContext } from './plan';
import { formatPredictionsCsv, PredictionRow } from './predictions-csv';
import { Provenance, runProvenance } from './provenance';
import { Reporter, silentReporter } from './reporter';
import { finishedJobs, removeResumeRecords } from './resume';
import type { SweepMetrics } from './sweep-select';
import { evaluateOutputs, OutputMetrics } from './output-metrics';
import { trainPendingJobs } from './train-jobs';
import { personalise, PersonalisedSummary } from './calibration';

export interface RunOptions {
  /** Folder the spec's relative dataset paths are resolved against (the spec file's folder). */
  baseDir: string;
  /** Where generated data is cached. */
  cacheDir: string;
  /** Output folder (already resolved). */
  outDir: string;
  backend: string;
  /** Threads of the wasm backend in each training process (recorded in metrics.json). */
  backendThreads?: number;
  reporter?: Reporter;
  /** Checked between epochs and jobs: true stops the run; finished jobs stay in the partial folder for `resume`. */
  shouldStop?: () => boolean;
  /** Extra files written into the staged run folder before it is moved into place (e.g. the HTML report). */
  extraOutputs?: ((metrics: RunMetrics, out: StagedOutput) => Promise<void> | void)[];
  /** Continue an interrupted run from `.<out>.partial` (finished jobs are not redone). */
  resume?: boolean;
  /** Replace a finished fusion run at `outDir` (marker checked) and discard an interrupted run's partial folder. */
  overwrite?: boolean;
  /** Where jobs run; default: one after another in this process. Given the run context and staging folder. */
  executor?: (ctx: RunContext, stagingDir: string) => JobExecutor;
}

export interface FoldResult {
  index: number;
  test: string[];
  train: string[];
  validation: string[];
  trainWindows: number;
  validationWindows: number;
  testWindows: number;
  model: Metrics;
  baselines: Record<BaselineName, Metrics>;
  members: (TrainResult & { member: number; seed: number })[];
  /** Sweeps only: the 0-based grid point chosen for this fold on its validation subjects (its models are in models/). */
  sweepPoint?: number;
}

export interface RunMetrics {
  name: string;
  createdAt: string;
  durationSeconds: number;
  backend: string;
  /** wasm: threads of its thread pool in each training process. */
  backendThreads?: number;
  seed: number;
  parameters: { blocks: Record<string, number>; total: number };
  dataset: {
    name: string;
    subjects: number;
    windows: number;
    windowLength: number;
    sensors: string[];
    classes: string[];
    classCounts: Record<string, number>;
    windowsPerSubject: Record<string, number>;
    dropped: WindowingReport['dropped'];
    warnings: string[];
  };
  evaluation: GraphSpec['evaluation'];
  execution: { executor: string; jobs: number; resumedJobs: number };
  /** The folder the spec's relative paths (dataset, plugins) were resolved against. */
  specBaseDir?: string;
  /** comparisons: the model against the feature baseline, paired by test subject (absent in runs before it); `personalised` (evaluation.calibration only): one entry per calibration minutes N, apart from the subject-independent figures. */
  summary: { model: MetricSummary; baselines: Record<BaselineName, MetricSummary>; comparisons?: { featureBaseline: PairedComparison }; personalised?: PersonalisedSummary[] };
  perSubject: Record<string, { fold: number; model: Metrics; baselines: Record<BaselineName, Metrics> }>;
  folds: FoldResult[];
  /** Sweeps only: the grid, every point's validation and test scores, and the point chosen per fold. */
  sweep?: SweepMetrics;
  /** The git commit, package versions and data files (sha256) the run used. */
  provenance?: Provenance;
  /** Several outputs only: each output's summary and folds (the first's repeat the top-level fields). */
  outputs?: Record<string, OutputMetrics>;
}

export interface RunResult {
  outDir: string;
  metrics: RunMetrics;
}

/**
 * Loads, windows, folds by subject, trains every (fold, member) job, evaluates the ensembles against baselines on
 * the same folds and writes the run folder. Finished jobs are kept in a partial folder until the run completes, so
 * an interrupted run resumes where it stopped and ends with the same metrics.
 */
export async function runExperiment(spec: GraphSpec, reg: Registries, opts: RunOptions): Promise<RunResult> {
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  report({ type: 'backend', name: opts.backend, ...(opts.backendThreads ? { threads: opts.backendThreads } : {}) });
  // A signal is seen only when the event loop runs: between phases, yield to it and stop if asked (nothing is lost).
  const checkpoint = async (): Promise<void> => {
    if (!opts.shouldStop) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (opts.shouldStop()) throw new InterruptedError();
  };
  await checkpoint();
  const ctx = await prepareRun(spec, reg, { baseDir: opts.baseDir, cacheDir: opts.cacheDir, warn: (message) => report({ type: 'warning', message }), shouldStop: opts.shouldStop });
  await checkpoint();
  const { windows, windowing: wr } = ctx;
  const classes = spec.preprocessing.label.classes;
  const C = classes.length;
  const classCounts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  windows.y.forEach((c) => classCounts[classes[c]]++);
  report({ type: 'dataset', name: ctx.dataset.name, subjects: ctx.subjects.length, windows: windows.y.length, classCounts, dropped: wr.dropped });
  await checkpoint();
  const points = ctx.points ?? [ctx];
  const jobs = planJobs(ctx);
  // With a sweep, "members" counts every model trained per fold (points x ensemble), so progress totals stay right.
  report({ type: 'folds', count: ctx.folds.length, members: jobs.length / ctx.folds.length, epochs: Math.max(...points.map((pc) => pc.spec.training.epochs)) });
  const pointParameters = points.map((pc) => modelParameters(pc, reg, C, spec.seed));
  const parameters = pointParameters[0];
  if (ctx.points) checkSweepFolds(ctx);

  await checkpoint();
  const out = new StagedOutput(opts.outDir, { resumable: true, resume: opts.resume, overwrite: opts.overwrite });
  const results = finishedJobs(out, jobs, opts.resume, { spec, baseDir: opts.baseDir, startedAt: new Date(started).toISOString() }, report);
  const resumedJobs = results.size;
  const executor = opts.executor ? opts.executor(ctx, out.staging) : new InProcessExecutor(ctx, out.staging);
  await trainPendingJobs(executor, { spec, points, jobs, results, out }, report, opts.shouldStop);

  const membersOf: MembersOf = (fold, point) => jobs.filter((j) => j.fold === fold && (j.point ?? 0) === (point ?? 0)).map((j) => results.get(j.id)!);
  const chosen = ctx.points && ctx.sweepPoints ? chooseSweepPoints(ctx, membersOf, C, pointParameters, out) : undefined;
  const selected = chosen?.selected ?? ctx.folds.map(() => 0);
  const sweep = chosen?.sweep;

  const { foldResults, perSubject, summary: pooledSummary, rows, foldPredictions } = evaluateFolds(spec.seed, ctx, points, selected, membersOf, C, report);
  const summary: RunMetrics['summary'] = {
    ...pooledSummary,
    comparisons: baselineComparisons(perSubject, spec.seed),
    ...(spec.evaluation.calibration ? { personalised: personalise(spec, foldPredictions, C) } : {}),
  };
  const metrics: RunMetrics = {
    name: spec.name,
    createdAt: new Date().toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    backend: opts.backend,
    ...(opts.backendThreads ? { backendThreads: opts.backendThreads } : {}),
    seed: spec.seed,
    parameters,
    dataset: {
      name: ctx.dataset.name,
      subjects: ctx.subjects.length,
      windows: windows.y.length,
      windowLength: windows.length,
      sensors: spec.sensors,
      classes,
      classCounts,
      windowsPerSubject: wr.kept,
      dropped: wr.dropped,
      warnings: ctx.warnings,
    },
    evaluation: spec.evaluation,
    execution: { executor: executor.description, jobs: jobs.length, resumedJobs },
    specBaseDir: opts.baseDir,
    summary,
    perSubject,
    folds: foldResults,
    ...(sweep ? { sweep } : {}),
    provenance: runProvenance(spec.dataset as { path?: unknown }, opts.baseDir),
  };
  const multi = evaluateOutputs(ctx, selected, membersOf, { summary: metrics.summary, folds: foldResults });
  if (multi) metrics.outputs = multi.outputs;
  await checkpoint();
  out.writeJson('spec.json', spec);
  // Training-fold statistics travel with the fold's models, so live inference normalises exactly as evaluation did.
  if (spec.preprocessing.normalize === 'train' && !sweep) {
    for (const fold of ctx.folds) {
      const st = prepareFold(ctx, fold.index).normalization;
      if (st) out.writeJson(path.join('models', `fold-${fold.index + 1}`, 'normalization.json'), { sensors: spec.sensors, stats: st });
    }
  }
  // Each fold's models say what they expect (fusion.json, the export's writer): a run folder is self-describing.
  const pointOf = (f: FoldResult): RunContext => points[selected[f.index - 1]];
  const stats = (f: FoldResult): { mean: number; sd: number }[] | undefined => (pointOf(f).spec.preprocessing.normalize === 'train' ? prepareFold(pointOf(f), f.index - 1).normalization : undefined);
  await writeRunModelManifests(out, foldResults.map((f) => ({ fold: f.index, spec: pointOf(f).spec, normalization: stats(f), testSubjects: f.test, testWindows: f.testWindows, model: f.model, ...(multi ? { outputs: Object.fromEntries(Object.entries(multi.outputs).map(([name, o]) => [name, o.folds.find((x) => x.index === f.index)!.model])) } : {}) })));
  out.writeJson('metrics.json', metrics);
  out.writeText('predictions.csv', formatPredictionsCsv(classes, rows));
  for (const [file, text] of Object.entries(multi?.files ?? {})) out.writeText(file, text);
  for (const extra of opts.extraOutputs ?? []) {
    await checkpoint();
    await extra(metrics, out);
  }
  await checkpoint();
  out.commit();
  // Only now: a commit that fails (a busy or read-only target) leaves a partial folder that --resume can finish.
  removeResumeRecords(opts.outDir);
  report({ type: 'written', dir: opts.outDir });
  return { outDir: opts.outDir, metrics };
}

/** The parameter counts of a run's (or sweep point's) model, from a probe built and disposed. */
function modelParameters(pc: RunContext, reg: Registries, classes: number, seed: number): RunMetrics['parameters'] {
  const probe = buildModel(pc.spec, reg, { sensors: pc.spec.sensors, length: pc.windows.length, classes, parts: pc.windows.parts }, seed);
  const counts = parameterCounts(probe);
  probe.dispose();
  return counts;
}

/**
 * The test predictions of every fold's ensemble (of the fold's chosen sweep point) and baselines: the fold results,
 * per-subject metrics, the summary over folds and pooled, and the rows of predictions.csv.
 */
function evaluateFolds(
  seed: number,
  ctx: RunContext,
  points: RunContext[],
  selected: number[],
  membersOf: MembersOf,
  C: number,
  report: Reporter
): { foldResults: FoldResult[]; perSubject: RunMetrics['perSubject']; summary: RunMetrics['summary']; rows: PredictionRow[]; foldPredictions: FoldPredictions[] } {
  const foldPredictions: FoldPredictions[] = [];
  const foldResults: FoldResult[] = [];
  const perSubject: RunMetrics['perSubject'] = {};
  const pooled = new PooledPredictions(C);
  const rows: PredictionRow[] = [];
  for (const fold of ctx.folds) {
    const point = selected[fold.index];
    const p = prepareFold(points[point], fold.index);
    const members = membersOf(fold.index, point);
    const fp = predictFold(seed, p, members, C);
    Object.assign(perSubject, perSubjectMetrics(fp, fold.test, C));
    pooled.add(fp);
    foldPredictions.push(fp);
    rows.push(...predictionRows(fp, C));
    foldResults.push({
      index: fold.index + 1,
      test: fold.test,
      train: p.fit,
      validation: p.validation,
      trainWindows: p.fitW.y.length,
      validationWindows: p.valW.y.length,
      testWindows: p.testW.y.length,
      model: fp.metrics.model,
      baselines: fp.metrics.baselines,
      members: members.map((m) => ({ member: m.member + 1, seed: m.seed, history: m.history, bestEpoch: m.bestEpoch, epochsRun: m.epochsRun, stoppedEarly: m.stoppedEarly })),
      ...(ctx.points ? { sweepPoint: point } : {}),
    });
    report({ type: 'fold-end', fold: fold.index, balancedAccuracy: fp.metrics.model.balancedAccuracy, majorityBalancedAccuracy: fp.metrics.baselines.majority.balancedAccuracy });
  }
  return { foldResults, perSubject, summary: pooled.summary(), rows, foldPredictions };
}
