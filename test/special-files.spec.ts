import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * A path that is not a regular file where a data file is expected (FIFO, character device, folder, symlink loop,
 * dangling symlink) is named by every reader before anything opens it. Each read runs in a child process with a time
 * limit: without the check a FIFO blocks the reader for ever and /dev/zero never ends, which would hang this suite.
 */
type Kind = 'FIFO (named pipe)' | 'character device' | 'directory' | 'symlink loop' | 'broken symlink';
const KINDS: Kind[] = ['FIFO (named pipe)', 'character device', 'directory', 'symlink loop', 'broken symlink'];

/** Makes `file` a path of the given kind. */
function make(file: string, kind: Kind): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (kind === 'FIFO (named pipe)') execFileSync('mkfifo', [file]);
  else if (kind === 'character device') fs.symlinkSync('/dev/zero', file);
  else if (kind === 'directory') fs.mkdirSync(file);
  else if (kind === 'symlink loop') {
    fs.symlinkSync(path.basename(file) + '.b', file);
    fs.symlinkSync(path.basename(file), file + '.b');
  } else fs.symlinkSync(path.join(path.dirname(file), 'no-such-target.csv'), file);
}

/**
 * Runs each `[dir, body]` (JS with `dir` bound) in one child node process; returns what each threw (name, message). The
 * time limit turns a blocked read into a failure instead of a hung suite.
 */
function thrownAll(cases: [string, string][]): { name: string; message: string }[] {
  const one = ([dir, body]: [string, string]): string =>
    `(() => { const dir = ${JSON.stringify(dir)}; try { ${body}; return { name: 'none', message: '' }; } catch (e) { return { name: e.name, message: e.message }; } })()`;
  const script = `console.log(JSON.stringify([${cases.map(one).join(',\n')}]));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30000, maxBuffer: 1 << 22 });
  expect(r.error, `the readers returned within 30 s (${r.error?.message})`).to.equal(undefined);
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

const E4 = `const s = require('@fusion/sensors'); const path = require('path');`;
const READERS: { name: string; target: (dir: string) => string; prepare?: (dir: string) => void; read: string }[] = [
  { name: 'E4 export (BVP.csv)', target: (d) => path.join(d, 'e4', 'BVP.csv'), read: `${E4} s.readE4Export(path.join(dir, 'e4'), ['bvp'])` },
  {
    name: 'E4 IBI.csv (optional file)',
    target: (d) => path.join(d, 'e4', 'IBI.csv'),
    prepare: (d) => fs.writeFileSync(path.join(d, 'e4', 'HR.csv'), '1644227574\n1\n70\n71\n'),
    read: `${E4} s.readE4Export(path.join(dir, 'e4'), ['hr'])`,
  },
  { name: 'K-EmoCon signal', target: (d) => path.join(d, 'E4_BVP.csv'), read: `${E4} s.readKEmoConSignal(path.join(dir, 'E4_BVP.csv'), 'bvp')` },
  { name: 'Stress-Predict tags', target: (d) => path.join(d, 'tags_S01.csv'), read: `${E4} s.readStressPredictTags(path.join(dir, 'tags_S01.csv'))` },
  {
    name: 'stream replay (the e4 adapter\'s readRecording)',
    target: (d) => path.join(d, 'replay', 'EDA.csv'),
    prepare: (d) => fs.writeFileSync(path.join(d, 'replay', 'HR.csv'), '1644227574\n1\n70\n71\n'),
    read: `${E4} s.e4Adapter.readRecording(path.join(dir, 'replay'), { sensors: ['hr', 'eda'], warn() {} })`,
  },
];

describe('data paths that are not regular files (FIFO, device, folder, symlink loop, dangling link)', function () {
  this.timeout(120000);
  let root: string;
  before(() => (root = tmpDir('fusion-special-files-')));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const results = new Map<string, { file: string; error: { name: string; message: string } }>();
  before(() => {
    const cases: [string, string][] = [];
    const keys: [string, string][] = [];
    for (const reader of READERS) {
      for (const kind of KINDS) {
        const dir = fs.mkdtempSync(path.join(root, 'case-'));
        const file = reader.target(dir);
        make(file, kind);
        reader.prepare?.(dir);
        cases.push([dir, reader.read]);
        keys.push([`${reader.name}/${kind}`, file]);
      }
    }
    cases.push([root, `require('@fusion/sensors').readE4Signal('/dev/zero', 'bvp')`]);
    keys.push(['/dev/zero', '/dev/zero']);
    thrownAll(cases).forEach((error, i) => results.set(keys[i][0], { file: keys[i][1], error }));
  });

  for (const reader of READERS) {
    for (const kind of KINDS) {
      it(`${reader.name}: a ${kind} is named, nothing blocks`, () => {
        const { file, error } = results.get(`${reader.name}/${kind}`)!;
        expect(error.name, error.message).to.equal('DatasetError');
        expect(error.message).to.contain(file).and.contain(`is a ${kind}, expected a regular file`);
      });
    }
  }

  it('a character device given directly (/dev/zero) is refused', () => {
    const { error } = results.get('/dev/zero')!;
    expect(error.name).to.equal('DatasetError');
    expect(error.message).to.contain('/dev/zero is a character device, expected a regular file');
  });

  for (const kind of KINDS) {
    it(`fusion-cli validate: a spec file that is a ${kind} exits 2 naming it`, () => {
      const dir = fs.mkdtempSync(path.join(root, 'spec-'));
      const file = path.join(dir, 'spec.json');
      make(file, kind);
      const r = cli(['validate', file], dir, 20000);
      expect(r.error, 'the command returned').to.equal(undefined);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(`is a ${kind}, expected a regular file`);
    });
  }

  it('a dataset folder that is a FIFO is named as such (fusion-cli run exits 1)', () => {
    const dir = fs.mkdtempSync(path.join(root, 'folder-'));
    execFileSync('mkfifo', [path.join(dir, 'data')]);
    const spec = { ...JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8')), dataset: { type: 'e4', path: 'data' } };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    const r = cli(['run', 'spec.json'], dir, 30000);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(`dataset folder ${path.join(dir, 'data')} is a FIFO (named pipe), expected a folder`);
  });
});
