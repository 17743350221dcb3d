import { getRegistries } from '@fusion/core';
import { createDefaultContainer } from '../container';
import type { Terminal } from '../terminal';

export function pluginsCommand(opts: { json?: boolean }, term: Terminal): void {
  const r = getRegistries(createDefaultContainer());
  const kinds = { datasets: r.datasets.all(), encoders: r.encoders.all(), fusions: r.fusions.all(), heads: r.heads.all() };
  if (opts.json) {
    term.printJson(Object.fromEntries(Object.entries(kinds).map(([k, ps]) => [k, ps.map((p) => ({ type: p.type, description: p.description, schema: p.schema }))])));
    return;
  }
  for (const [k, ps] of Object.entries(kinds)) term.result(`${k}:\n${ps.map((p) => `  ${p.type.padEnd(14)} ${p.description}`).join('\n')}`);
}
