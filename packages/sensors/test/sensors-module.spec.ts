import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { createContainer, DatasetError, getRegistries, LoadContext, requireData, SpecValidator } from '@fusion/core';
import { sensorsModule } from '../src';
import { datasetSpec as spec, E4_SAMPLE, tmpDir } from './helpers';

function context(baseDir: string, sensors: string[] = ['hr', 'eda']): LoadContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { baseDir, cacheDir: path.join(baseDir, 'cache'), sensors, warn: (m) => warnings.push(m), warnings };
}

describe('sensors container module', function () {
  this.timeout(20000);
  let dir: string;
  before(() => {
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('registers the kemocon, synthetic and e4 adapters', () => {
    const reg = getRegistries(createContainer(sensorsModule));
    expect(reg.datasets.types()).to.deep.equal(['e4', 'kemocon', 'stress-predict', 'synthetic']);
    for (const a of reg.datasets.all()) {
      expect(a.sensors).to.deep.equal(['acc', 'bvp', 'eda', 'temp', 'hr']);
      expect(a.description).to.be.a('string').and.not.equal('');
      expect((a.schema.properties as Record<string, unknown>).type).to.deep.equal({ const: a.type });
    }
  });

  it('has strict-mode schemas that fill defaults and reject unknown options', () => {
    const validator = new SpecValidator(getRegistries(createContainer(sensorsModule)));
    const s = validator.check(spec({ type: 'synthetic' }));
    expect(s.dataset).to.deep.equal({ type: 'synthetic', participants: 8, minutes: 10, effect: 1, seed: 1 });
    const k = validator.check(spec({ type: 'kemocon', path: 'data', participants: [1, '2'] }));
    expect(k.dataset.annotator).to.equal('external');
    expect(() => validator.check(spec({ type: 'kemocon', path: 'data', annotator: 'boss' }))).to.throw(/annotator|"boss"/);
    expect(() => validator.check(spec({ type: 'e4', path: 'x', extra: 1 }))).to.throw(/unknown option "extra"/);
    expect(() => validator.check(spec({ type: 'kemocon' }))).to.throw(/missing required option "path"/);
  });

  it('load() names the resolved folder when it is missing', async () => {
    const reg = getRegistries(createContainer(sensorsModule));
    for (const type of ['kemocon', 'e4']) {
      let err: unknown;
      try {
        await reg.datasets.get(type).load({ type, path: 'no/such/folder' }, context(dir));
      } catch (e) {
        err = e;
      }
      expect(err, type).to.be.instanceOf(DatasetError);
      expect((err as Error).message).to.contain(`dataset folder not found: ${path.join(dir, 'no', 'such', 'folder')}`).and.contain('"path": "no/such/folder"');
    }
  });

  it('synthetic load() generates into the cache dir and reads back only the requested sensors', async () => {
    const adapter = getRegistries(createContainer(sensorsModule)).datasets.get('synthetic');
    const cfg = { type: 'synthetic', participants: 2, minutes: 1, effect: 1, seed: 3 };
    const ds = await adapter.load(cfg, context(dir));
    expect(ds.recordings.map((r) => r.subject)).to.deep.equal(['1', '2']);
    expect(Object.keys(ds.recordings[0].signals).sort()).to.deep.equal(['eda', 'hr']);
    expect(ds.recordings[0].labels).to.have.length(12);
    const cached = fs.readdirSync(path.join(dir, 'cache'));
    expect(cached).to.have.length(1);
    expect(cached[0]).to.match(/^synthetic-[0-9a-f]{12}$/);
    const own = await adapter.load({ ...cfg, dir: 'mine' }, context(dir, ['bvp']));
    expect(fs.existsSync(path.join(dir, 'mine', 'synthetic.json'))).to.equal(true);
    expect(Object.keys(own.recordings[0].signals)).to.deep.equal(['bvp']);
  });

  it('e4 load() reads an export folder with no labels', async function () {
    const e4 = requireData(this, ...E4_SAMPLE);
    const adapter = getRegistries(createContainer(sensorsModule)).datasets.get('e4');
    const ds = await adapter.load({ type: 'e4', path: e4 }, context(dir, ['temp']));
    expect(ds.recordings).to.have.length(1);
    expect(ds.recordings[0].subject).to.equal('empatica');
    expect(ds.recordings[0].labels).to.deep.equal([]);
    expect(Object.keys(ds.recordings[0].signals)).to.deep.equal(['temp']);
  });

  it('e4 load() names the missing file of a requested sensor', async function () {
    const e4 = requireData(this, ...E4_SAMPLE);
    const copy = path.join(dir, 'e4-no-temp');
    fs.mkdirSync(copy);
    for (const f of ['EDA.csv', 'HR.csv']) fs.copyFileSync(path.join(e4, f), path.join(copy, f));
    const adapter = getRegistries(createContainer(sensorsModule)).datasets.get('e4');
    let err: unknown;
    try {
      await adapter.load({ type: 'e4', path: copy }, context(dir, ['eda', 'temp']));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DatasetError);
    expect((err as Error).message).to.contain(path.join(copy, 'TEMP.csv')).and.contain('"temp" was requested');
  });
});
