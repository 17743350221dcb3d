import { expect } from 'chai';
import * as crypto from 'crypto';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { buildModel, compileSlots, createContainer, estimateMemory, getRegistries, GraphSpec, parameterCounts, selectBackend, SpecValidationError, SpecValidator } from '@fusion/core';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { cli, ROOT, specIssues, tmpDir } from './helpers';

/** The graph form of the spec: checks before any data is read, the slot form compiled into the same graph and model. */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const read = (rel: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8')) as Record<string, unknown>;
const TINY = read('test/fixtures/tiny.json');

/** tiny.json as a graph: per-sensor TCNs (or the nodes given), concat fusion, BiGRU head. */
function graph(nodes?: Record<string, unknown>, outputs?: Record<string, unknown>): Record<string, unknown> {
  const s = structuredClone(TINY);
  for (const k of ['encoder', 'fusion', 'head', 'sensors']) delete s[k];
  const tcn = { type: 'tcn', channels: [8, 8], kernelSize: 2, dropout: 0.1 };
  return {
    ...s,
    inputs: { hr: { sensor: 'hr' }, eda: { sensor: 'eda' }, bvp: { sensor: 'bvp' } },
    nodes: nodes ?? {
      enc_hr: { ...tcn, inputs: ['hr'] },
      enc_eda: { ...tcn, inputs: ['eda'] },
      enc_bvp: { ...tcn, inputs: ['bvp'] },
      fuse: { type: 'concat', inputs: ['enc_hr', 'enc_eda', 'enc_bvp'] },
      gru: { type: 'bigru', units: 8, inputs: ['fuse'] },
    },
    outputs: outputs ?? { arousal: { node: 'gru', label: 'arousal' } },
  };
}

/** A slot-form spec written as a graph by hand (the way a user would): one node per slot. */
function asGraph(raw: Record<string, unknown>): Record<string, unknown> {
  const { encoder, encoders, fusion, head, sensors, ...rest } = structuredClone(raw) as Record<string, unknown>;
  const names = sensors as string[];
  const nodes: Record<string, unknown> = {};
  if (encoder) nodes.encoder = { ...(encoder as object), inputs: names };
  else for (const s of names) nodes[`encoder_${s}`] = { ...(encoders as Record<string, object>)[s], inputs: [s] };
  nodes.fusion = { ...(fusion as object), inputs: encoder ? ['encoder'] : names.map((s) => `encoder_${s}`) };
  nodes.head = { ...(head as object), inputs: ['fusion'] };
  const label = ((rest.preprocessing as Record<string, Record<string, unknown>>)?.label ?? {}) as Record<string, unknown>;
  return { ...rest, inputs: Object.fromEntries(names.map((s) => [s, { sensor: s }])), nodes, outputs: { out: { node: 'head', label: label.target ?? 'arousal' } } };
}

const issuesOf = (s: unknown): { path: string; message: string }[] => specIssues(validator, s);

async function weights(s: GraphSpec): Promise<number[]> {
  const p = s.preprocessing;
  const m = buildModel(s, registries, { sensors: s.sensors, length: Math.round(p.window * p.sampleRate), classes: p.label.classes.length }, s.seed);
  const out: number[] = [];
  for (const w of m.getWeights()) out.push(...(await w.data()));
  m.dispose();
  return out;
}

describe('graph form of the spec', () => {
  before(async () => {
    await selectBackend(process.env.FUSION_TEST_BACKEND);
  });

  it('the slot form compiles to inputs, nodes and one output', () => {
    const g = compileSlots(validator.check(structuredClone(TINY), 'tiny.json'));
    expect(Object.keys(g.inputs)).to.deep.equal(['hr', 'eda', 'bvp']);
    expect(Object.entries(g.nodes).map(([n, d]) => [n, d.config.type, d.inputs])).to.deep.equal([
      ['encoder', 'tcn', ['hr', 'eda', 'bvp']],
      ['fusion', 'concat', ['encoder']],
      ['head', 'bigru', ['fusion']],
    ]);
    expect(g.outputs.arousal).to.include({ node: 'head', label: 'arousal' });
  });

  for (const file of fs.readdirSync(path.join(ROOT, 'specs')).filter((f) => f.endsWith('-quick.json'))) {
    it(`the graph form of specs/${file} builds the same initial weights as its slot form`, async () => {
      const raw = read(`specs/${file}`);
      const slot = validator.check(structuredClone(raw), file);
      expect(await weights(validator.check(asGraph(raw), file))).to.deep.equal(await weights(slot));
    });
  }

  // sha256 of the initial weights (float32 bytes, in model order) of each shipped quick spec, as built before graphs:
  // the slot form compiled into the graph keeps them (and so, for the same seed, the metrics).
  const BEFORE_GRAPHS: Record<string, string> = {
    'emoheal-quick.json': '5621c3c00b276bd3',
    'resnet-gru-quick.json': 'a9e86004d827c8a7',
    'stress-predict-quick.json': '5621c3c00b276bd3',
    'tcn-gru-quick.json': '867e378f90e3410f',
    'tcn-mha-quick.json': 'bfd082cc95c465af',
    'tcn-transformer-quick.json': 'f130e627e3e2794c',
    'tcn-xlstm-quick.json': '76d83aba50ea55ca',
  };
  it('every shipped quick spec builds the initial weights it built before specs were graphs', async () => {
    for (const [file, sha] of Object.entries(BEFORE_GRAPHS)) {
      const w = await weights(validator.check(read(`specs/${file}`), file));
      expect(crypto.createHash('sha256').update(Buffer.from(Float32Array.from(w).buffer)).digest('hex').slice(0, 16), file).to.equal(sha);
    }
  });

  it('per-sensor encoders as nodes build the same weights as "encoders" in the slot form', async () => {
    const tcn = { type: 'tcn', channels: [8, 8], kernelSize: 2, dropout: 0.1 };
    const slot = structuredClone(TINY);
    delete slot.encoder;
    slot.encoders = { hr: tcn, eda: tcn, bvp: tcn };
    const a = validator.check(slot, 'slot.json');
    const b = validator.check(graph(), 'graph.json');
    expect(await weights(b)).to.deep.equal(await weights(a));
  });

  const cases: { name: string; spec: () => Record<string, unknown>; path: string; text: string }[] = [
    { name: 'unknown input', spec: () => graph({ gru: { type: 'bigru', units: 8, inputs: ['fuse'] }, fuse: { type: 'concat', inputs: ['enc'] } }), path: '/nodes/fuse/inputs/0', text: '"enc" is neither an input nor a node' },
    {
      name: 'cycle',
      spec: () =>
        graph({
          a: { type: 'tcn', inputs: ['hr', 'b'] },
          b: { type: 'tcn', inputs: ['a'] },
          fuse: { type: 'concat', inputs: ['b'] },
          gru: { type: 'bigru', units: 8, inputs: ['fuse'] },
        }),
      path: '/nodes/a/inputs',
      text: 'cycle a -> b -> a',
    },
    {
      name: 'node whose output reaches no output',
      spec: () => graph({ enc: { type: 'tcn', inputs: ['hr', 'eda', 'bvp'] }, spare: { type: 'tcn', inputs: ['hr'] }, fuse: { type: 'concat', inputs: ['enc'] }, gru: { type: 'bigru', units: 8, inputs: ['fuse'] } }),
      path: '/nodes/spare',
      text: 'reaches no output',
    },
    {
      name: 'output without a label',
      spec: () => graph(undefined, { arousal: { node: 'gru' } }),
      path: '/outputs/arousal',
      text: 'has no label',
    },
    {
      name: 'output naming no node',
      spec: () => graph(undefined, { arousal: { node: 'grru', label: 'arousal' } }),
      path: '/outputs/arousal/node',
      text: '"grru", which is not a node',
    },
    {
      name: 'ranks that do not meet (a head fed by an encoder)',
      spec: () => graph({ enc: { type: 'tcn', inputs: ['hr', 'eda', 'bvp'] }, gru: { type: 'bigru', units: 8, inputs: ['enc'] } }),
      path: '/nodes/gru/inputs',
      text: 'takes [time, features] per window, but gets [20, 3, 25] from enc',
    },
    {
      name: 'branches whose shapes do not meet (time steps)',
      spec: () =>
        graph({
          a: { type: 'tcn', channels: [8], inputs: ['hr'] },
          b: { type: 'tcn', channels: [8], stride: 2, inputs: ['eda', 'bvp'] },
          fuse: { type: 'concat', inputs: ['a', 'b'] },
          gru: { type: 'bigru', units: 8, inputs: ['fuse'] },
        }),
      path: '/nodes/fuse/inputs',
      text: 'inputs [20, 1, 8], [10, 2, 8] cannot be stacked',
    },
    { name: 'unknown node type', spec: () => graph({ fuse: { type: 'kontakt', inputs: ['hr'] }, gru: { type: 'bigru', inputs: ['fuse'] } }), path: '/nodes/fuse/type', text: 'unknown node type "kontakt"' },
    { name: "a node's options against its plugin's schema", spec: () => graph({ enc: { type: 'tcn', channelz: [8], inputs: ['hr', 'eda', 'bvp'] }, fuse: { type: 'concat', inputs: ['enc'] }, gru: { type: 'bigru', inputs: ['fuse'] } }), path: '/nodes/enc', text: 'unknown option "channelz"' },
    {
      name: 'a node with the name of an input',
      spec: () => graph({ hr: { type: 'tcn', inputs: ['eda', 'bvp'] }, fuse: { type: 'concat', inputs: ['hr'] }, gru: { type: 'bigru', inputs: ['fuse'] } }),
      path: '/nodes/hr',
      text: 'has the name of an input',
    },
    { name: 'slot keys beside the graph', spec: () => ({ ...graph(), head: { type: 'bigru' } }), path: '/head', text: 'replaces "head"' },
    { name: 'an input rate above its sensor\'s native rate', spec: () => ({ ...graph(), inputs: { hr: { sensor: 'hr', rate: 64 }, eda: { sensor: 'eda' }, bvp: { sensor: 'bvp' } } }), path: '/inputs/hr/rate', text: 'above the native 1 Hz of "hr"' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with its JSON path and a fix`, () => {
      const issues = issuesOf(c.spec());
      expect(issues.map((i) => i.path), JSON.stringify(issues)).to.deep.equal([c.path]);
      expect(issues[0].message).to.contain(c.text);
    });
  }

  it('an input whose sensor the dataset does not provide is named by its input (sensors not given)', () => {
    // the example third-party adapter provides hr and eda only
    // The example plugin is plain JavaScript outside the workspaces, loaded by its path as a user's spec would.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const example = require(path.join(ROOT, 'examples', 'csv-folder-adapter', 'index.js')).default;
    const v = new SpecValidator(getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule, example)));
    const issues = specIssues(v, { ...graph(), dataset: { type: 'csv-folder', path: 'data' } });
    expect(issues.map((i) => i.path)).to.deep.equal(['/inputs/bvp/sensor']);
    expect(issues[0].message).to.contain('dataset "csv-folder" has no sensor "bvp"; it provides hr, eda');
  });

  it("a node's plugin check sees the node's own sensors and input length, under the node's path", () => {
    const issues = issuesOf(graph({ enc: { type: 'tcn', kernelSize: 21, inputs: ['hr', 'eda', 'bvp'] }, fuse: { type: 'concat', inputs: ['enc'] }, gru: { type: 'bigru', inputs: ['fuse'] } }));
    expect(issues.map((i) => i.path)).to.deep.equal(['/nodes/enc/kernelSize']);
  });

  it('the output names the label and classes the windows are cut for', () => {
    const s = validator.check(graph(undefined, { v: { node: 'gru', label: 'valence', classes: ['neg', 'pos'] } }), 'x.json');
    expect(s.preprocessing.label).to.include({ target: 'valence' });
    expect(s.preprocessing.label.classes).to.deep.equal(['neg', 'pos']);
    expect(s.sensors).to.deep.equal(['hr', 'eda', 'bvp']);
  });

  it('random graphs: refused with paths, or they build, run and match the estimated parameter count and inferred shapes', () => {
    const sensors = ['hr', 'eda', 'bvp'];
    const arb = fc.record({
      branches: fc.array(
        fc.record({ from: fc.subarray(sensors, { minLength: 1 }), enc: fc.integer({ min: 0, max: 2 }), fus: fc.integer({ min: 0, max: 1 }), units: fc.integer({ min: 2, max: 6 }) }),
        { minLength: 1, maxLength: 3 }
      ),
      combine: fc.constantFrom('mean', 'weighted', 'head'),
      // a wrong wire: node k takes input j instead (or nothing changes)
      rewire: fc.option(fc.record({ k: fc.nat(20), j: fc.nat(20) }), { nil: undefined }),
    });
    let built = 0;
    fc.assert(
      fc.property(arb, (r) => {
        const nodes: Record<string, { type: string; inputs: string[]; [k: string]: unknown }> = {};
        const last: string[] = [];
        r.branches.forEach((b, i) => {
          let from = b.from;
          if (b.enc === 2) {
            nodes[`s${i}`] = { type: 'stack', inputs: from };
            from = [`s${i}`];
          }
          nodes[`e${i}`] = { type: 'tcn', channels: [b.units], stride: b.enc === 1 ? 2 : 1, inputs: from };
          nodes[`f${i}`] = b.fus ? { type: 'attention', units: 4, inputs: [`e${i}`] } : { type: 'concat', inputs: [`e${i}`] };
          if (r.combine === 'head') last.push(`f${i}`);
          else {
            nodes[`h${i}`] = { type: 'bigru', units: b.units, inputs: [`f${i}`] };
            last.push(`h${i}`);
          }
        });
        nodes.top = r.combine === 'head' ? { type: 'bigru', units: 4, inputs: last } : { type: r.combine, inputs: last };
        const keys = Object.keys(nodes);
        if (r.rewire) nodes[keys[r.rewire.k % keys.length]].inputs = [[...keys, ...sensors][r.rewire.j % (keys.length + 3)]];
        const used = new Set(Object.values(nodes).flatMap((n) => n.inputs));
        const s = graph(nodes, { y: { node: 'top', label: 'arousal' } });
        s.inputs = Object.fromEntries(sensors.filter((x) => used.has(x)).map((x) => [x, { sensor: x }]));
        let valid: GraphSpec;
        try {
          valid = validator.check(s, 'x.json');
        } catch (e) {
          if (e instanceof SpecValidationError) return;
          throw e;
        }
        const p = valid.preprocessing;
        const m = buildModel(valid, registries, { sensors: valid.sensors, length: Math.round(p.window * p.sampleRate), classes: 2 }, valid.seed);
        try {
          expect(estimateMemory(valid, registries).parameters).to.equal(parameterCounts(m).total);
          const out = tf.tidy(() => (m.predict(tf.zeros([2, 20, valid.sensors.length])) as tf.Tensor).shape);
          expect(out).to.deep.equal([2, 2]);
          built++;
        } finally {
          m.dispose();
        }
      }),
      { numRuns: 300, seed: 11 }
    );
    expect(built, 'some random graphs were valid and built').to.be.greaterThan(50);
  });

  it('fusion-cli validate prints the graph with the inferred shape on every edge; a bad graph exits 2 naming the path', () => {
    const dir = tmpDir('fusion-graph-');
    const ok = cli(['validate', path.join(ROOT, 'specs', 'strategies', 'intermediate-quick.json')], dir);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain('hr [20, 1, 1] + eda [20, 1, 1] + temp [20, 1, 1] + bvp [20, 1, 1] + acc [20, 1, 1] -> encoder (encoder tcn-casa) -> [20, 5, 16]');
    expect(ok.stdout).to.contain('encoder [20, 5, 16] -> fusion (fusion concat) -> [20, 80]');
    expect(ok.stdout).to.contain('head [32] -> output arousal');
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify(graph({ gru: { type: 'bigru', inputs: ['fuse'] }, fuse: { type: 'concat', inputs: ['gru'] } })));
    const r = cli(['validate', bad], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('/nodes/gru/inputs').and.contain('cycle');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

