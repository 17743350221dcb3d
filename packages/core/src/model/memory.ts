import { ModelTooLargeError } from '../errors';
import type { EstimateInput, ShapeEstimate } from '../plugins';
import type { Registries } from '../registry';
import type { GraphSpec } from '../spec';
import { inferGraph, inputSamples, kindRegistry, specGraph } from './graph';

/**
 * Training memory of one model, estimated from the spec alone (nothing is built), float32 throughout.
 *
 * What it counts: the weights (from each plugin's `estimate`, plus the classifier); the gradients and Adam's two
 * moments (3 more copies of the weights); one batch of activations: the input and every layer output the plugins
 * report (attention maps included), each kept for backprop and given one gradient (x2). What it leaves out: tfjs's
 * temporary buffers inside a kernel, the dataset's windows, the backend's own overhead, and plugins that have no
 * `estimate` (listed in `unestimated`). Each worker process (`--workers`) holds one such model at a time.
 */
export interface MemoryEstimate {
  parameters: number;
  /** Floats of activations of one window's forward pass. */
  activationsPerWindow: number;
  batchSize: number;
  bytes: { weights: number; gradientsAndOptimizer: number; activations: number; total: number };
  /** Bytes per block (encoder, fusion, head, classifier, input): weights with their optimiser state plus activations. */
  perBlock: Record<string, number>;
  /** JSON pointers of the spec's plugins that have no `estimate` and are not counted. */
  unestimated: string[];
}

export const MB = 1024 * 1024;

const BYTES = 4;

function blockBytes(e: ShapeEstimate, batch: number): number {
  return 4 * e.parameters * BYTES + 2 * batch * e.activations * BYTES;
}

/** The estimate of a spec's model (see `MemoryEstimate` for what is counted). */
export function estimateMemory(spec: GraphSpec, reg: Registries): MemoryEstimate {
  const p = spec.preprocessing;
  const length = Math.max(1, Math.round(p.window * p.sampleRate));
  const S = spec.sensors.length;
  const batch = spec.training.batchSize;
  const unestimated: string[] = [];
  const perBlock: Record<string, number> = {};
  let parameters = 0;
  let activations = length * S;
  perBlock.input = 2 * batch * length * S * BYTES;
  const add = (block: string, e: ShapeEstimate): void => {
    parameters += e.parameters;
    activations += e.activations;
    perBlock[block] = (perBlock[block] ?? 0) + blockBytes(e, batch);
  };
  const g = specGraph(spec);
  const inf = inferGraph(g, reg, length, p.window);
  // Sizes where a plugin cannot say: assume it keeps its input's.
  const sizes = new Map<string, EstimateInput>();
  const sizeOf = (name: string): EstimateInput => (name in g.inputs ? { length: inputSamples(g, name, length, p.window), sensors: 1, features: 1 } : sizes.get(name) ?? { length, sensors: 1, features: 1 });
  for (const name of inf.order) {
    const n = g.nodes[name];
    const info = inf.nodes[name];
    const from = n.inputs.map(sizeOf);
    if (info?.kind === 'decision' && info.outShape) {
      // A classifier on each input, then the plugin on [inputs, classes]; once per output on the node (buildModel).
      for (const o of Object.values(g.outputs).filter((o) => o.node === name)) {
        const classes = o.classes.length;
        for (const f of from) add('classifier', { length: 1, features: classes, parameters: f.sensors * f.features * classes + classes, activations: 2 * classes });
        const e = kindRegistry(reg, 'decision').get(n.config.type).estimate?.({ length: 1, sensors: from.length, features: classes }, n.config);
        if (e) add('fusion', e);
      }
      sizes.set(name, { length: 1, sensors: 1, features: info.outShape[0] });
      continue;
    }
    const stackedInputs = n.inputs.every((i) => i in g.inputs) && n.inputs.length === S;
    const input: EstimateInput = { length: from[0].length, sensors: from.reduce((a, f) => a + f.sensors, 0), features: from[0].features };
    // Stacking node outputs makes one more copy of them (the model input is already stacked).
    if (from.length > 1 && !stackedInputs) activations += input.length * input.sensors * input.features;
    const plugin = info?.kind ? kindRegistry(reg, info.kind).get(n.config.type) : undefined;
    const e = plugin?.estimate?.(info.kind === 'head' ? { length: input.length, sensors: 1, features: from.reduce((a, f) => a + f.sensors * f.features, 0) } : input, n.config);
    if (!e || !info.kind) {
      unestimated.push(n.pointer);
      sizes.set(name, input);
      continue;
    }
    add(info.kind, e);
    const out = info.outShape;
    if (out?.length === 3) sizes.set(name, { length: out[0], sensors: out[1], features: out[2] });
    else if (out?.length === 2) sizes.set(name, { length: out[0], sensors: 1, features: out[1] });
    else sizes.set(name, info.kind === 'encoder' ? { length: e.length, sensors: input.sensors, features: e.features } : { length: e.length, sensors: 1, features: e.features });
  }
  for (const o of Object.values(g.outputs)) {
    if (inf.nodes[o.node]?.kind === 'decision') continue;
    const f = sizes.get(o.node)?.features ?? 1;
    const classes = o.classes.length;
    add('classifier', { length: 1, features: classes, parameters: f * classes + classes, activations: classes });
  }
  const weights = parameters * BYTES;
  const gradientsAndOptimizer = 3 * weights;
  const acts = 2 * batch * activations * BYTES;
  return {
    parameters,
    activationsPerWindow: activations,
    batchSize: batch,
    bytes: { weights, gradientsAndOptimizer, activations: acts, total: weights + gradientsAndOptimizer + acts },
    perBlock,
    unestimated,
  };
}

const mb = (b: number): string => `${(b / MB).toLocaleString('en', { maximumFractionDigits: b < 10 * MB ? 1 : 0 })} MB`;

/** One line: the estimate and its parts. */
export function describeMemory(e: MemoryEstimate): string {
  const parts = Object.entries(e.perBlock)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${mb(v)}`)
    .join(', ');
  return (
    `${mb(e.bytes.total)} (weights ${mb(e.bytes.weights)}, gradients and Adam state ${mb(e.bytes.gradientsAndOptimizer)}, ` +
    `activations of a batch of ${e.batchSize} ${mb(e.bytes.activations)}; by block: ${parts})` +
    (e.unestimated.length ? `; not counted (no estimate): ${e.unestimated.join(', ')}` : '')
  );
}

/** Throws `ModelTooLargeError` when the estimate is over `limitMB` (default: the spec's `training.maxMemoryMB`). */
export function checkMemory(spec: GraphSpec, reg: Registries, file?: string, limitMB = spec.training.maxMemoryMB): MemoryEstimate {
  const e = estimateMemory(spec, reg);
  if (e.bytes.total > limitMB * MB) {
    const pointers: Record<string, string> = { encoder: spec.nodes ? '/nodes' : spec.encoder ? '/encoder' : '/encoders', fusion: spec.nodes ? '/nodes' : '/fusion', head: spec.nodes ? '/nodes' : '/head', classifier: spec.outputs ? '/outputs' : '/preprocessing/label/classes', input: '/preprocessing/window' };
    const [largest] = Object.entries(e.perBlock).sort((a, b) => b[1] - a[1]);
    throw new ModelTooLargeError(file, pointers[largest[0]] ?? '', e.bytes.total / MB, limitMB, describeMemory(e));
  }
  return e;
}
