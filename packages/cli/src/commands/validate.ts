import { loadSpecFile } from '@fusion/core';
import { createDefaultContainer } from '../container';
import { memoryLimit } from '../options';
import type { Terminal } from '../terminal';

export function validateCommand(specFile: string, opts: { json?: boolean; maxMemory?: number }, term: Terminal): void {
  const { spec, plugins } = loadSpecFile(specFile, createDefaultContainer(), { maxMemoryMB: memoryLimit(opts.maxMemory) });
  if (opts.json) term.printJson({ valid: true, file: specFile, plugins, spec });
  else term.result(`${specFile}: valid (dataset ${spec.dataset.type}, encoder ${spec.encoder?.type ?? 'per sensor'}, fusion ${spec.fusion.type}, head ${spec.head.type})`);
}
