import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { createContainer, describeGraph, getRegistries, GraphSpec, inferGraph, specGraph, specGraphView, SpecValidator } from '@fusion/core';
import { graphSvg } from '@fusion/report';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { cli, ROOT, tmpDir, writeSpec } from './helpers';

/**
 * The report draws the model graph: one box per input, node and output, one arrow per connection labelled with the
 * shape `fusion-cli validate` infers, laid out by dagre into a static SVG that scales (viewBox, max-width: 100%).
 */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  text: string[];
}
interface Arrow {
  from: string;
  to: string;
  label: string;
  points: { x: number; y: number }[];
}

/** The graph SVG parsed back: its boxes (a rect with two lines of text) and arrows (a polyline and its label). */
function parseGraphSvg(html: string): { svg: string; boxes: Box[]; arrows: Arrow[] } {
  const m = /<svg class="graph"[^>]*>[\s\S]*?<\/svg>/.exec(html);
  expect(m, 'an SVG of class "graph" in the page').to.not.equal(null);
  const svg = m![0];
  const texts = (g: string): string[] => [...g.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  const num = (tag: string, a: string): number => Number(new RegExp(`\\s${a}="([-\\d.]+)"`).exec(tag)![1]);
  const boxes = [...svg.matchAll(/<g class="graph-node [a-z]+" data-id="([^"]+)">(<rect[^>]*>)([\s\S]*?)<\/g>/g)].map((b) => ({
    id: b[1],
    x: num(b[2], 'x'),
    y: num(b[2], 'y'),
    w: num(b[2], 'width'),
    h: num(b[2], 'height'),
    text: texts(b[3]),
  }));
  const arrows = [...svg.matchAll(/<g class="graph-edge" data-from="([^"]+)" data-to="([^"]+)">([\s\S]*?)<\/g>/g)].map((a) => ({
    from: a[1],
    to: a[2],
    label: texts(a[3])[0],
    points: /<polyline points="([^"]+)"/
      .exec(a[3])![1]
      .split(' ')
      .map((p) => ({ x: Number(p.split(',')[0]), y: Number(p.split(',')[1]) })),
  }));
  return { svg, boxes, arrows };
}

/** Expected boxes and connections (with the shape each carries) from `describeGraph`'s lines, the text `validate` prints. */
function expectedFromDescription(spec: GraphSpec): { ids: string[]; edges: string[] } {
  const length = Math.round(spec.preprocessing.window * spec.preprocessing.sampleRate);
  const g = specGraph(spec);
  const text = describeGraph(g, inferGraph(g, registries, length), length);
  const ids = [...Object.keys(g.inputs).map((n) => `input:${n}`), ...Object.keys(g.nodes).map((n) => `node:${n}`), ...Object.keys(g.outputs).map((n) => `output:${n}`)];
  const edges: string[] = [];
  const idOf = (n: string): string => (n in g.inputs ? `input:${n}` : `node:${n}`);
  for (const line of text.split('\n')) {
    const node = /^ {2}(.+) -> (\S+) \(.*\) -> \[.*\]$/.exec(line);
    if (node && !line.startsWith('  input ')) for (const part of node[1].split(' + ')) edges.push(`${idOf(part.split(' ')[0])} -> node:${node[2]} ${part.slice(part.indexOf(' ') + 1)}`);
    const out = /^ {2}(\S+) (\[.*\]) -> output (\S+) /.exec(line);
    if (out) edges.push(`${idOf(out[1])} -> output:${out[3]} ${out[2]}`);
  }
  return { ids, edges };
}

/** Every box drawn once, every connection drawn once with its shape, each arrow running from its source box to its target box. */
function checkDrawing(html: string, spec: GraphSpec, what: string): void {
  const { svg, boxes, arrows } = parseGraphSvg(html);
  const want = expectedFromDescription(spec);
  expect(want.edges.length, `${what}: connections in validate's text`).to.be.greaterThan(1);
  expect(boxes.map((b) => b.id).sort(), `${what}: one box per input, node and output`).to.deep.equal([...want.ids].sort());
  for (const b of boxes) {
    expect(b.text[0], `${what}: box ${b.id} is named`).to.equal(b.id.slice(b.id.indexOf(':') + 1));
    expect(b.w * b.h, `${what}: box ${b.id} has an area`).to.be.greaterThan(0);
  }
  expect(arrows.map((a) => `${a.from} -> ${a.to} ${a.label}`).sort(), `${what}: one arrow per connection, labelled with its shape`).to.deep.equal([...want.edges].sort());
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const near = (p: { x: number; y: number }, b: Box): boolean => p.x >= b.x - 2 && p.x <= b.x + b.w + 2 && p.y >= b.y - 2 && p.y <= b.y + b.h + 2;
  for (const a of arrows) {
    expect(near(a.points[0], byId.get(a.from)!), `${what}: ${a.from} -> ${a.to} starts at its source box`).to.equal(true);
    expect(near(a.points[a.points.length - 1], byId.get(a.to)!), `${what}: ${a.from} -> ${a.to} ends at its target box`).to.equal(true);
  }
  // Boxes do not overlap.
  for (const a of boxes) for (const b of boxes) if (a !== b) expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${what}: ${a.id} and ${b.id} overlap`).to.equal(true);
  // It scales: a viewBox, and the page's CSS caps its width.
  expect(svg).to.match(/^<svg [^>]*viewBox="0 0 [\d.]+ [\d.]+"/);
  expect(svg).to.not.contain('<script');
}

describe('the report draws the model graph', function () {
  this.timeout(300000);

  it('a tiny run (slot form): report.html has the compiled graph, one box per node and one labelled arrow per connection, as validate prints it', () => {
    const dir = tmpDir('fusion-report-graph-');
    const specFile = writeSpec(dir, 'graph-tiny', { name: 'graph-tiny', training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 } });
    const r = cli(['run', specFile, '--out', 'run', '--workers', '1', '--json', '--cache-dir', 'cache'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const html = fs.readFileSync(path.join(dir, 'run', 'report.html'), 'utf8');
    expect(html).to.contain('<h2>Model graph</h2>');
    expect(html).to.match(/figure\.chart svg \{[^}]*max-width: 100%/);
    const spec = new SpecValidator(registries).check(JSON.parse(fs.readFileSync(specFile, 'utf8')), specFile);
    checkDrawing(html, spec, 'tiny');
    // validate's own text names the same shapes (e.g. the encoder's output into the fusion)
    const v = cli(['validate', specFile], dir);
    expect(v.status, v.stderr).to.equal(0);
    expect(v.stdout).to.contain('encoder [20, 3, 8] -> fusion');
    expect(parseGraphSvg(html).arrows.find((a) => a.to === 'node:fusion')!.label).to.equal('[20, 3, 8]');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const strategies = fs.readdirSync(path.join(ROOT, 'specs', 'strategies')).filter((f) => f.endsWith('-quick.json'));
  it(`graph-form specs (${strategies.join(', ')}) are drawn with every node, output and shape`, () => {
    expect(strategies).to.include('multitask-quick.json');
    for (const f of strategies) {
      const file = path.join(ROOT, 'specs', 'strategies', f);
      const spec = new SpecValidator(registries).check(JSON.parse(fs.readFileSync(file, 'utf8')), file);
      expect(spec.nodes, f).to.not.equal(undefined);
      checkDrawing(graphSvg(specGraphView(spec, registries)), spec, f);
    }
  });
});
