import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, getRegistries, makeMultiRateWindows, makeWindows, multiOutputs, multiRateInputs, selectBackend, SpecValidationError, SpecValidator, windowSize, withOutputLabels } from '@fusion/core';
import { argmaxRows, classPrior, computeMetrics, csvCell, majorityBaseline } from '@fusion/runner';
import type { BundleOutput, GraphSpec, InputRate, WindowSet } from '@fusion/core';
import type { Metrics, RunMetrics } from '@fusion/runner';
import { renderEvaluationHtml } from '@fusion/report';
import { outputEvents, predictorWidth, StreamModel } from '@fusion/stream';
import type { PredictorOutput } from '@fusion/stream';
import { createDefaultContainer } from '../container';
import { isBundleFolder, loadBundleFolder } from './bundle-model';
import type { Terminal } from '../terminal';
import { UsageError } from '../usage-error';
import { loadRunPlugins } from './stream';

export interface PredictCommandOptions {
  out?: string;
  fold?: string;
  backend?: string;
  cacheDir?: string;
  json?: boolean;
}

/** A run's or a bundle's ensemble: what predict needs of either. */
interface Ensemble {
  /** The spec the windows are cut with (a run's spec.json; for a bundle, its fusion.json as a spec). */
  spec: Partial<GraphSpec>;
  classes: readonly string[];
  /** With several outputs (a multi-task run): each output's name and classes; `predict` then gives all of them per window. */
  outputs?: readonly PredictorOutput[];
  members: number;
  /** A bundle's inputs at their own rates (from fusion.json; a run's come from its spec). */
  rates?: InputRate[];
  /** A bundle's several outputs with their labels (from fusion.json; a run's come from its spec). */
  bundleOutputs?: BundleOutput[];
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

/** Windows of new recordings cut with a run's preprocessing, and the ensemble's probabilities for each. */
interface Predicted {
  model: Ensemble;
  windows: WindowSet;
  probs: Float32Array;
  dataset: string;
  warnings: string[];
}

/**
 * The dataset to predict: a dataset spec JSON (`{ "type": "e4", "path": ... }`, paths relative to its file) or a
 * folder of an E4 export (or of per-subject exports), checked against the adapter's schema.
 */
function datasetConfig(arg: string): { config: Record<string, unknown>; baseDir: string; file?: string } {
  const abs = path.resolve(arg);
  if (!fs.existsSync(abs)) throw new DatasetError(`dataset not found: ${abs}. Give a dataset spec JSON ({ "type": "e4", "path": "..." }) or a folder of an E4 export.`);
  if (fs.statSync(abs).isDirectory()) return { config: { type: 'e4', path: abs }, baseDir: process.cwd() };
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(abs, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new SpecValidationError(abs, [{ path: '', message: `not valid JSON: ${(e as Error).message}. Expected a dataset spec such as { "type": "e4", "path": "recordings" }.` }]);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config) || typeof (config as { type?: unknown }).type !== 'string')
    throw new SpecValidationError(abs, [{ path: '', message: `found ${JSON.stringify(config)?.slice(0, 80)}, expected a dataset spec object with a "type", e.g. { "type": "e4", "path": "recordings" }.` }]);
  return { config: config as Record<string, unknown>, baseDir: path.dirname(abs), file: abs };
}

/** A bundle folder (fusion.json, no spec.json) by its own metadata; otherwise a run folder by its spec.json. */
async function loadEnsemble(dir: string, fold: number | undefined): Promise<Ensemble> {
  if (isBundleFolder(dir)) {
    const { bundle, spec } = await loadBundleFolder(dir, fold);
    return { spec, classes: bundle.classes, outputs: bundle.outputs, rates: bundle.parts?.map((q) => ({ ...q })), bundleOutputs: bundle.manifest.outputs, members: bundle.models.length, predict: (x, n) => bundle.predict(x, n), dispose: () => bundle.dispose() };
  }
  const m = await StreamModel.load(dir, { fold, severalOutputs: true });
  return { spec: m.spec, classes: m.classes, outputs: m.outputs, members: m.members.length, predict: (x, n) => m.predict(x, n), dispose: () => m.dispose() };
}

async function predictRun(runArg: string, dataArg: string, o: PredictCommandOptions, term: Terminal, keepUnlabelled: boolean): Promise<Predicted> {
  const runDir = path.resolve(runArg);
  const container = createDefaultContainer();
  loadRunPlugins(runDir, container);
  const { config, baseDir, file } = datasetConfig(dataArg);
  const reg = getRegistries(container);
  await selectBackend(o.backend);
  let fold: number | undefined;
  if (o.fold !== undefined) {
    fold = Number(o.fold);
    if (!Number.isInteger(fold) || fold < 1) throw new UsageError(`--fold must be a whole number >= 1, received "${o.fold}".`);
  }
  // predict and evaluate serve every output of a multi-task run (evaluate: metrics per output).
  const model = await loadEnsemble(runDir, fold).catch((e: Error) => {
    const unknown = /Unknown layer: (\w+)/.exec(e.message ?? '');
    if (!unknown) throw e;
    throw new DatasetError(
      `${runDir}: its models use the layer class "${unknown[1]}", which no loaded module registered. The plugin that defines it must call ` +
        `tf.serialization.registerClass(${unknown[1]}) when it loads, and be listed in the run's spec.json "plugins" (found from the run's specBaseDir).`
    );
  });
  try {
    // The dataset config is checked as the run's spec with this dataset: errors name its JSON path under /dataset.
    const spec = new SpecValidator(reg).check({ ...model.spec, dataset: config }, file);
    const warnings: string[] = [];
    // a bundle's inputs at their own rates name every sensor it reads, event inputs (ibi) too
    const sensors = model.rates ? [...new Set(model.rates.map((q) => q.sensor))] : spec.sensors;
    const ds = await reg.datasets.get(spec.dataset.type).load(spec.dataset, { baseDir, cacheDir: path.resolve(o.cacheDir ?? '.fusion-cache'), sensors, warn: (m) => warnings.push(m) });
    const rates = model.rates ?? multiRateInputs(spec);
    const made = rates ? makeMultiRateWindows(ds.recordings, rates, spec.preprocessing, { keepUnlabelled }) : makeWindows(ds.recordings, spec.sensors, spec.preprocessing, { keepUnlabelled });
    // evaluate of several outputs: every window gets each output's class (kept where all are known), as the run did
    const { windows, report } = keepUnlabelled || !model.outputs ? made : withOutputLabels(made, ds.recordings, labelSpec(spec, model.bundleOutputs));
    warnings.push(...ds.warnings, ...report.warnings);
    if (!windows.y.length && !keepUnlabelled && report.dropped.unlabelled + report.dropped.straddling > 0)
      throw new DatasetError(`no labelled windows in ${ds.name} (dropped: ${JSON.stringify(report.dropped)}): evaluate needs recordings with labels for "${spec.preprocessing.label.target}" (an "e4" export folder has none). Use fusion-cli predict for unlabelled recordings.`);
    if (!windows.y.length) throw new DatasetError(`no windows of ${spec.preprocessing.window} s with ${spec.sensors.join(', ')} in ${ds.name} (dropped: ${JSON.stringify(report.dropped)}); the recordings must be at least one window long and have every sensor the run used.`);
    const n = windows.y.length;
    const per = windowSize(windows);
    const W = predictorWidth(model);
    const probs = new Float32Array(n * W);
    const batch = 256;
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      probs.set(await model.predict(windows.x.subarray(i * per, (i + k) * per), k), i * W);
    }
    warnings.forEach((w) => term.warn(w));
    return { model, windows, probs, dataset: ds.name, warnings };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The spec whose outputs label evaluate's windows: a run's own; for a bundle, its fusion.json outputs on the bundle's spec view. */
function labelSpec(spec: GraphSpec, bundleOutputs?: readonly BundleOutput[]): GraphSpec {
  if (!bundleOutputs) return spec;
  return { ...spec, nodes: {}, outputs: Object.fromEntries(bundleOutputs.map((o) => [o.name, { node: '', label: o.label, classes: o.classes, lossWeight: o.lossWeight }])) } as GraphSpec;
}

/** Output k's probabilities ([n * its classes]) out of rows of every output's side by side. */
function outputColumns(probs: Float32Array, n: number, width: number, at: number, C: number): Float32Array {
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) out.set(probs.subarray(i * width + at, i * width + at + C), i * C);
  return out;
}

/**
 * One row per window: the (first) output's `pred`, `p_<class>` and `true` columns; with several outputs, then per
 * further output `<output>_pred` and `<output>_p_<class>`.
 */
function writeCsv(file: string, p: Predicted): void {
  const classes = p.model.classes;
  const C = classes.length;
  const W = predictorWidth(p.model);
  const others = (p.model.outputs ?? []).slice(1);
  const rows = [`subject,window_end,pred,${classes.map((c) => `p_${c}`).join(',')},true${others.map((o) => `,${csvCell(`${o.name}_pred`)},${o.classes.map((c) => csvCell(`${o.name}_p_${c}`)).join(',')}`).join('')}`];
  for (let i = 0; i < p.windows.y.length; i++) {
    const row = p.probs.subarray(i * W, (i + 1) * W);
    const ps = Array.from({ length: C }, (_, c) => row[c].toFixed(6)).join(',');
    const pred = argmaxRows(row.subarray(0, C), C)[0];
    const more = p.model.outputs ? outputEvents(p.model.outputs, row) : {};
    const extra = others.map((o) => `,${csvCell(more[o.name].pred)},${o.classes.map((c) => more[o.name].probs[c].toFixed(6)).join(',')}`).join('');
    rows.push(`${csvCell(p.windows.subjects[i])},${p.windows.ends[i].toFixed(3)},${csvCell(classes[pred])},${ps},${p.windows.y[i] >= 0 ? csvCell(classes[p.windows.y[i]]) : ''}${extra}`);
  }
  writeAtomic(file, rows.join('\n') + '\n');
}

function writeAtomic(file: string, text: string): void {
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, abs);
}

/** Beside evaluate's predictions `<stem>.csv`: `<stem>.metrics.json` (the --json result) and the report page `<stem>.html`. */
async function writeEvaluation(csvFile: string, runArg: string, p: Predicted, probs: Float32Array, result: Record<string, unknown>, model: Metrics, majority: Metrics, majorityFrom: string): Promise<string[]> {
  const stem = path.resolve(csvFile).replace(/\.csv$/i, '');
  const C = p.model.classes.length;
  const pred = argmaxRows(probs, C);
  const perSubject: Record<string, Metrics> = {};
  for (const s of [...new Set(p.windows.subjects)]) {
    const idx = p.windows.subjects.flatMap((x, i) => (x === s ? [i] : []));
    perSubject[s] = computeMetrics(idx.map((i) => p.windows.y[i]), idx.map((i) => pred[i]), C, idx.flatMap((i) => Array.from(probs.subarray(i * C, (i + 1) * C))));
  }
  const rows = Array.from(p.windows.y, (y, i) => ({ fold: 0, subject: p.windows.subjects[i], windowEnd: p.windows.ends[i], trueClass: y, pred: pred[i], probs: Array.from(probs.subarray(i * C, (i + 1) * C)) }));
  const html = await renderEvaluationHtml({
    source: runArg,
    sourceKind: isBundleFolder(path.resolve(runArg)) ? 'bundle' : 'run',
    dataset: p.dataset,
    classes: p.model.classes,
    sensors: p.model.spec.sensors ?? [],
    windows: p.windows.y.length,
    subjects: Object.keys(perSubject).length,
    members: p.model.members,
    model,
    majority,
    majorityFrom,
    perSubject,
    rows,
    createdAt: new Date().toISOString(),
    warnings: p.warnings,
  });
  writeAtomic(`${stem}.metrics.json`, JSON.stringify({ ...result, perSubject }, null, 2) + '\n');
  writeAtomic(`${stem}.html`, html);
  return [`${stem}.metrics.json`, `${stem}.html`];
}

/** `fusion-cli predict <run> <dataset> --out <csv>`: class probabilities for every window of new recordings. */
export async function predictCommand(run: string, data: string, o: PredictCommandOptions, term: Terminal): Promise<void> {
  if (!o.out) throw new UsageError('give --out <file.csv> for the predictions.');
  const p = await predictRun(run, data, o, term, true);
  try {
    writeCsv(o.out, p);
    const subjects = new Set(p.windows.subjects).size;
    if (o.json) term.printJson({ out: path.resolve(o.out), dataset: p.dataset, windows: p.windows.y.length, subjects, members: p.model.members, warnings: p.warnings });
    else term.result(`${p.windows.y.length} windows of ${subjects} recording(s) from ${p.dataset}, ${p.model.members} model(s) averaged\nwritten: ${o.out}`);
  } finally {
    p.model.dispose();
  }
}

/** `fusion-cli evaluate <run> <dataset>`: metrics on new labelled recordings, next to the run's majority baseline. */
export async function evaluateCommand(run: string, data: string, o: PredictCommandOptions, term: Terminal): Promise<void> {
  const p = await predictRun(run, data, o, term, false);
  try {
    const n = p.windows.y.length;
    const W = predictorWidth(p.model);
    const metricsFile = path.join(path.resolve(run), 'metrics.json');
    const runMetrics = fs.existsSync(metricsFile) ? (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as RunMetrics) : undefined;
    const pick = (m: Metrics): Record<string, number | null> => ({ accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy, macroF1: m.macroF1, auroc: m.auroc });
    // Every output (one for most runs): its metrics next to the majority class of the data the run was trained on.
    const outs = p.model.outputs ?? [{ name: '', classes: p.model.classes }];
    let at = 0;
    const scored = outs.map((o, k) => {
      const C = o.classes.length;
      const probs = outs.length > 1 ? outputColumns(p.probs, n, W, at, C) : p.probs;
      at += C;
      const y = k === 0 ? p.windows.y : p.windows.ys![o.name];
      const model = computeMetrics(y, argmaxRows(probs, C), C, probs);
      const counts = k === 0 ? runMetrics?.dataset.classCounts : runMetrics?.outputs?.[o.name]?.classCounts;
      const trainLabels = counts ? o.classes.flatMap((c, j) => new Array<number>(counts[c] ?? 0).fill(j)) : Array.from(y);
      const maj = majorityBaseline(classPrior(trainLabels, C), y.length);
      const majority = computeMetrics(y, maj.pred, C, maj.probs);
      const classCounts = Object.fromEntries(o.classes.map((c, j) => [c, y.filter((v) => v === j).length]));
      return { o, probs, model, majority, counts, classCounts };
    });
    const [first] = scored;
    const { y } = p.windows;
    const model = first.model;
    const majority = first.majority;
    const counts = first.counts;
    const several = outs.length > 1 ? p.model.bundleOutputs ?? multiOutputs(p.model.spec as GraphSpec)!.map((t) => ({ name: t.name, label: t.label.target, lossWeight: t.lossWeight })) : undefined;
    const perOutput = several
      ? {
          outputs: Object.fromEntries(
            scored.map((x, k) => [x.o.name, { label: several[k].label, classes: [...x.o.classes], classCounts: x.classCounts, lossWeight: several[k].lossWeight, model: pick(x.model), majority: pick(x.majority), confusion: x.model.confusion }])
          ),
        }
      : {};
    const result = { dataset: p.dataset, windows: y.length, subjects: new Set(p.windows.subjects).size, model: pick(model), majority: pick(majority), confusion: model.confusion, ...perOutput };
    const majorityFrom = counts ? "the most frequent class of the run's training data (metrics.json)" : 'the most frequent class of these windows (a bundle records no training class counts)';
    const written: string[] = [];
    if (o.out) {
      writeCsv(o.out, p);
      written.push(path.resolve(o.out), ...(await writeEvaluation(o.out, run, p, first.probs, result, model, majority, majorityFrom)));
    }
    if (o.json) return term.printJson({ ...result, ...(written.length ? { written } : {}) });
    const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
    term.result(
      `${y.length} labelled windows of ${new Set(p.windows.subjects).size} subject(s) from ${p.dataset}\n` +
        `                 balanced acc.  macro-F1  AUROC\n` +
        `model            ${f(model.balancedAccuracy).padEnd(15)}${f(model.macroF1).padEnd(10)}${f(model.auroc)}\n` +
        `majority class   ${f(majority.balancedAccuracy).padEnd(15)}${f(majority.macroF1).padEnd(10)}${f(majority.auroc)}` +
        scored
          .slice(1)
          .map((x) => `\noutput ${x.o.name}\n  model          ${f(x.model.balancedAccuracy).padEnd(15)}${f(x.model.macroF1).padEnd(10)}${f(x.model.auroc)}\n  majority class ${f(x.majority.balancedAccuracy).padEnd(15)}${f(x.majority.macroF1).padEnd(10)}${f(x.majority.auroc)}`)
          .join('') +
        (written.length ? `\nwritten: ${written.map((w) => path.relative(process.cwd(), w)).join(', ')}` : '')
    );
  } finally {
    p.model.dispose();
  }
}
