import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DatasetAdapter, DatasetAdapterRegistry, DatasetError, PluginError, PreprocessingSpec, Recording, ReplayNotSupportedError } from '@fusion/core';
import { loadReplay } from '../src';

const P: PreprocessingSpec = {
  sampleRate: 1,
  window: 5,
  hop: 5,
  normalize: 'none',
  maxMissing: 0.2,
  label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] },
  augment: { noise: 0, copies: 0 },
};

/** A recording of one 1-Hz hr signal starting at t0, with a span when given. */
function recording(subject: string, t0: number, span?: { start: number; end: number }): Recording {
  return { subject, signals: { hr: { t0, fs: 1, channels: 1, data: new Float32Array(60).fill(70) } }, labels: [], ...(span ? { span } : {}) };
}

/** An adapter whose readRecording claims locations ending in `suffix`; `calls` records what it was asked. */
function adapter(type: string, suffix: string | undefined, calls: string[] = [], rec = (loc: string): unknown => recording(path.basename(loc), 100)): DatasetAdapter {
  const a: DatasetAdapter = {
    type,
    description: type,
    sensors: ['hr'],
    schema: { type: 'object', properties: { type: { const: type } } },
    load: async () => ({ name: type, recordings: [], warnings: [] }),
  };
  if (suffix !== undefined) {
    a.readRecording = (loc, ctx) => {
      calls.push(`${type}:${ctx.sensors.join(',')}`);
      return loc.endsWith(suffix) ? (rec(loc) as Recording) : undefined;
    };
  }
  return a;
}

describe('replay through the dataset adapters (loadReplay)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-replay-adapters-'));
    for (const f of ['a.one', 'b.two', 'c.none']) fs.writeFileSync(path.join(dir, f), '');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('asks the run\'s adapter first, then the others by type; the first that recognises the location reads it', async () => {
    const calls: string[] = [];
    const reg = new DatasetAdapterRegistry([adapter('alpha', '.one', calls), adapter('beta', '.two', calls), adapter('zeta', '.two', calls)]);
    const r = await loadReplay(path.join(dir, 'b.two'), { adapters: reg, prefer: 'zeta', sensors: ['hr'], preprocessing: P });
    expect(r.adapter).to.equal('zeta');
    expect(calls).to.deep.equal(['zeta:hr']);
    calls.length = 0;
    const r2 = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, prefer: 'zeta', sensors: ['hr'], preprocessing: P });
    expect(r2.adapter).to.equal('alpha');
    expect(calls).to.deep.equal(['zeta:hr', 'alpha:hr']);
    expect(r2.stream).to.equal('a.one');
  });

  it('the origin is where evaluation starts the grid: the recording\'s span when it has one', async () => {
    const reg = new DatasetAdapterRegistry([adapter('alpha', '.one', [], (loc) => recording(path.basename(loc), 100, { start: 130, end: 150 }))]);
    const r = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, sensors: ['hr'], preprocessing: P });
    expect(r.origin).to.equal(130);
    const plain = await loadReplay(path.join(dir, 'a.one'), { adapters: new DatasetAdapterRegistry([adapter('alpha', '.one')]), sensors: ['hr'], preprocessing: P });
    expect(plain.origin).to.equal(100);
  });

  it('--dataset asks only that adapter', async () => {
    const calls: string[] = [];
    const reg = new DatasetAdapterRegistry([adapter('alpha', '.one', calls), adapter('beta', '.two', calls)]);
    const err = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, only: 'beta', sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(err).to.be.instanceOf(DatasetError);
    expect(err.message).to.contain('asked: beta)');
    expect(calls).to.deep.equal(['beta:hr']);
  });

  it('an adapter without readRecording is named in a ReplayNotSupportedError when it is the run\'s and nobody else reads the recording', async () => {
    const reg = new DatasetAdapterRegistry([adapter('legacy', undefined), adapter('alpha', '.one')]);
    reg.setOrigin('legacy', '/plugins/legacy.js');
    const err = await loadReplay(path.join(dir, 'c.none'), { adapters: reg, prefer: 'legacy', sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(err).to.be.instanceOf(ReplayNotSupportedError);
    expect(err.name).to.equal('ReplayNotSupportedError');
    expect(err.message).to.contain('dataset adapter "legacy" (plugin /plugins/legacy.js) has no readRecording()').and.contain(path.join(dir, 'c.none'));
    expect(err.message).to.contain('None of the other adapters (alpha) reads it either');
    // the same adapter asked by name
    const named = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, only: 'legacy', sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(named).to.be.instanceOf(ReplayNotSupportedError);
    // a recording another adapter reads is still replayed: the run's adapter being older does not stop it
    const r = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, prefer: 'legacy', sensors: ['hr'], preprocessing: P });
    expect(r.adapter).to.equal('alpha');
  });

  it('a location nobody reads, or that does not exist, is a DatasetError naming it', async () => {
    const reg = new DatasetAdapterRegistry([adapter('alpha', '.one'), adapter('legacy', undefined)]);
    const err = await loadReplay(path.join(dir, 'c.none'), { adapters: reg, sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(err.name).to.equal('DatasetError');
    expect(err.message).to.contain(`${path.join(dir, 'c.none')} is not a recording any dataset adapter reads (asked: alpha; without readRecording: legacy)`);
    const missing = await loadReplay(path.join(dir, 'nope'), { adapters: reg, sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(missing.name).to.equal('DatasetError');
    expect(missing.message).to.contain(`replay recording not found: ${path.join(dir, 'nope')}`);
  });

  it('a plugin\'s readRecording that throws a TypeError or returns garbage is a PluginError naming its file', async () => {
    const reg = new DatasetAdapterRegistry([
      adapter('broken', '.one', [], () => {
        throw new TypeError('x is undefined');
      }),
      adapter('garbage', '.two', [], () => 42),
    ]);
    reg.setOrigin('broken', '/plugins/broken.js');
    reg.setOrigin('garbage', '/plugins/garbage.js');
    const thrown = await loadReplay(path.join(dir, 'a.one'), { adapters: reg, only: 'broken', sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(thrown).to.be.instanceOf(PluginError);
    expect(thrown.message).to.contain('plugin /plugins/broken.js: dataset adapter "broken" readRecording() failed: TypeError: x is undefined');
    const garbage = await loadReplay(path.join(dir, 'b.two'), { adapters: reg, only: 'garbage', sensors: ['hr'], preprocessing: P }).catch((e) => e);
    expect(garbage).to.be.instanceOf(PluginError);
    expect(garbage.message).to.contain('readRecording() returned 42 (a number)');
  });
});
