import * as path from 'path';
import { getRegistries, loadSpecObject, selectBackend, WEIGHT_PRECISIONS, WeightPrecision } from '@fusion/core';
import { exportRun, readRunFolder } from '@fusion/runner';
import { createDefaultContainer } from '../container';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface ExportCommandOptions {
  out: string;
  fold?: string;
  allFolds?: boolean;
  quantize?: string;
  cacheDir?: string;
  backend?: string;
  json?: boolean;
}

/** Versions of the packages whose code made the models (layer classes) and the bundle. */
function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['@fusion/cli', '@fusion/sensors', '@fusion/encoders', '@fusion/fusion', '@fusion/heads']) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    out[name] = (require(`${name}/package.json`) as { version: string }).version;
  }
  return out;
}

/** `fusion-cli export <run> --out <dir>`: a self-describing bundle of a run's models for browsers and other tfjs runtimes. */
export async function exportCommand(runDir: string, opts: ExportCommandOptions, term: Terminal): Promise<void> {
  let fold: number | undefined;
  if (opts.fold !== undefined) {
    if (opts.allFolds) throw new UsageError('give either --fold K or --all-folds, not both.');
    fold = Number(opts.fold);
    if (!Number.isInteger(fold) || fold < 1) throw new UsageError(`--fold must be a fold number from 1 (as in models/fold-K), received "${opts.fold}".`);
  }
  const precision = (opts.quantize ?? 'float32') as WeightPrecision;
  if (!WEIGHT_PRECISIONS.includes(precision)) throw new UsageError(`--quantize must be one of ${WEIGHT_PRECISIONS.join(', ')}, received "${opts.quantize}".`);
  const run = readRunFolder(path.resolve(runDir));
  const container = createDefaultContainer();
  const loaded = loadSpecObject(run.rawSpec, container, run.specBaseDir ?? path.dirname(run.dir), run.specFile);
  const backend = await selectBackend(opts.backend);
  term.info(`backend: ${backend.name}`);
  const outDir = path.resolve(opts.out);
  const manifest = await exportRun(run, loaded.spec, getRegistries(container), {
    outDir,
    fold,
    precision,
    cacheDir: path.resolve(opts.cacheDir ?? '.fusion-cache'),
    baseDir: loaded.baseDir,
    versions: packageVersions(),
    warn: (m) => term.warn(m),
  });
  const { pooled } = manifest.evaluation;
  if (opts.json) {
    term.printJson({ outDir, precision, members: manifest.members, cost: manifest.cost, evaluation: manifest.evaluation });
    return;
  }
  const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));
  const { cost } = manifest;
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  const byDtype = Object.entries(cost.weightBytesByDtype).map(([d, b]) => `${d} ${b.toLocaleString('en')} B`).join(', ');
  term.result(
    [
      `exported ${manifest.members.length} model${manifest.members.length > 1 ? 's' : ''} (${precision}, ${kb(cost.weightBytes)} of weights) to ${path.relative(process.cwd(), outDir) || '.'}`,
      `weights written: ${byDtype}`,
      ...(manifest.inputs ? [`inputs at their own rates: ${manifest.inputs.map((i) => `${i.name} ${i.windowLength} samples @ ${i.rate} Hz`).join(', ')}`] : []),
      ...(manifest.outputs ? [`outputs: ${manifest.outputs.map((o) => `${o.name} (${o.classes.join('/')})`).join(', ')}`] : []),
      `per window (all ${manifest.members.length} member${manifest.members.length > 1 ? 's' : ''}): ${cost.macsPerWindow.toLocaleString('en')} multiply-accumulates, peak activation memory ${kb(cost.peakActivationBytes)}`,
      ...Object.entries(pooled.outputs ?? { '': pooled }).map(
        ([name, e]) =>
          `test windows of the run (${e.windows})${name ? `, output ${name}` : ''}: balanced accuracy ${f(e.before.balancedAccuracy)} -> ${f(e.after.balancedAccuracy)}, ` +
          `AUROC ${f(e.before.auroc)} -> ${f(e.after.auroc)}, largest probability change ${e.maxAbsProbDiff.toExponential(2)}`
      ),
    ].join('\n')
  );
}
