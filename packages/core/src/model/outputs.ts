import { MultiOutputRunError, SpecIssue } from '../errors';
import type { DatasetAdapter } from '../plugins';
import type { GraphSpec, LabelSpec } from '../spec';
import { specGraph } from './graph';

/** One output of a spec as the data and evaluation see it: its name, the label it predicts and its loss weight. */
export interface OutputTarget {
  name: string;
  /** The label mapping of this output (`preprocessing.label`'s mapping and threshold, the output's target and classes). */
  label: LabelSpec;
  lossWeight: number;
}

/**
 * The outputs of a spec in declaration order; the first is the one `preprocessing.label` describes (its metrics are
 * metrics.json's top-level fields, its predictions predictions.csv). A slot-form spec has one.
 */
export function outputTargets(spec: GraphSpec): OutputTarget[] {
  const p = spec.preprocessing.label;
  return Object.entries(specGraph(spec).outputs).map(([name, o]) => ({
    name,
    label: { ...p, target: o.label ?? p.target, classes: o.classes },
    lossWeight: o.lossWeight,
  }));
}

/** The spec's outputs when there are several (multi-task), else undefined: single-output runs take no new path. */
export function multiOutputs(spec: GraphSpec): OutputTarget[] | undefined {
  const outs = outputTargets(spec);
  return outs.length > 1 ? outs : undefined;
}

/**
 * Checks of the graph form's outputs (paths `/outputs/<name>/...`, each with a fix): every output names a label the
 * dataset adapter provides (when it declares its labels), no two outputs predict the same label or share a name up
 * to case (their files predictions-<name>.csv would collide), loss weights are > 0, and threshold mapping has two
 * classes. Then the first output's label and classes become `preprocessing.label` (what the windows are cut for).
 */
export function outputIssues(s: GraphSpec, adapter: DatasetAdapter): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const outs = Object.entries(s.outputs ?? {});
  const byLabel = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const [name, o] of outs) {
    const at = `/outputs/${name}`;
    const lower = name.toLowerCase();
    if (byName.has(lower))
      issues.push({ path: at, message: `output "${name}" differs from output "${byName.get(lower)}" only in case; their files (predictions-<output>.csv) would collide. Rename one.` });
    else byName.set(lower, name);
    if (!o.label) issues.push({ path: at, message: `output "${name}" has no label. Add "label": the raw label it predicts (e.g. "arousal").` });
    else if (adapter.labels && !adapter.labels.includes(o.label))
      issues.push({
        path: `${at}/label`,
        message: `dataset "${adapter.type}" has no label "${o.label}"; it provides ${adapter.labels.length ? adapter.labels.join(', ') : 'no labels'}. Fix the label or use a dataset that has it.`,
      });
    else if (byLabel.has(o.label))
      issues.push({ path: `${at}/label`, message: `outputs "${byLabel.get(o.label)}" and "${name}" both predict label "${o.label}"; each output needs its own label. Remove one or change its label.` });
    else byLabel.set(o.label, name);
    if (!(o.lossWeight > 0))
      issues.push({ path: `${at}/lossWeight`, message: `loss weight ${o.lossWeight}; expected a number > 0 (an output with weight 0 would not be trained). Raise it, or remove the output.` });
    const classes = o.classes ?? s.preprocessing.label.classes;
    if (s.preprocessing.label.mapping === 'threshold' && classes.length !== 2)
      issues.push({ path: `${at}/classes`, message: `threshold mapping (preprocessing.label.mapping) gives 2 classes, found ${classes.length} names. Give two class names.` });
  }
  if (outs.length) {
    const [, first] = outs[0];
    if (first.label) s.preprocessing.label.target = first.label;
    if (first.classes) s.preprocessing.label.classes = first.classes;
  }
  return issues;
}

/** What training needs of a multi-output spec's outputs (undefined with one output: training is unchanged). */
export function trainOutputs(spec: GraphSpec): { name: string; classes: number; lossWeight: number }[] | undefined {
  return multiOutputs(spec)?.map((o) => ({ name: o.name, classes: o.label.classes.length, lossWeight: o.lossWeight }));
}

/**
 * A caller that serves a run's models with one output only (`StreamModel.load` without `severalOutputs`) refuses a
 * multi-output spec with `MultiOutputRunError` naming it and its outputs, before any model is loaded. Every command
 * (run, predict, evaluate, stream, export, bench) handles several outputs.
 */
export function refuseSeveralOutputs(
  spec: Pick<GraphSpec, 'outputs'>,
  where: string,
  what: string,
  fix = 'Its results per output are in the run folder (metrics.json "outputs", predictions.csv and predictions-<output>.csv); to serve every output, load it with severalOutputs (as fusion-cli predict, evaluate and stream do).'
): void {
  const names = Object.keys(spec.outputs ?? {});
  if (names.length <= 1) return;
  throw new MultiOutputRunError(`${where}: ${names.length} outputs (${names.join(', ')}); ${what} supports one output for now. ${fix}`);
}
