import { describeGraph, getRegistries, inferGraph, loadSpecFile, specGraph } from '@fusion/core';
import { createDefaultContainer } from '../container';
import { memoryLimit } from '../options';
import type { Terminal } from '../terminal';

export function validateCommand(specFile: string, opts: { json?: boolean; maxMemory?: number }, term: Terminal): void {
  const container = createDefaultContainer();
  const { spec, plugins } = loadSpecFile(specFile, container, { maxMemoryMB: memoryLimit(opts.maxMemory) });
  const p = spec.preprocessing;
  const length = Math.round(p.window * p.sampleRate);
  const graph = specGraph(spec);
  const inf = inferGraph(graph, getRegistries(container), length, p.window);
  if (opts.json) {
    const shapes = Object.fromEntries(inf.order.map((n) => [n, { kind: inf.nodes[n]?.kind, input: inf.nodes[n]?.inShape, output: inf.nodes[n]?.outShape }]));
    term.printJson({ valid: true, file: specFile, plugins, spec, graph: { ...graph, order: inf.order, shapes } });
  } else {
    const form = spec.nodes ? 'graph' : `encoder ${spec.encoder?.type ?? 'per sensor'}, fusion ${spec.fusion?.type}, head ${spec.head?.type}`;
    term.result(`${specFile}: valid (dataset ${spec.dataset.type}, ${form})\n${describeGraph(graph, inf, length, p.window)}`);
  }
}
