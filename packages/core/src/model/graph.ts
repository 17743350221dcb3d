import type { SpecIssue } from '../errors';
import type * as tf from '@tensorflow/tfjs';
import type { CheckContext, EstimateInput, ModelContext, PluginBase, ShapeEstimate } from '../plugins';
import type { PluginRegistry, Registries } from '../registry';
import type { GraphSpec, PluginConfig } from '../spec';

/**
 * The model graph every spec compiles to: named sensor inputs, named plugin nodes that name their inputs, and outputs.
 * A graph-form spec gives it directly (`inputs`, `nodes`, `outputs`); the slot form (`encoder`/`encoders`, `fusion`,
 * `head`) is shorthand for one (`compileSlots`).
 */
export interface ModelGraph {
  /** `maxGap`: an event input (e.g. ibi) held on its grid (preprocess/events.ts). */
  inputs: Record<string, { sensor: string; rate: number; pointer: string; maxGap?: number }>;
  /** In declaration order; `build order` is `topoOrder`. */
  nodes: Record<string, GraphNodeDef>;
  outputs: Record<string, { node: string; label?: string; classes: string[]; lossWeight: number; pointer: string }>;
}

export type NodeKind = 'encoder' | 'fusion' | 'head' | 'decision';

export interface GraphNodeDef {
  config: PluginConfig;
  inputs: string[];
  /** JSON pointer of the node's config in the spec. */
  pointer: string;
}

/** Rank (batch excluded) a node of each kind takes and gives: encoder [time, sensors, channels] -> [time, sensors, features]. */
export const KIND_RANKS: Record<NodeKind, { in: number; out: number; describe: string }> = {
  encoder: { in: 3, out: 3, describe: '[time, sensors, channels]' },
  fusion: { in: 3, out: 2, describe: '[time, sensors, features]' },
  head: { in: 2, out: 1, describe: '[time, features]' },
  /** Each input separately (a head's features); the output is class probabilities. */
  decision: { in: 1, out: 1, describe: '[features] from each input' },
};

/** What an output's node must give: [features] (a classifier is added per output). */
export const OUTPUT_RANK = 1;

/** The slot form compiled into the graph (the same model, layer names and seed order as before graphs existed). */
export function compileSlots(spec: GraphSpec): ModelGraph {
  const rate = spec.preprocessing.sampleRate;
  const inputs: ModelGraph['inputs'] = {};
  spec.sensors.forEach((s, i) => (inputs[s] = { sensor: s, rate, pointer: `/sensors/${i}` }));
  const nodes: ModelGraph['nodes'] = {};
  let encoded: string[];
  if (spec.encoder) {
    nodes.encoder = { config: spec.encoder, inputs: [...spec.sensors], pointer: '/encoder' };
    encoded = ['encoder'];
  } else {
    encoded = spec.sensors.map((s) => {
      nodes[`encoder_${s}`] = { config: spec.encoders![s], inputs: [s], pointer: `/encoders/${s}` };
      return `encoder_${s}`;
    });
  }
  nodes.fusion = { config: spec.fusion!, inputs: encoded, pointer: '/fusion' };
  nodes.head = { config: spec.head!, inputs: ['fusion'], pointer: '/head' };
  const l = spec.preprocessing.label;
  return { inputs, nodes, outputs: { [l.target]: { node: 'head', label: l.target, classes: l.classes, lossWeight: 1, pointer: '/preprocessing/label' } } };
}

/** The graph of a spec in either form. */
export function specGraph(spec: GraphSpec): ModelGraph {
  if (!spec.nodes) return compileSlots(spec);
  const rate = spec.preprocessing.sampleRate;
  const inputs: ModelGraph['inputs'] = {};
  for (const [name, i] of Object.entries(spec.inputs ?? {}))
    inputs[name] = { sensor: i.sensor, rate: i.rate ?? rate, pointer: `/inputs/${name}`, ...(i.missing ? { maxGap: i.missing.maxGap } : {}) };
  const nodes: ModelGraph['nodes'] = {};
  for (const [name, n] of Object.entries(spec.nodes)) {
    const { inputs: from, ...config } = n;
    nodes[name] = { config: config as PluginConfig, inputs: from, pointer: `/nodes/${name}` };
  }
  const outputs: ModelGraph['outputs'] = {};
  for (const [name, o] of Object.entries(spec.outputs ?? {})) {
    outputs[name] = { node: o.node, label: o.label, classes: o.classes ?? spec.preprocessing.label.classes, lossWeight: o.lossWeight ?? 1, pointer: `/outputs/${name}` };
  }
  return { inputs, nodes, outputs };
}

/** The registry a model node's `type` belongs to. */
export function nodeKind(reg: Registries, type: string): NodeKind | undefined {
  if (reg.encoders.has(type)) return 'encoder';
  if (reg.fusions.has(type)) return reg.fusions.get(type).decision ? 'decision' : 'fusion';
  if (reg.heads.has(type)) return 'head';
  return undefined;
}

export function kindRegistry(reg: Registries, kind: NodeKind): PluginRegistry<ModelPlugin> {
  return (kind === 'encoder' ? reg.encoders : kind === 'head' ? reg.heads : reg.fusions) as PluginRegistry<ModelPlugin>;
}

/** Every model-building plugin type, for listings. */
export function modelTypes(reg: Registries): string[] {
  return [...reg.encoders.types(), ...reg.fusions.types(), ...reg.heads.types()];
}

/** What core uses of an encoder, fusion or head plugin. */
export type ModelPlugin = PluginBase & {
  apply(input: tf.SymbolicTensor, config: PluginConfig, ctx: ModelContext): tf.SymbolicTensor;
  estimate?(input: EstimateInput, config: PluginConfig): ShapeEstimate;
  outputShape?(inputs: readonly (readonly number[])[], config: PluginConfig): number[];
  /** The node takes graph inputs only (it computes from raw samples, without a gradient). */
  rawInputs?: boolean;
};

/** Samples per window of a graph input: its rate x `window` seconds (without `window`: the common `length`). */
export function inputSamples(g: ModelGraph, input: string, length: number, window?: number): number {
  return window === undefined ? length : Math.round(window * g.inputs[input].rate);
}

/**
 * Layer-name scope of a node: the node's own name when it already starts with its kind (`encoder`, `encoder_bvp`,
 * `fusion`), else `<kind>_<name>`, so `summary` groups parameters by kind.
 */
export function nodeScope(name: string, kind: string): string {
  return name === kind || name.startsWith(`${kind}_`) ? name : `${kind}_${name}`;
}

/**
 * Nodes in build order: each after its inputs, otherwise in declaration order (so the slot form draws its seeds in
 * the order it always did). Returns the nodes on a cycle instead when there is one.
 */
export function topoOrder(g: ModelGraph): { order: string[]; cycle?: string[] } {
  const names = Object.keys(g.nodes);
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 2) return undefined;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const i of g.nodes[n].inputs) {
      if (!(i in g.nodes)) continue;
      const c = visit(i);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    order.push(n);
    return undefined;
  };
  for (const n of names) {
    const cycle = visit(n);
    if (cycle) return { order, cycle };
  }
  return { order };
}

/** Shape (batch excluded) of what a node gets: its inputs stacked (rank 3: on the sensor axis; else on the last). */
export function stackShapes(shapes: (readonly number[])[]): { shape?: number[]; problem?: string } {
  if (shapes.length === 1) return { shape: [...shapes[0]] };
  const rank = shapes[0].length;
  if (shapes.some((s) => s.length !== rank)) return { problem: `inputs of different ranks (${shapes.map(fmt).join(', ')}) cannot be stacked` };
  const axis = rank === 3 ? 1 : rank - 1;
  for (const s of shapes) {
    if (s.some((d, i) => i !== axis && d !== shapes[0][i]))
      return { problem: `inputs ${shapes.map(fmt).join(', ')} cannot be stacked: they must agree on every axis but ${rank === 3 ? 'the sensor axis' : 'the last'}` };
  }
  const out = [...shapes[0]];
  out[axis] = shapes.reduce((a, s) => a + s[axis], 0);
  return { shape: out };
}

export const fmt = (s: readonly number[] | undefined): string => (s ? `[${s.join(', ')}]` : '[?]');

export interface NodeInfo {
  kind?: NodeKind;
  /** Shape of the stacked input and of the output (batch excluded); undefined where a plugin cannot say. */
  inShape?: number[];
  outShape?: number[];
  estimate?: ShapeEstimate;
  /** Sensors that reach the node. */
  sensors: string[];
}

export interface GraphInference {
  order: string[];
  nodes: Record<string, NodeInfo>;
  issues: SpecIssue[];
}

/**
 * Shape inference and graph checks, before any data is read: unknown inputs and types, cycles, nodes whose output
 * reaches no output, outputs without a label, and shapes that do not meet (from each plugin's `outputShape`, or its
 * `estimate`). `length` is the samples per window.
 */
export function inferGraph(g: ModelGraph, reg: Registries, length: number, window?: number): GraphInference {
  const inputLength = (i: string): number => inputSamples(g, i, length, window);
  const issues: SpecIssue[] = [];
  const nodes: Record<string, NodeInfo> = {};
  const known = (): string => `inputs: ${Object.keys(g.inputs).join(', ') || 'none'}; nodes: ${Object.keys(g.nodes).join(', ') || 'none'}`;
  for (const [name, n] of Object.entries(g.nodes)) {
    if (name in g.inputs) issues.push({ path: n.pointer, message: `node "${name}" has the name of an input; a name in "inputs" would be ambiguous. Rename the node or the input.` });
    n.inputs.forEach((i, k) => {
      if (!(i in g.inputs) && !(i in g.nodes)) issues.push({ path: `${n.pointer}/inputs/${k}`, message: `"${i}" is neither an input nor a node (${known()}). Fix the name or add it.` });
      if (i === name) issues.push({ path: `${n.pointer}/inputs/${k}`, message: `node "${name}" takes itself as input. Remove it.` });
    });
    if (reg.encoders.has(n.config.type) || reg.fusions.has(n.config.type) || reg.heads.has(n.config.type)) continue;
    issues.push({ path: `${n.pointer}/type`, message: `unknown node type "${n.config.type}"; known: ${modelTypes(reg).join(', ')}. Fix the type or add the plugin module to "plugins".` });
  }
  for (const [name, o] of Object.entries(g.outputs)) {
    if (!(o.node in g.nodes)) issues.push({ path: `${o.pointer}/node`, message: `output "${name}" names "${o.node}", which is not a node (nodes: ${Object.keys(g.nodes).join(', ') || 'none'}). Fix the name.` });
    if (!o.label) issues.push({ path: o.pointer, message: `output "${name}" has no label. Add "label": the raw label it predicts (e.g. "arousal").` });
  }
  // Names first: a misspelt name would otherwise also leave whatever it should reach unreached.
  if (issues.length) return { order: [], nodes, issues };
  const { order, cycle } = topoOrder(g);
  if (cycle) {
    issues.push({ path: `${g.nodes[cycle[0]].pointer}/inputs`, message: `cycle ${cycle.join(' -> ')}: a node cannot depend on its own output. Remove one of these inputs.` });
    return { order, nodes, issues };
  }
  // Reachability: every node and input must feed an output.
  const used = new Set<string>();
  const mark = (n: string): void => {
    if (used.has(n)) return;
    used.add(n);
    for (const i of g.nodes[n]?.inputs ?? []) mark(i);
  };
  for (const o of Object.values(g.outputs)) mark(o.node);
  for (const [name, n] of Object.entries(g.nodes)) {
    if (!used.has(name)) issues.push({ path: n.pointer, message: `the output of node "${name}" reaches no output. Use it as an input of another node or of an output, or remove it.` });
  }
  for (const [name, i] of Object.entries(g.inputs)) {
    if (!used.has(name)) issues.push({ path: i.pointer, message: `input "${name}" is used by no node that reaches an output. Name it in a node's "inputs" or remove it.` });
  }
  if (issues.length) return { order, nodes, issues };
  // Shapes, in build order.
  const shapeOf = (i: string): { shape?: number[]; sensors: string[] } =>
    i in g.inputs ? { shape: [inputLength(i), 1, 1], sensors: [g.inputs[i].sensor] } : { shape: nodes[i].outShape, sensors: nodes[i].sensors };
  for (const name of order) {
    const n = g.nodes[name];
    const kind = nodeKind(reg, n.config.type)!;
    const from = n.inputs.map(shapeOf);
    const sensors = [...new Set(from.flatMap((f) => f.sensors))];
    const info: NodeInfo = { kind, sensors };
    nodes[name] = info;
    if (from.some((f) => !f.shape)) continue;
    if (kind === 'decision') {
      const out = Object.values(g.outputs).find((o) => o.node === name);
      const bad = from.findIndex((f) => f.shape!.length !== 1);
      if (bad >= 0) issues.push({ path: `${n.pointer}/inputs/${bad}`, message: `a decision fusion ("${n.config.type}") takes [features] from each input (a head), but "${n.inputs[bad]}" gives ${fmt(from[bad].shape)}. Feed it head nodes.` });
      else if (!out) issues.push({ path: n.pointer, message: `decision node "${name}" gives class probabilities; only an output can take them. Name it in an output's "node".` });
      else {
        info.inShape = [from.length, out.classes.length];
        info.outShape = [out.classes.length];
      }
      continue;
    }
    const stacked = stackShapes(from.map((f) => f.shape!));
    if (stacked.problem) {
      issues.push({ path: `${n.pointer}/inputs`, message: `${stacked.problem} (${n.inputs.join(', ')}). Give the branches the same time steps and features (channels, stride), or fuse them first.` });
      continue;
    }
    const want = KIND_RANKS[kind];
    if (stacked.shape!.length !== want.in) {
      issues.push({
        path: `${n.pointer}/inputs`,
        message: `a ${kind} ("${n.config.type}") takes ${want.describe} per window, but gets ${fmt(stacked.shape)} from ${n.inputs.join(', ')}. ${hint(kind)}`,
      });
      continue;
    }
    info.inShape = stacked.shape;
    const plugin = kindRegistry(reg, kind).get(n.config.type);
    const raw = n.inputs.findIndex((i) => !(i in g.inputs));
    if (plugin.rawInputs && raw >= 0) {
      issues.push({ path: `${n.pointer}/inputs/${raw}`, message: `a "${n.config.type}" node computes its features from sensor inputs (no gradient flows through it), but "${n.inputs[raw]}" is a node. Name inputs here (${Object.keys(g.inputs).join(', ')}).` });
      continue;
    }
    const s = stacked.shape!;
    if (plugin.outputShape) info.outShape = plugin.outputShape([s], n.config);
    if (plugin.estimate) {
      const input: EstimateInput = kind === 'head' ? { length: s[0], sensors: 1, features: s[1] } : { length: s[0], sensors: s[1], features: s[2] };
      info.estimate = plugin.estimate(input, n.config);
      if (!info.outShape) info.outShape = kind === 'encoder' ? [info.estimate.length, s[1], info.estimate.features] : kind === 'fusion' ? [info.estimate.length, info.estimate.features] : [info.estimate.features];
    }
  }
  for (const [name, o] of Object.entries(g.outputs)) {
    const s = nodes[o.node]?.outShape;
    if (s && s.length !== OUTPUT_RANK)
      issues.push({ path: `${o.pointer}/node`, message: `output "${name}" needs [features] per window from its node, but "${o.node}" gives ${fmt(s)}. Name a head node (or put a head after "${o.node}").` });
  }
  return { order, nodes, issues };
}

function hint(kind: NodeKind): string {
  if (kind === 'encoder') return 'Feed it sensor inputs or other encoders.';
  if (kind === 'fusion') return 'Feed it encoders (or sensor inputs).';
  if (kind === 'decision') return 'Feed it head nodes.';
  return 'Feed it a fusion node.';
}

/** The `CheckContext` of a node, for its plugin's `check`. */
export function nodeCheckContext(base: CheckContext, info: NodeInfo | undefined): CheckContext {
  if (!info) return base;
  return { ...base, sensors: info.sensors.length ? info.sensors : base.sensors, length: info.inShape?.[0] ?? base.length };
}

/** The graph as text, one line per edge with the shape it carries (batch excluded). */
export function describeGraph(g: ModelGraph, inf: GraphInference, length: number, window?: number): string {
  const lines: string[] = [];
  for (const [name, i] of Object.entries(g.inputs)) {
    const what = i.maxGap !== undefined ? `events ${i.sensor} held at ${i.rate} Hz (missing > ${i.maxGap} s after an event)` : `sensor ${i.sensor} at ${i.rate} Hz`;
    lines.push(`  input ${name}: ${what}, ${fmt([inputSamples(g, name, length, window), 1, 1])}`);
  }
  for (const name of inf.order) {
    const n = g.nodes[name];
    const info = inf.nodes[name];
    const from = n.inputs.map((i) => `${i} ${fmt(i in g.inputs ? [inputSamples(g, i, length, window), 1, 1] : inf.nodes[i]?.outShape)}`).join(' + ');
    lines.push(`  ${from} -> ${name} (${info?.kind ?? '?'} ${n.config.type}) -> ${fmt(info?.outShape)}`);
  }
  for (const [name, o] of Object.entries(g.outputs)) {
    lines.push(`  ${o.node} ${fmt(inf.nodes[o.node]?.outShape)} -> output ${name} (label ${o.label}, ${o.classes.length} classes: ${o.classes.join(', ')}${o.lossWeight !== 1 ? `, loss weight ${o.lossWeight}` : ''})`);
  }
  return lines.join('\n');
}
