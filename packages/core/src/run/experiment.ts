import * as fs from 'fs';
import * as path from 'path';
import { classPrior, classRatioBaseline, majorityBaseline } from '../eval/baselines';
import { featureBaseline } from '../eval/feature-baseline';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from '../eval/metrics';
import { baselineComparisons, PairedComparison } from '../eval/comparisons';
import { pooledLabelOnly } from '../eval/pooled';
import { checkCalibration, FoldPredictions, PersonalisedResult, personaliseRun } from '../eval/personalise';
import { buildModel, parameterCounts } from '../model/build-model';
import type { TrainResult } from '../model/train';
import type { WindowingReport } from '../preprocess/windows';
import { Rng } from '../random';
import type { Registries } from '../registry';
import type { GraphSpec } from '../spec';
import { InProcessExecutor, JobExecutor } from './executor';
import { describeValue, InterruptedError, isPermanentError, OutputError, SpecValidationError } from '../errors';
import { StagedOutput } from './output-dir';
import { ioErrorOf, withIoErrors } from '../io-errors';
import { Provenance, runProvenance } from './provenance';
import { indicesOf, JobResult, planJobs, prepareFold, prepareRun, RunContext, TrainJob } from './plan';
import { Reporter, silentReporter } from './reporter';
import { selectSweepPoints, SweepMetrics, sweepMetrics, SweepPointScores } from './sweep';

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

/** majority and classRatio: no features at all; features: logistic regression on per-window statistics. */
type BaselineName = 'majority' | 'classRatio' | 'features';

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
  /** comparisons: the model against the feature baseline, paired by test subject (absent in runs before it). */
  summary: { model: MetricSummary; baselines: Record<BaselineName, MetricSummary>; comparisons?: { featureBaseline: PairedComparison }; personalised?: PersonalisedResult };
  perSubject: Record<string, { fold: number; model: Metrics; baselines: Record<BaselineName, Metrics> }>;
  folds: FoldResult[];
  /** Sweeps only: the grid, every point's validation and test scores, and the point chosen per fold. */
  sweep?: SweepMetrics;
  /** The git commit, package versions and data files (sha256) the run used. */
  provenance?: Provenance;
}

export interface RunResult {
  outDir: string;
  metrics: RunMetrics;
}

/** What a partial run folder records so that `resume` can rebuild the same run. */
interface RunState {
  spec: GraphSpec;
  baseDir: string;
  startedAt: string;
}

export function readRunState(outDir: string): RunState {
  const file = path.join(StagedOutput.partialDir(outDir), 'run-state.json');
  if (!fs.existsSync(file)) throw new OutputError(`nothing to resume at ${outDir}: ${file} does not exist (no interrupted run there). Start the run again without --resume.`);
  const text = withIoErrors(`reading ${file}`, () => fs.readFileSync(file, 'utf8'));
  let state: Partial<RunState> | null;
  try {
    state = JSON.parse(text) as Partial<RunState> | null;
  } catch (e) {
    throw damagedState(file, `it is not valid JSON (${(e as Error).message})`);
  }
  if (state === null || typeof state !== 'object' || state.spec === null || typeof state.spec !== 'object' || typeof state.baseDir !== 'string')
    throw damagedState(file, `expected {"spec": {...}, "baseDir": "...", "startedAt": "..."}, found ${describeValue(state)}`);
  return state as RunState;
}

function damagedState(file: string, why: string): OutputError {
  return new OutputError(
    `cannot resume: ${file}, which records the interrupted run, is damaged: ${why}. ` +
      `The finished jobs beside it cannot be matched to a spec; start the run again without --resume (it replaces the partial folder).`
  );
}

/** A finished job's record in the partial folder, or why it cannot be used (truncated, garbage, another run's). */
function readJobRecord(out: StagedOutput, rel: string, planned: Map<string, TrainJob>): JobResult | string {
  let r: Partial<JobResult> | null;
  try {
    r = out.readJson<Partial<JobResult> | null>(rel);
  } catch (e) {
    if (e instanceof SyntaxError) return `not valid JSON (${e.message})`;
    throw ioErrorOf(e, `reading ${out.path(rel)}`) ?? e;
  }
  if (r === null || typeof r !== 'object' || typeof r.id !== 'string' || !planned.has(r.id)) return `not the record of a job of this run (id ${JSON.stringify(r?.id)})`;
  if (!Array.isArray(r.probs) || !Array.isArray(r.valProbs) || typeof r.modelDir !== 'string' || !Array.isArray(r.history)) return 'fields are missing (probs, valProbs, modelDir, history)';
  return r as JobResult;
}

/**
 * Loads, windows, folds by subject, trains every (fold, member) job, evaluates the ensembles against baselines on
 * the same folds and writes the run folder. Finished jobs are kept in a partial folder until the run completes, so
 * an interrupted run resumes where it stopped and ends with the same metrics.
 */
export async function runExperiment(spec: GraphSpec, reg: Registries, opts: RunOptions): Promise<RunResult> {
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  checkCalibration(spec.evaluation.calibration, spec.preprocessing.label.classes.length);
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
  const parametersOf = (pc: RunContext): RunMetrics['parameters'] => {
    const probe = buildModel(pc.spec, reg, { sensors: pc.spec.sensors, length: pc.windows.length, classes: C }, spec.seed);
    const counts = parameterCounts(probe);
    probe.dispose();
    return counts;
  };
  const pointParameters = points.map(parametersOf);
  const parameters = pointParameters[0];
  if (ctx.points) {
    for (const fold of ctx.folds) {
      if (!prepareFold(ctx.points[0], fold.index).valW.y.length)
        throw new SpecValidationError(undefined, [
          { path: '/sweep', message: `fold ${fold.index + 1} has no validation windows, and a sweep chooses its point on the validation subjects of each fold. Raise training.validationFraction or use more subjects.` },
        ]);
    }
  }

  await checkpoint();
  const out = new StagedOutput(opts.outDir, { resumable: true, resume: opts.resume, overwrite: opts.overwrite });
  const results = new Map<string, JobResult>();
  if (opts.resume) {
    const planned = new Map(jobs.map((j) => [j.id, j]));
    for (const f of fs.existsSync(out.path('jobs')) ? fs.readdirSync(out.path('jobs')) : []) {
      if (!f.endsWith('.json')) continue;
      const r = readJobRecord(out, path.join('jobs', f), planned);
      // A damaged record only costs its job: it is trained again (and its record rewritten).
      if (typeof r === 'string') report({ type: 'warning', message: `${out.path('jobs', f)} is damaged (${r}); that job is trained again.` });
      else if (fs.existsSync(path.join(out.staging, r.modelDir, 'model.json'))) results.set(r.id, r);
    }
  } else {
    out.writeJson('run-state.json', { spec, baseDir: opts.baseDir, startedAt: new Date(started).toISOString() } satisfies RunState);
  }
  const resumedJobs = results.size;
  const pending = jobs.filter((j) => !results.has(j.id));
  const foldsStarted = new Set<number>();
  const executor = opts.executor ? opts.executor(ctx, out.staging) : new InProcessExecutor(ctx, out.staging);
  try {
    await executor.run(pending, {
      onStart: (job) => {
        // The first job of a fold to start announces the fold (as it happens, also with worker processes).
        if (!foldsStarted.has(job.fold)) {
          foldsStarted.add(job.fold);
          const p = prepareFold(points[job.point ?? 0], job.fold);
          report({ type: 'fold-start', fold: job.fold, test: p.fold.test, validation: p.validation, trainWindows: p.fitW.y.length, testWindows: p.testW.y.length });
        }
        report({ type: 'member-start', fold: job.fold, member: job.member });
      },
      onEpoch: (job, log) => report({ type: 'epoch', fold: job.fold, member: job.member, log, epochs: (job.point === undefined ? spec : points[job.point].spec).training.epochs }),
      onDone: (r) => {
        out.writeJson(path.join('jobs', `${r.id}.json`), r);
        results.set(r.id, r);
        report({ type: 'member-end', fold: r.fold, member: r.member, bestEpoch: r.bestEpoch, epochsRun: r.epochsRun });
        const ofFold = jobs.filter((j) => j.fold === r.fold);
        if (ofFold.every((j) => results.has(j.id))) report({ type: 'fold-trained', fold: r.fold, models: ofFold.length });
      },
      shouldStop: opts.shouldStop,
    });
  } catch (e) {
    // A data, spec or training error would fail again on resume: drop the partial folder. An interruption (or an
    // unexpected failure, e.g. a lost worker) keeps the finished jobs for `--resume`.
    if (isPermanentError(e)) out.discard();
    throw e;
  } finally {
    await executor.close();
  }

  // Sweeps: per fold, the point whose ensemble scores best on the fold's validation subjects (never its test subjects).
  const membersOf = (job: (j: TrainJob) => boolean): JobResult[] => jobs.filter(job).map((j) => results.get(j.id)!);
  let selected = ctx.folds.map(() => 0);
  let sweep: SweepMetrics | undefined;
  if (ctx.points && ctx.sweepPoints) {
    const scores: SweepPointScores[] = ctx.points.map((pc, pi) => ({
      index: pi,
      folds: ctx.folds.map((fold) => {
        const p = prepareFold(pc, fold.index);
        const ms = membersOf((j) => j.fold === fold.index && j.point === pi);
        return {
          validation: computeMetricsOfEnsemble(p.valW.y, ms.map((m) => m.valProbs), C),
          test: computeMetricsOfEnsemble(p.testW.y, ms.map((m) => m.probs), C),
        };
      }),
    }));
    selected = selectSweepPoints(scores);
    sweep = sweepMetrics(ctx.sweepPoints, pointParameters, scores, selected);
    // The chosen point's models become the fold's models (models/fold-K/member-M), as in a run without a sweep.
    for (const fold of ctx.folds) {
      for (const m of membersOf((j) => j.fold === fold.index && j.point === selected[fold.index])) {
        fs.cpSync(out.path(m.modelDir), out.path('models', `fold-${fold.index + 1}`, `member-${m.member + 1}`), { recursive: true });
      }
    }
  }

  const foldResults: FoldResult[] = [];
  const foldPredictions: FoldPredictions[] = [];
  const perSubject: RunMetrics['perSubject'] = {};
  const pooled = {
    y: [] as number[],
    probs: [] as number[],
    majority: { pred: [] as number[], probs: [] as number[] },
    classRatio: { pred: [] as number[], probs: [] as number[] },
    features: { pred: [] as number[], probs: [] as number[] },
  };
  const csv: string[] = [
    `fold,subject,window_end,true,pred,${classes.map((c) => `p_${c}`).join(',')},majority_pred,class_ratio_pred,features_pred,${classes.map((c) => `features_p_${c}`).join(',')}`,
  ];
  for (const fold of ctx.folds) {
    const point = selected[fold.index];
    const p = prepareFold(points[point], fold.index);
    const { testW } = p;
    const members = membersOf((j) => j.fold === fold.index && (j.point ?? 0) === point);
    const sum = new Float32Array(testW.y.length * C);
    for (const m of members) for (let i = 0; i < sum.length; i++) sum[i] += m.probs[i] / members.length;
    const pred = argmaxRows(sum, C);
    const prior = classPrior(p.trainLabels, C);
    const maj = majorityBaseline(prior, testW.y.length);
    const ratio = classRatioBaseline(prior, testW.y.length, classRatioRng(spec.seed, fold.index));
    const feat = featureBaseline(p.baseW, testW, C, new Rng(`${spec.seed}/fold${fold.index}`).child('features').seed31());
    const baselines = {
      majority: computeMetrics(testW.y, maj.pred, C, maj.probs),
      classRatio: computeMetrics(testW.y, ratio.pred, C, ratio.probs),
      features: computeMetrics(testW.y, feat.pred, C, feat.probs),
    };
    const modelM = computeMetrics(testW.y, pred, C, sum);
    foldPredictions.push({ subjects: testW.subjects, ends: testW.ends, y: testW.y, probs: sum });
    for (const s of fold.test) {
      const idx = indicesOf(testW, [s]);
      if (!idx.length) continue;
      const pick = (a: ArrayLike<number>, k = 1): number[] => idx.flatMap((i) => Array.from({ length: k }, (_, c) => a[i * k + c]));
      const ys = pick(testW.y);
      perSubject[s] = {
        fold: fold.index + 1,
        model: computeMetrics(ys, pick(pred), C, pick(sum, C)),
        baselines: {
          majority: computeMetrics(ys, pick(maj.pred), C, pick(maj.probs, C)),
          classRatio: computeMetrics(ys, pick(ratio.pred), C, pick(ratio.probs, C)),
          features: computeMetrics(ys, pick(feat.pred), C, pick(feat.probs, C)),
        },
      };
    }
    for (let i = 0; i < testW.y.length; i++) {
      pooled.y.push(testW.y[i]);
      pooled.majority.pred.push(maj.pred[i]);
      pooled.classRatio.pred.push(ratio.pred[i]);
      pooled.features.pred.push(feat.pred[i]);
      for (let c = 0; c < C; c++) {
        pooled.probs.push(sum[i * C + c]);
        pooled.majority.probs.push(maj.probs[i * C + c]);
        pooled.classRatio.probs.push(ratio.probs[i * C + c]);
        pooled.features.probs.push(feat.probs[i * C + c]);
      }
      const fmt = (a: ArrayLike<number>): string => Array.from({ length: C }, (_, c) => a[i * C + c].toFixed(6)).join(',');
      csv.push(`${fold.index + 1},${csvCell(testW.subjects[i])},${testW.ends[i].toFixed(3)},${testW.y[i]},${pred[i]},${fmt(sum)},${maj.pred[i]},${ratio.pred[i]},${feat.pred[i]},${fmt(feat.probs)}`);
    }
    foldResults.push({
      index: fold.index + 1,
      test: fold.test,
      train: p.fit,
      validation: p.validation,
      trainWindows: p.fitW.y.length,
      validationWindows: p.valW.y.length,
      testWindows: testW.y.length,
      model: modelM,
      baselines,
      members: members.map((m) => ({ member: m.member + 1, seed: m.seed, history: m.history, bestEpoch: m.bestEpoch, epochsRun: m.epochsRun, stoppedEarly: m.stoppedEarly })),
      ...(ctx.points ? { sweepPoint: point } : {}),
    });
    report({ type: 'fold-end', fold: fold.index, balancedAccuracy: modelM.balancedAccuracy, majorityBalancedAccuracy: baselines.majority.balancedAccuracy });
  }
  const pooledOf = (b: BaselineName): Metrics => computeMetrics(pooled.y, pooled[b].pred, C, pooled[b].probs);
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
    summary: {
      model: summarize(
        foldResults.map((f) => f.model),
        computeMetrics(pooled.y, argmaxRows(pooled.probs, C), C, pooled.probs)
      ),
      baselines: {
        majority: pooledLabelOnly(summarize(foldResults.map((f) => f.baselines.majority), pooledOf('majority'))),
        classRatio: pooledLabelOnly(summarize(foldResults.map((f) => f.baselines.classRatio), pooledOf('classRatio'))),
        features: summarize(foldResults.map((f) => f.baselines.features), pooledOf('features')),
      },
      comparisons: baselineComparisons(perSubject, spec.seed),
      ...withPersonalised(personaliseRun(spec.evaluation.calibration, foldPredictions, C, spec.preprocessing.window)),
    },
    perSubject,
    folds: foldResults,
    ...(sweep ? { sweep } : {}),
    provenance: runProvenance(spec.dataset as { path?: unknown }, opts.baseDir),
  };
  await checkpoint();
  out.writeJson('spec.json', spec);
  // Training-fold statistics travel with the fold's models, so live inference normalises exactly as evaluation did.
  if (spec.preprocessing.normalize === 'train' && !sweep) {
    for (const fold of ctx.folds) {
      const st = prepareFold(ctx, fold.index).normalization;
      if (st) out.writeJson(path.join('models', `fold-${fold.index + 1}`, 'normalization.json'), { sensors: spec.sensors, stats: st });
    }
  }
  out.writeJson('metrics.json', metrics);
  out.writeText('predictions.csv', csv.join('\n') + '\n');
  for (const extra of opts.extraOutputs ?? []) {
    await checkpoint();
    await extra(metrics, out);
  }
  await checkpoint();
  out.commit();
  // Only now: a commit that fails (a busy or read-only target) leaves a partial folder that --resume can finish.
  fs.rmSync(path.join(opts.outDir, 'jobs'), { recursive: true, force: true });
  fs.rmSync(path.join(opts.outDir, 'run-state.json'), { force: true });
  report({ type: 'written', dir: opts.outDir });
  return { outDir: opts.outDir, metrics };
}

const withPersonalised = (p: PersonalisedResult | undefined): { personalised?: PersonalisedResult } => (p ? { personalised: p } : {});

/** The class-ratio baseline's draws: seeded per fold, independent of the model's jobs. */
function classRatioRng(seed: number, fold: number): Rng {
  return new Rng(`${seed}/fold${fold}`).child('class-ratio');
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Metrics of an ensemble (members' probabilities averaged) on windows with labels `y`. */
function computeMetricsOfEnsemble(y: Int32Array, memberProbs: number[][], C: number): Metrics {
  const sum = new Float32Array(y.length * C);
  for (const probs of memberProbs) for (let i = 0; i < sum.length; i++) sum[i] += probs[i] / memberProbs.length;
  return computeMetrics(y, argmaxRows(sum, C), C, sum);
}
