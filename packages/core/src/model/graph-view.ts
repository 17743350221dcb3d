import type { Registries } from '../registry';
import type { GraphSpec } from '../spec';
import { fmt, GraphInference, inferGraph, ModelGraph, specGraph } from './graph';

/** One box of a drawn graph: a sensor input, a model node or an output. */
export interface GraphViewNode {
  /** Unique over the drawing: `input:<name>`, `node:<name>`, `output:<name>`. */
  id: string;
  role: 'input' | 'node' | 'output';
  name: string;
  /** Second line: the sensor and rate, the node's kind and type, or the output's label and classes. */
  detail: string;
}

/** One connection, labelled with the shape it carries (batch excluded), as `fusion-cli validate` prints it. */
export interface GraphViewEdge {
  from: string;
  to: string;
  shape: string;
}

/** A model graph as boxes and shape-labelled connections, for drawing (the report) — the same facts as `describeGraph`. */
export interface GraphView {
  nodes: GraphViewNode[];
  edges: GraphViewEdge[];
}

export function graphView(g: ModelGraph, inf: GraphInference, length: number): GraphView {
  const nodes: GraphViewNode[] = [];
  const edges: GraphViewEdge[] = [];
  const idOf = (name: string): string => (name in g.inputs ? `input:${name}` : `node:${name}`);
  const shapeOf = (name: string): string => fmt(name in g.inputs ? [length, 1, 1] : inf.nodes[name]?.outShape);
  for (const [name, i] of Object.entries(g.inputs)) nodes.push({ id: `input:${name}`, role: 'input', name, detail: `${i.sensor} · ${i.rate} Hz` });
  const order = inf.order.length === Object.keys(g.nodes).length ? inf.order : Object.keys(g.nodes);
  for (const name of order) {
    const n = g.nodes[name];
    nodes.push({ id: `node:${name}`, role: 'node', name, detail: `${inf.nodes[name]?.kind ?? '?'} ${n.config.type}` });
    for (const i of n.inputs) edges.push({ from: idOf(i), to: `node:${name}`, shape: shapeOf(i) });
  }
  for (const [name, o] of Object.entries(g.outputs)) {
    nodes.push({ id: `output:${name}`, role: 'output', name, detail: `label ${o.label ?? '?'}: ${o.classes.join(', ')}` });
    edges.push({ from: idOf(o.node), to: `output:${name}`, shape: shapeOf(o.node) });
  }
  return { nodes, edges };
}

/** The drawing of a (validated) spec's graph: its slot form compiled, or its graph form, with shapes inferred. */
export function specGraphView(spec: GraphSpec, reg: Registries): GraphView {
  const length = Math.round(spec.preprocessing.window * spec.preprocessing.sampleRate);
  const g = specGraph(spec);
  return graphView(g, inferGraph(g, reg, length), length);
}
