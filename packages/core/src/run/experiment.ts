import type { Dataset, WindowSet } from '../data';
import { selectWindows } from '../data';
import { DatasetError, TrainingError } from '../errors';
import { classPrior, classRatioBaseline, majorityBaseline } from '../eval/baselines';
import { makeFolds, splitValidation } from '../eval/folds';
import { argmaxRows, computeMetrics, Metrics, MetricSummary, summarize } from '../eval/metrics';
import { buildModel, parameterCounts } from '../model/build-model';
import { saveModel } from '../model/model-io';
import { predictProbs, trainModel, TrainResult } from '../model/train';
import { applySensorStats, augmentWithNoise, sensorStats } from '../preprocess/augment';
import { makeWindows, WindowingReport } from '../preprocess/windows';
import { Rng } from '../random';
import type { Registries } from '../registry';
import type { GraphSpec } from '../spec';
import { Reporter, silentReporter } from './reporter';
import { StagedOutput } from './output-dir';

export interface RunOptions {
  /** Folder the spec's relative dataset paths are resolved against (the spec file's folder). */
  baseDir: string;
  /** Where generated data is cached. */
  cacheDir: string;
  /** Output folder (already resolved); defaults to the spec's `output.dir`. */
  outDir: string;
  backend: string;
  reporter?: Reporter;
  /** Checked between epochs: true stops the run (nothing is written). */
  shouldStop?: () => boolean;
  /** Extra files written into the staged run folder before it is moved into place (e.g. the HTML report). */
  extraOutputs?: ((metrics: RunMetrics, out: StagedOutput) => Promise<void> | void)[];
}

type BaselineName = 'majority' | 'classRatio';

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
  members: (Omit<TrainResult, 'history'> & { member: number; seed: number; history: TrainResult['history'] })[];
}

export interface RunMetrics {
  name: string;
  createdAt: string;
  durationSeconds: number;
  backend: string;
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
  summary: { model: MetricSummary; baselines: Record<BaselineName, MetricSummary> };
  perSubject: Record<string, { fold: number; model: Metrics; baselines: Record<BaselineName, Metrics> }>;
  folds: FoldResult[];
}

export interface RunResult {
  outDir: string;
  metrics: RunMetrics;
}

function indicesOf(w: WindowSet, subjects: readonly string[]): number[] {
  const set = new Set(subjects);
  const idx: number[] = [];
  w.subjects.forEach((s, i) => {
    if (set.has(s)) idx.push(i);
  });
  return idx;
}

/** Loads, windows, folds by subject, trains (ensembles), evaluates against baselines and writes the run folder. */
export async function runExperiment(spec: GraphSpec, reg: Registries, opts: RunOptions): Promise<RunResult> {
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    report({ type: 'warning', message });
  };
  report({ type: 'backend', name: opts.backend });

  const adapter = reg.datasets.get(spec.dataset.type);
  const dataset: Dataset = await adapter.load(spec.dataset, { baseDir: opts.baseDir, cacheDir: opts.cacheDir, sensors: spec.sensors, warn });
  dataset.warnings.forEach(warn);
  const { windows, report: wr } = makeWindows(dataset.recordings, spec.sensors, spec.preprocessing);
  wr.warnings.forEach(warn);
  const classes = spec.preprocessing.label.classes;
  if (windows.y.length === 0) {
    throw new DatasetError(
      `dataset "${dataset.name}" gave no labelled windows for sensors ${spec.sensors.join(', ')} and label "${spec.preprocessing.label.target}" ` +
        `(dropped: ${JSON.stringify(wr.dropped)}). Check the label target, the window length and that the recordings overlap their annotations.`
    );
  }
  const classCounts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  windows.y.forEach((c) => classCounts[classes[c]]++);
  const subjectsWithWindows = Object.entries(wr.kept).filter(([, n]) => n > 0).map(([s]) => s);
  report({ type: 'dataset', name: dataset.name, subjects: subjectsWithWindows.length, windows: windows.y.length, classCounts, dropped: wr.dropped });

  const folds = makeFolds(subjectsWithWindows, spec.evaluation, spec.seed);
  report({ type: 'folds', count: folds.length, members: spec.training.ensemble, epochs: spec.training.epochs });
  const shape = { sensors: spec.sensors, length: windows.length, classes: classes.length };
  const probe = buildModel(spec, reg, shape, spec.seed);
  const parameters = parameterCounts(probe);
  probe.dispose();

  const out = new StagedOutput(opts.outDir);
  try {
    const foldResults: FoldResult[] = [];
    const perSubject: RunMetrics['perSubject'] = {};
    const pooled = { y: [] as number[], probs: [] as number[], base: { majority: { pred: [] as number[], probs: [] as number[] }, classRatio: { pred: [] as number[], probs: [] as number[] } } };
    const csv: string[] = [`fold,subject,window_end,true,pred,${classes.map((c) => `p_${c}`).join(',')},majority_pred,class_ratio_pred`];
    for (const fold of folds) {
      const rng = new Rng(`${spec.seed}/fold${fold.index}`);
      const { fit, validation } = splitValidation(fold.train, spec.training.validationFraction, rng.child('validation'));
      let trainW = selectWindows(windows, indicesOf(windows, fit));
      let valW = selectWindows(windows, indicesOf(windows, validation));
      let testW = selectWindows(windows, indicesOf(windows, fold.test));
      if (trainW.y.length === 0) throw new TrainingError(`fold ${fold.index + 1}: the training subjects (${fit.join(', ')}) have no windows.`);
      if (spec.preprocessing.normalize === 'train') {
        const st = sensorStats(trainW);
        trainW = applySensorStats(trainW, st);
        valW = applySensorStats(valW, st);
        testW = applySensorStats(testW, st);
      }
      const fitW = augmentWithNoise(trainW, spec.preprocessing.augment.noise, spec.preprocessing.augment.copies, rng.child('augment'));
      report({ type: 'fold-start', fold: fold.index, test: fold.test, validation, trainWindows: fitW.y.length, testWindows: testW.y.length });

      const C = classes.length;
      const sum = new Float32Array(testW.y.length * C);
      const members: FoldResult['members'] = [];
      for (let m = 0; m < spec.training.ensemble; m++) {
        const seed = new Rng(`${spec.seed}/fold${fold.index}/member${m}`).seed31();
        report({ type: 'member-start', fold: fold.index, member: m });
        const model = buildModel(spec, reg, shape, seed);
        try {
          const res = await trainModel(model, fitW, valW.y.length ? valW : undefined, spec.training, {
            seed,
            label: `fold ${fold.index + 1} (test ${fold.test.join(', ')}), member ${m + 1}`,
            onEpoch: (log) => report({ type: 'epoch', fold: fold.index, member: m, log, epochs: spec.training.epochs }),
            shouldStop: opts.shouldStop,
          });
          if (opts.shouldStop?.()) throw new TrainingError('interrupted');
          const probs = await predictProbs(model, testW);
          for (let i = 0; i < sum.length; i++) sum[i] += probs[i] / spec.training.ensemble;
          await saveModel(model, out.path('models', `fold-${fold.index + 1}`, `member-${m + 1}`));
          members.push({ member: m + 1, seed, ...res });
          report({ type: 'member-end', fold: fold.index, member: m, bestEpoch: res.bestEpoch, epochsRun: res.epochsRun });
        } finally {
          model.dispose();
        }
      }
      const pred = argmaxRows(sum, C);
      const modelM = computeMetrics(testW.y, pred, C, sum);
      const trainLabels = Int32Array.from([...trainW.y, ...valW.y]);
      const prior = classPrior(trainLabels, C);
      const maj = majorityBaseline(prior, testW.y.length);
      const ratio = classRatioBaseline(prior, testW.y.length, rng.child('class-ratio'));
      const baselines = {
        majority: computeMetrics(testW.y, maj.pred, C, maj.probs),
        classRatio: computeMetrics(testW.y, ratio.pred, C, ratio.probs),
      };
      for (const s of fold.test) {
        const idx = indicesOf(testW, [s]);
        if (!idx.length) continue;
        const pick = <T extends ArrayLike<number>>(a: T, k = 1): number[] => idx.flatMap((i) => Array.from({ length: k }, (_, c) => a[i * k + c]));
        const ys = pick(testW.y);
        perSubject[s] = {
          fold: fold.index + 1,
          model: computeMetrics(ys, pick(pred), C, pick(sum, C)),
          baselines: { majority: computeMetrics(ys, pick(maj.pred), C, pick(maj.probs, C)), classRatio: computeMetrics(ys, pick(ratio.pred), C, pick(ratio.probs, C)) },
        };
      }
      for (let i = 0; i < testW.y.length; i++) {
        pooled.y.push(testW.y[i]);
        for (let c = 0; c < C; c++) pooled.probs.push(sum[i * C + c]);
        pooled.base.majority.pred.push(maj.pred[i]);
        pooled.base.classRatio.pred.push(ratio.pred[i]);
        for (let c = 0; c < C; c++) {
          pooled.base.majority.probs.push(maj.probs[i * C + c]);
          pooled.base.classRatio.probs.push(ratio.probs[i * C + c]);
        }
        const probsText = Array.from(sum.subarray(i * C, (i + 1) * C), (p) => p.toFixed(6)).join(',');
        csv.push(`${fold.index + 1},${csvCell(testW.subjects[i])},${testW.ends[i].toFixed(3)},${testW.y[i]},${pred[i]},${probsText},${maj.pred[i]},${ratio.pred[i]}`);
      }
      foldResults.push({
        index: fold.index + 1,
        test: fold.test,
        train: fit,
        validation,
        trainWindows: fitW.y.length,
        validationWindows: valW.y.length,
        testWindows: testW.y.length,
        model: modelM,
        baselines,
        members,
      });
      report({ type: 'fold-end', fold: fold.index, balancedAccuracy: modelM.balancedAccuracy, majorityBalancedAccuracy: baselines.majority.balancedAccuracy });
    }
    const C = classes.length;
    const pooledModel = computeMetrics(pooled.y, argmaxRows(pooled.probs, C), C, pooled.probs);
    const pooledBase = (b: BaselineName): Metrics => computeMetrics(pooled.y, pooled.base[b].pred, C, pooled.base[b].probs);
    const metrics: RunMetrics = {
      name: spec.name,
      createdAt: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      backend: opts.backend,
      seed: spec.seed,
      parameters,
      dataset: {
        name: dataset.name,
        subjects: subjectsWithWindows.length,
        windows: windows.y.length,
        windowLength: windows.length,
        sensors: spec.sensors,
        classes,
        classCounts,
        windowsPerSubject: wr.kept,
        dropped: wr.dropped,
        warnings,
      },
      evaluation: spec.evaluation,
      summary: {
        model: summarize(foldResults.map((f) => f.model), pooledModel),
        baselines: {
          majority: summarize(foldResults.map((f) => f.baselines.majority), pooledBase('majority')),
          classRatio: summarize(foldResults.map((f) => f.baselines.classRatio), pooledBase('classRatio')),
        },
      },
      perSubject,
      folds: foldResults,
    };
    out.writeJson('spec.json', spec);
    out.writeJson('metrics.json', metrics);
    out.writeText('predictions.csv', csv.join('\n') + '\n');
    for (const extra of opts.extraOutputs ?? []) await extra(metrics, out);
    out.commit();
    report({ type: 'written', dir: opts.outDir });
    return { outDir: opts.outDir, metrics };
  } catch (e) {
    out.discard();
    throw e;
  }
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
