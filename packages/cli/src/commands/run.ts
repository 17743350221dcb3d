import * as path from 'path';
import { getRegistries, loadSpecFile, resolveOutputDir, runExperiment, selectBackend } from '@fusion/core';
import { createDefaultContainer } from '../container';
import type { Terminal } from '../terminal';

export interface RunCommandOptions {
  out?: string;
  backend?: string;
  json?: boolean;
  cacheDir?: string;
}

export async function runCommand(specFile: string, opts: RunCommandOptions, term: Terminal, shouldStop: () => boolean): Promise<void> {
  const container = createDefaultContainer();
  const { spec, baseDir } = loadSpecFile(specFile, container);
  const backend = await selectBackend(opts.backend);
  const outDir = resolveOutputDir(spec, opts.out);
  const result = await runExperiment(spec, getRegistries(container), {
    baseDir,
    cacheDir: path.resolve(opts.cacheDir ?? '.fusion-cache'),
    outDir,
    backend: backend.name,
    reporter: term.onRunEvent,
    shouldStop,
  });
  if (opts.json) term.printJson({ outDir: result.outDir, backend: result.metrics.backend, seed: result.metrics.seed, summary: result.metrics.summary });
  else term.printSummary(result.metrics, path.relative(process.cwd(), result.outDir) || '.');
}
