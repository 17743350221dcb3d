import { loadSpecFile } from '@fusion/core';
import { createDefaultContainer } from '../container';
import type { Terminal } from '../terminal';

export function validateCommand(specFile: string, opts: { json?: boolean }, term: Terminal): void {
  const { spec, plugins } = loadSpecFile(specFile, createDefaultContainer());
  if (opts.json) term.printJson({ valid: true, file: specFile, plugins, spec });
  else term.result(`${specFile}: valid (dataset ${spec.dataset.type}, encoder ${spec.encoder?.type ?? 'per sensor'}, fusion ${spec.fusion.type}, head ${spec.head.type})`);
}
