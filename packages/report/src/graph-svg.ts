import { graphlib, layout } from '@dagrejs/dagre';
import type { GraphView } from '@fusion/core';
import { escapeHtml } from './report';

const FONT = 12;
/** Average glyph width of the 12 px sans-serif text, a little generous so labels never overflow their boxes. */
const CHAR = 7.2;
const PAD_X = 10;
const LINE = 16;

const FILL: Record<string, string> = { input: '#ddf4ff', node: '#f6f8fa', output: '#dafbe1' };
const STROKE: Record<string, string> = { input: '#54aeff', node: '#8c959f', output: '#4ac26b' };

/**
 * The model graph as a static SVG (no script): inputs on top, outputs at the bottom, one box per input, node and
 * output, one arrow per connection labelled with the shape it carries. The layout is dagre's (layered, top to
 * bottom); the SVG has a viewBox so it scales down to narrow screens and paper.
 */
export function graphSvg(view: GraphView): string {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 44, edgesep: 12, marginx: 8, marginy: 8 });
  for (const n of view.nodes) {
    const width = Math.ceil(Math.max(n.name.length, n.detail.length) * CHAR + 2 * PAD_X);
    g.setNode(n.id, { width, height: 2 * LINE + 8 });
  }
  view.edges.forEach((e, i) => g.setEdge(e.from, e.to, { width: Math.ceil(e.shape.length * CHAR) + 6, height: LINE, labelpos: 'c' }, `e${i}`));
  layout(g);
  const { width = 0, height = 0 } = g.graph();
  const boxes = view.nodes.map((n) => {
    const p = g.node(n.id);
    const x = p.x! - p.width / 2;
    const y = p.y! - p.height / 2;
    return `<g class="graph-node ${n.role}" data-id="${escapeHtml(n.id)}"><rect x="${r(x)}" y="${r(y)}" width="${r(p.width)}" height="${r(p.height)}" rx="5" fill="${FILL[n.role]}" stroke="${STROKE[n.role]}"/><text x="${r(p.x!)}" y="${r(y + LINE)}" text-anchor="middle" font-weight="600">${escapeHtml(n.name)}</text><text x="${r(p.x!)}" y="${r(y + 2 * LINE)}" text-anchor="middle" fill="#57606a">${escapeHtml(n.detail)}</text></g>`;
  });
  const arrows = view.edges.map((e, i) => {
    const l = g.edge({ v: e.from, w: e.to, name: `e${i}` });
    const pts = (l.points ?? []).map((p: { x: number; y: number }) => `${r(p.x)},${r(p.y)}`).join(' ');
    const lw = l.width ?? 0;
    return `<g class="graph-edge" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}"><polyline points="${pts}" fill="none" stroke="#57606a" marker-end="url(#graph-arrow)"/><rect x="${r(l.x! - lw / 2)}" y="${r(l.y! - LINE / 2)}" width="${r(lw)}" height="${LINE}" fill="white" opacity="0.9"/><text x="${r(l.x!)}" y="${r(l.y! + 4)}" text-anchor="middle">${escapeHtml(e.shape)}</text></g>`;
  });
  return `<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" font-family="system-ui, sans-serif" font-size="${FONT}" role="img" aria-label="Model graph: ${view.nodes.length} boxes, ${view.edges.length} connections">
<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>
${arrows.join('\n')}
${boxes.join('\n')}
</svg>`;
}

const r = (v: number): string => String(Math.round(v * 10) / 10);
