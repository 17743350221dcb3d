import Table from 'cli-table3';
import { getRegistries, loadSpecFile, selectBackend } from '@fusion/core';
import { benchmarkSpec } from '@fusion/runner';
import { createDefaultContainer } from '../container';
import { memoryLimit } from '../options';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface BenchCommandOptions {
  length?: string;
  batch?: string;
  steps?: string;
  backend?: string;
  json?: boolean;
  maxMemory?: number;
}

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number >= 1, received "${v}"`);
  return n;
}

export async function benchCommand(specFile: string, opts: BenchCommandOptions, term: Terminal): Promise<void> {
  const container = createDefaultContainer();
  const { spec } = loadSpecFile(specFile, container, { maxMemoryMB: memoryLimit(opts.maxMemory) });
  const backend = await selectBackend(opts.backend);
  const r = await benchmarkSpec(spec, getRegistries(container), {
    backend: backend.name,
    threads: backend.threads,
    length: positiveInt(opts.length, 'length'),
    batch: positiveInt(opts.batch, 'batch'),
    trainSteps: positiveInt(opts.steps, 'steps'),
    onPhase: (line) => term.info(`bench: ${line}`),
  });
  if (opts.json) return term.printJson(r);
  const t = new Table({ style: { head: [], border: [] } });
  const f = (v: number, d = 1): string => v.toFixed(d);
  t.push(
    { backend: r.threads ? `${r.backend} (${r.threads} thread${r.threads > 1 ? 's' : ''})` : r.backend },
    r.inputs
      ? { 'inputs (samples per window at their rates), batch': `${r.inputs.map((q) => `${q.name} ${q.length} @ ${q.rate} Hz`).join(', ')}; ${r.batch}` }
      : { 'input (length x sensors), batch': `${r.length} x ${r.sensors}, ${r.batch}` },
    ...(r.outputs ? [{ outputs: r.outputs.join(', ') }] : []),
    { parameters: r.parameters.toLocaleString('en') },
    { 'training windows/s': `${f(r.trainWindowsPerSec)} (${f(r.trainMsPerStep)} ms/step, ${r.kernelsPerTrainStep} kernels)` },
    { 'single-window inference ms (p50 / p95)': `${f(r.inferMsPerWindow, 2)} / ${f(r.inferMsPerWindowP95, 2)} (${r.kernelsPerInference} kernels)` },
    { 'batched inference windows/s': f(r.inferWindowsPerSecBatched) },
    { 'peak RSS / tensor memory MiB': `${f(r.peakRssMiB)} / ${f(r.peakTensorMiB, 2)}` },
    { 'tensors leaked per epoch / per 1000 inferences': `${r.leakedTensors.perTrainingEpoch} / ${r.leakedTensors.per1000Inferences}` }
  );
  term.result(`${r.spec}\n${t.toString()}`);
}
