import Table from 'cli-table3';
import { buildModel, describeMemory, estimateMemory, getRegistries, loadSpecFile, modelParts, selectBackend, summarizeModel } from '@fusion/core';
import { createDefaultContainer } from '../container';
import { memoryLimit } from '../options';
import type { Terminal } from '../terminal';

export async function summaryCommand(specFile: string, opts: { json?: boolean; backend?: string; maxMemory?: number }, term: Terminal): Promise<void> {
  const container = createDefaultContainer();
  // Validation includes the memory estimate: a model over the limit is refused before it is built.
  const { spec } = loadSpecFile(specFile, container, { maxMemoryMB: memoryLimit(opts.maxMemory) });
  const memory = estimateMemory(spec, getRegistries(container));
  const backend = await selectBackend(opts.backend);
  const p = spec.preprocessing;
  const shape = { sensors: spec.sensors, length: Math.round(p.window * p.sampleRate), classes: p.label.classes.length, parts: modelParts(spec) };
  const model = buildModel(spec, getRegistries(container), shape, spec.seed);
  try {
    const s = await summarizeModel(model);
    if (opts.json) {
      term.printJson({ name: spec.name, backend: backend.name, input: { length: shape.length, sensors: spec.sensors }, ...s, trainingMemoryEstimate: { ...memory, limitMB: spec.training.maxMemoryMB } });
      return;
    }
    const t = new Table({ head: ['layer', 'class', 'output shape', 'parameters', 'MACs'], style: { head: [], border: [] } });
    for (const l of s.layers) t.push([l.name, l.className, `[${l.outputShape.map((d) => d ?? 'batch').join(', ')}]`, String(l.parameters), l.macs.toLocaleString('en') + (l.macSource === 'profiled' ? ' *' : '')]);
    const blocks = Object.entries(s.parametersPerBlock).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ');
    const kb = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
    term.result(
      `${spec.name}: window ${shape.length} samples x ${spec.sensors.length} sensors (${spec.sensors.join(', ')})\n${t.toString()}\n` +
        `parameters: ${s.parameters.toLocaleString('en')} (${blocks})\n` +
        `multiply-accumulates per window: ${s.macsPerWindow.toLocaleString('en')} (from layer shapes; * = counted from the layer's profiled matMul/conv kernels)\n` +
        `peak activation memory per window: ${kb(s.peakActivationBytes)} (float32 layer outputs alive at once, batch 1)\n` +
        `weights: ${kb(s.bytes.float32)} float32, ${kb(s.bytes.float16)} float16, ${kb(s.bytes.int8)} int8\n` +
        `training memory (estimate from the spec, float32): ${describeMemory(memory)}; limit ${spec.training.maxMemoryMB} MB\n`
    );
  } finally {
    model.dispose();
  }
}
