import * as tf from '@tensorflow/tfjs';
import { describeValue, PluginError, ShapeMismatchError, UnknownPluginError } from '../errors';
import { callPlugin } from '../plugin-guard';
import type { ModelContext } from '../plugins';
import type { Registries } from '../registry';
import { Rng } from '../random';
import type { GraphSpec } from '../spec';
import { KIND_RANKS, kindRegistry, modelTypes, nodeKind, nodeScope, specGraph, topoOrder } from './graph';
import { SelectSensor } from './select-sensor';
import { partInputs } from './part-inputs';
import type { WindowPart } from '../data';

export interface ModelShape {
  sensors: readonly string[];
  length: number;
  classes: number;
  /** Inputs at their own rates: one model input each (see `partInputs`). */
  parts?: readonly WindowPart[];
}

/** Layer-name prefixes: `summary` groups parameters by them. */
export const BLOCKS = ['encoder', 'fusion', 'head', 'classifier'] as const;

function context(shape: ModelShape, rng: Rng, scope: string, counters: Map<string, number>, window: number): ModelContext {
  return {
    window,
    sensors: shape.sensors,
    length: shape.length,
    classes: shape.classes,
    nextSeed: () => rng.seed31(),
    name(prefix: string): string {
      const key = `${scope}_${prefix}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      return `${key}_${n}`;
    },
  };
}

/**
 * Composes a model from the spec's graph (`specGraph`: the slot form compiles to input [batch, length, sensors] ->
 * encoder(s) -> fusion -> head -> softmax). Every sensor input is a channel of the one model input `windows`; a node's
 * several inputs are stacked (on the sensor axis at rank 4, else on the last). Nodes are built in `topoOrder`, each
 * output's classifier after them, so the same spec and seed give the same initial weights.
 */
export function buildModel(spec: GraphSpec, reg: Registries, shape: ModelShape, seed: number): tf.LayersModel {
  const g = specGraph(spec);
  const { order, cycle } = topoOrder(g);
  if (cycle) throw new ShapeMismatchError(`graph cycle ${cycle.join(' -> ')}`, [], 'an acyclic graph');
  const rng = new Rng(`${seed}/model`);
  const counters = new Map<string, number>();
  const S = shape.sensors.length;
  const multi = shape.parts ? partInputs(shape.parts) : undefined;
  const input = multi?.inputs ?? tf.input({ shape: [shape.length, S], name: 'windows' });
  const x4 = multi ? multi.inputs[0] : (tf.layers.reshape({ targetShape: [shape.length, S, 1], name: 'encoder_input' }).apply(input) as tf.SymbolicTensor);
  const made = new Map<string, tf.SymbolicTensor>();
  /** Each output on a decision node: its own build of that node. */
  const decided = new Map<string, tf.SymbolicTensor>();
  const layerName = (base: string): string => {
    const n = (counters.get(`#${base}`) ?? 0) + 1;
    counters.set(`#${base}`, n);
    return n === 1 ? base : `${base}_${n}`;
  };
  const tensorOf = (name: string): tf.SymbolicTensor => {
    let t = made.get(name);
    if (t) return t;
    if (multi) return multi.tensors.get(name)!;
    const i = shape.sensors.indexOf(g.inputs[name].sensor);
    t = new SelectSensor({ index: i, name: layerName(`encoder_select_${name}`) }).apply(x4) as tf.SymbolicTensor;
    made.set(name, t);
    return t;
  };
  const gather = (names: string[], scope: string): tf.SymbolicTensor => {
    // Every sensor, in order: the model input itself (the slot form's shared encoder).
    if (!multi && names.length === S && names.every((n, i) => n in g.inputs && g.inputs[n].sensor === shape.sensors[i])) return x4;
    const ts = names.map(tensorOf);
    if (ts.length === 1) return ts[0];
    const rank = ts[0].shape.length;
    const allEncoders = names.every((n) => n in g.nodes && nodeKind(reg, g.nodes[n].config.type) === 'encoder');
    const name = layerName(allEncoders && rank === 4 ? 'encoder_stack' : `${scope}_stack`);
    return tf.layers.concatenate({ axis: rank === 4 ? 2 : -1, name }).apply(ts) as tf.SymbolicTensor;
  };
  // Decision-level fusion: a softmax classifier on each input, their probabilities stacked [batch, inputs, classes].
  const branchProbabilities = (name: string, inputs: string[], scope: string, out?: string): tf.SymbolicTensor => {
    const C = out ? g.outputs[out].classes.length : shape.classes;
    const probs = inputs.map((i) => {
      const p = tf.layers
        .dense({ units: C, activation: 'softmax', name: layerName(`classifier_${name}_${i}`), kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed31() }) })
        .apply(tensorOf(i)) as tf.SymbolicTensor;
      return tf.layers.reshape({ targetShape: [1, C], name: layerName(`${scope}_branch_${i}`) }).apply(p) as tf.SymbolicTensor;
    });
    return probs.length === 1 ? probs[0] : (tf.layers.concatenate({ axis: 1, name: layerName(`${scope}_branches`) }).apply(probs) as tf.SymbolicTensor);
  };
  // The sensors that reach a node, in input order (a node's plugin sees them as ctx.sensors).
  const sensorsOf = (name: string): string[] =>
    name in g.inputs ? [g.inputs[name].sensor] : [...new Set(g.nodes[name].inputs.flatMap(sensorsOf))];
  for (const name of order) {
    const n = g.nodes[name];
    const kind = nodeKind(reg, n.config.type);
    if (!kind) throw new UnknownPluginError('model node', n.config.type, modelTypes(reg));
    const scope = nodeScope(name, kind === 'decision' ? 'fusion' : kind);
    // A decision node gives one output's class probabilities: with several outputs on it, it is built once per
    // output (its own classifiers and weights; the first output's build is what other nodes see).
    const decisionOuts = kind === 'decision' ? Object.keys(g.outputs).filter((o) => g.outputs[o].node === name) : [];
    for (const out of decisionOuts.length ? decisionOuts : [undefined]) {
      const x = kind === 'decision' ? branchProbabilities(name, n.inputs, scope, out) : gather(n.inputs, scope);
      const info = kind === 'decision' ? { in: 2, out: 1, describe: '[inputs, classes]' } : KIND_RANKS[kind];
      const where = n.pointer.slice(1).replace(/\//g, '.');
      if (x.shape.length !== info.in + 1) throw new ShapeMismatchError(`${where} "${n.config.type}" input`, x.shape, `rank ${info.in + 1}: [batch, ${info.describe.slice(1)}`);
      const sensors = sensorsOf(name);
      const ctx = context({ ...shape, sensors }, rng, scope, counters, spec.preprocessing.window);
      const events = sensors.filter((sn) => Object.values(spec.inputs ?? {}).some((i) => i.sensor === sn && i.missing !== undefined));
      if (events.length) ctx.events = events;
      const registry = kindRegistry(reg, kind);
      // A third-party plugin's failure or garbage is a PluginError naming its file (built-in plugins' bugs stay bugs).
      const origin = registry.originOf(n.config.type);
      const y = callPlugin(origin, `${where} "${n.config.type}" apply()`, () => registry.get(n.config.type).apply(x, n.config, ctx));
      if (origin && (y === null || typeof y !== 'object' || !Array.isArray((y as { shape?: unknown }).shape) || !('sourceLayer' in y)))
        throw new PluginError(origin, `${where} "${n.config.type}" apply() returned ${describeValue(y)}; expected the tf.SymbolicTensor of a layer applied to its input.`);
      if (y.shape.length !== info.out + 1) throw new ShapeMismatchError(`${where} "${n.config.type}" output`, y.shape, `rank ${info.out + 1}`);
      if (out) decided.set(out, y);
      if (!made.has(name)) made.set(name, y);
    }
  }
  const entries = Object.entries(g.outputs);
  const isDecision = (node: string): boolean => nodeKind(reg, g.nodes[node].config.type) === 'decision';
  const outs = entries.map(([oname, o]) =>
    isDecision(o.node)
      ? decided.get(oname)!
      : (tf.layers
          .dense({
            units: o.classes.length,
            activation: 'softmax',
            // layerName: an output named like a decision node's branch classifier (`<node>_<input>`) gets `_2`
            name: entries.length === 1 ? 'classifier' : layerName(`classifier_${oname}`),
            kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed31() }),
          })
          .apply(made.get(o.node)!) as tf.SymbolicTensor)
  );
  return tf.model({ inputs: input, outputs: outs.length === 1 ? outs[0] : outs, name: 'fusion' });
}

/** Parameters per block (encoder, fusion, head, classifier) and in total. */
export function parameterCounts(model: tf.LayersModel): { blocks: Record<string, number>; total: number } {
  const blocks: Record<string, number> = {};
  let total = 0;
  for (const layer of model.layers) {
    const n = layer.countParams();
    if (!n) continue;
    const block = BLOCKS.find((b) => layer.name === b || layer.name.startsWith(`${b}_`)) ?? 'other';
    blocks[block] = (blocks[block] ?? 0) + n;
    total += n;
  }
  return { blocks, total };
}
