import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { OutputError, RunFolderError } from '@fusion/core';
import { argmaxRows, computeMetrics } from '../eval/metrics';
import { loadModel } from '@fusion/core';
import { predictProbs } from '../model/train';
import { multiOutputs } from '@fusion/core';
import { predictOutputProbs } from '../model/output-loss';
import type { Registries } from '@fusion/core';
import { prepareFold, prepareRun, RunContext } from '../run/plan';
import { StagedOutput } from '../run/output-dir';
import type { GraphSpec } from '@fusion/core';
import type { BundleEvaluation, BundleManifest, BundleScores } from '@fusion/core';
import { quantizeWeights, WeightPrecision } from '@fusion/core';
import { describeBundle, describeMember } from './describe';

/** The parts of a finished run folder an export reads. */
export interface RunFolder {
  dir: string;
  specFile: string;
  /** spec.json as the run wrote it (validate it before use). */
  rawSpec: unknown;
  specSha256: string;
  /** metrics.json: the folder the spec's relative paths were resolved against, and sweep points per fold. */
  specBaseDir?: string;
  sweepPoints?: Record<number, number>;
  /** 1-based fold numbers with models, ascending. */
  folds: number[];
}

/** Reads a run folder, refusing anything that is not a finished `fusion-cli run` output. */
export function readRunFolder(dir: string): RunFolder {
  const fix = 'Give the output folder of a finished `fusion-cli run` (it holds spec.json, metrics.json and models/fold-K/member-M/model.json).';
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RunFolderError(`${dir}: no such folder. ${fix}`);
  const specFile = path.join(dir, 'spec.json');
  const metricsFile = path.join(dir, 'metrics.json');
  if (fs.existsSync(path.join(dir, 'run-state.json'))) throw new RunFolderError(`${dir} is an unfinished run (run-state.json is there); finish it with \`fusion-cli run --resume\` first. ${fix}`);
  for (const f of [specFile, metricsFile]) if (!fs.existsSync(f)) throw new RunFolderError(`${f} not found: ${dir} is not a finished run. ${fix}`);
  const specText = fs.readFileSync(specFile);
  const parse = (file: string, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new RunFolderError(`${file}: not valid JSON (${(e as Error).message}). ${fix}`);
    }
  };
  const rawSpec = parse(specFile, specText.toString('utf8'));
  const metrics = parse(metricsFile, fs.readFileSync(metricsFile, 'utf8')) as { specBaseDir?: string; folds?: { index: number; sweepPoint?: number }[] };
  const modelsDir = path.join(dir, 'models');
  const folds = (fs.existsSync(modelsDir) ? fs.readdirSync(modelsDir) : [])
    .filter((d) => /^fold-\d+$/.test(d) && memberDirs(path.join(modelsDir, d)).length > 0)
    .map((d) => Number(d.slice(5)))
    .sort((a, b) => a - b);
  if (!folds.length) throw new RunFolderError(`${modelsDir}: no models/fold-K/member-M/model.json. ${fix}`);
  const sweepPoints: Record<number, number> = {};
  for (const f of metrics.folds ?? []) if (f.sweepPoint !== undefined) sweepPoints[f.index] = f.sweepPoint;
  return {
    dir,
    specFile,
    rawSpec,
    specSha256: createHash('sha256').update(specText).digest('hex'),
    specBaseDir: metrics.specBaseDir,
    sweepPoints: Object.keys(sweepPoints).length ? sweepPoints : undefined,
    folds,
  };
}

function memberDirs(foldDir: string): string[] {
  return fs
    .readdirSync(foldDir)
    .filter((d) => /^member-\d+$/.test(d) && fs.existsSync(path.join(foldDir, d, 'model.json')))
    .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
}

export interface ExportOptions {
  outDir: string;
  /** 1-based fold to export; default every fold's members. */
  fold?: number;
  precision: WeightPrecision;
  /** Where generated datasets are cached (the run's test windows are rebuilt to measure the export). */
  cacheDir: string;
  /** Folder the spec's relative paths refer to (default: the run's recorded specBaseDir). */
  baseDir?: string;
  /** Extra package versions to record (e.g. the CLI's). */
  versions?: Record<string, string>;
  warn?: (message: string) => void;
}

/** An export bundle in `outDir` is recognised by its fusion.json; anything else non-empty is never overwritten. */
function checkOutDir(outDir: string, runDir: string): void {
  if (path.resolve(outDir) === path.resolve(runDir)) throw new OutputError(`--out ${outDir} is the run folder itself; give a new folder for the bundle.`);
  if (!fs.existsSync(outDir)) return;
  if (!fs.statSync(outDir).isDirectory()) throw new OutputError(`--out ${outDir} is a file; give a folder for the bundle.`);
  const entries = fs.readdirSync(outDir);
  if (entries.length && !entries.includes('fusion.json'))
    throw new OutputError(`--out ${outDir} is not empty and holds no fusion.json (it is not an earlier export), so it is left untouched. Give a new or empty folder.`);
}

/**
 * Exports a finished run's models as a self-describing bundle: per member a tfjs layers model (model.json +
 * weights.bin, quantised in the manifest's own format when asked) and fusion.json. The run's test windows are
 * rebuilt as the run made them, and the exported models are scored on their fold's test subjects next to the run's
 * models, so fusion.json records what the precision costs. Written to a staging folder and moved into place at the
 * end: a failed export leaves nothing behind and an earlier export intact.
 */
export async function exportRun(run: RunFolder, spec: GraphSpec, reg: Registries, opts: ExportOptions): Promise<BundleManifest> {
  checkOutDir(opts.outDir, run.dir);
  if (opts.fold !== undefined && !run.folds.includes(opts.fold))
    throw new RunFolderError(`fold ${opts.fold}: no models/fold-${opts.fold} in ${run.dir}; folds with models: ${run.folds.join(', ')}.`);
  const folds = opts.fold !== undefined ? [opts.fold] : run.folds;
  const ctx = await prepareRun(spec, reg, { baseDir: opts.baseDir ?? run.specBaseDir ?? path.dirname(run.dir), cacheDir: opts.cacheDir, warn: opts.warn });
  const contextOfFold = (k: number): RunContext => {
    const point = run.sweepPoints?.[k];
    return point !== undefined && ctx.points ? ctx.points[point] : ctx;
  };
  const pre = (c: RunContext): string => JSON.stringify({ s: c.spec.sensors, p: { ...c.spec.preprocessing, augment: undefined } });
  const first = contextOfFold(folds[0]);
  const mixed = folds.filter((k) => pre(contextOfFold(k)) !== pre(first));
  if (mixed.length)
    throw new RunFolderError(`the sweep chose points with other preprocessing for folds ${mixed.join(', ')} than for fold ${folds[0]}; one bundle has one input layout. Export one fold at a time (--fold K).`);
  const p = first.spec.preprocessing;
  // Every output (one for most runs): its name, classes and where its labels are (`y` for the first, else `ys`).
  const several = multiOutputs(first.spec);
  const outs = several ? several.map((o) => ({ name: o.name, C: o.label.classes.length })) : [{ name: '', C: p.label.classes.length }];
  const labelsOf = (w: { y: Int32Array; ys?: Record<string, Int32Array> }, k: number): Int32Array => (several ? w.ys![outs[k].name] : w.y);

  // checkOutDir let through only an empty folder or an earlier export; commit still replaces only a folder with fusion's marker
  const out = new StagedOutput(opts.outDir, { overwrite: true });
  // The staging folder is private (mkdtemp); a bundle is meant to be served, so it is readable like any export.
  fs.chmodSync(out.staging, 0o755);
  try {
    const members: BundleManifest['members'] = [];
    const evalFolds: BundleManifest['evaluation']['folds'] = [];
    const pooled = outs.map(() => ({ y: [] as number[], before: [] as number[], after: [] as number[] }));
    const trainStats: Record<string, { mean: number; sd: number }[]> = {};
    for (const k of folds) {
      const fc = contextOfFold(k);
      const prepared = prepareFold(fc, k - 1);
      if (prepared.normalization) trainStats[String(k)] = prepared.normalization;
      const foldDir = path.join(run.dir, 'models', `fold-${k}`);
      const nTest = prepared.testW.y.length;
      const sums = outs.map((o) => ({ before: new Float32Array(nTest * o.C), after: new Float32Array(nTest * o.C) }));
      const names = memberDirs(foldDir);
      for (const m of names) {
        const rel = path.join(`fold-${k}`, m);
        writeMember(path.join(foldDir, m), out.path(rel), opts.precision);
        for (const [which, dir] of [['before', path.join(foldDir, m)], ['after', out.path(rel)]] as const) {
          const model = await loadModel(dir);
          try {
            if (which === 'after') members.push(await describeMember(out.path(rel), `fold-${k}/${m}/model.json`, k, Number(m.slice(7)), model));
            const probs = several ? await predictOutputProbs(model, prepared.testW) : [await predictProbs(model, prepared.testW)];
            probs.forEach((pr, o) => {
              for (let i = 0; i < pr.length; i++) sums[o][which][i] += pr[i] / names.length;
            });
          } finally {
            model.dispose();
          }
        }
      }
      const scored = outs.map((o, j) => scoreBoth(labelsOf(prepared.testW, j), sums[j].before, sums[j].after, o.C));
      evalFolds.push({ fold: k, testSubjects: prepared.fold.test, ...withOutputs(scored, outs.map((o) => o.name)) });
      outs.forEach((_, j) => {
        for (const v of labelsOf(prepared.testW, j)) pooled[j].y.push(v);
        for (let i = 0; i < sums[j].before.length; i++) {
          pooled[j].before.push(sums[j].before[i]);
          pooled[j].after.push(sums[j].after[i]);
        }
      });
    }
    const manifest = describeBundle({
      spec: first.spec,
      specSha256: run.specSha256,
      precision: opts.precision,
      members,
      trainStats: p.normalize === 'train' ? trainStats : undefined,
      versions: opts.versions,
      evaluation: { folds: evalFolds, pooled: withOutputs(pooled.map((q, j) => scoreBoth(q.y, Float32Array.from(q.before), Float32Array.from(q.after), outs[j].C)), outs.map((o) => o.name)) },
    });
    out.writeJson('fusion.json', manifest);
    out.commit();
    return manifest;
  } catch (e) {
    out.discard();
    throw e;
  }
}

/** Copies one member's model into `dest`, re-encoding its weights at `precision`. */
function writeMember(src: string, dest: string, precision: WeightPrecision): void {
  const file = path.join(src, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] } & Record<string, unknown>;
  const all = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(src, p)))));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  let q: ReturnType<typeof quantizeWeights>;
  try {
    q = quantizeWeights(specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), precision);
  } catch (e) {
    throw new RunFolderError(`${file}: ${(e as Error).message}`);
  }
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(dest, 'weights.bin'), Buffer.from(q.data));
  fs.writeFileSync(path.join(dest, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: q.specs }] }));
}

function scores(y: ArrayLike<number>, probs: Float32Array, C: number): BundleScores {
  const m = computeMetrics(y, argmaxRows(probs, C), C, probs);
  return { balancedAccuracy: m.balancedAccuracy, auroc: m.auroc };
}

function scoreBoth(y: ArrayLike<number>, before: Float32Array, after: Float32Array, C: number): BundleEvaluation {
  let diff = 0;
  for (let i = 0; i < before.length; i++) diff = Math.max(diff, Math.abs(before[i] - after[i]));
  return { windows: y.length, before: scores(y, before, C), after: scores(y, after, C), maxAbsProbDiff: diff };
}

/** One output's evaluation as it is; several: the first's fields, and every output's under `outputs` by name. */
function withOutputs(perOutput: BundleEvaluation[], names: readonly string[]): BundleEvaluation {
  return perOutput.length === 1 ? perOutput[0] : { ...perOutput[0], outputs: Object.fromEntries(perOutput.map((e, j) => [names[j], e])) };
}
