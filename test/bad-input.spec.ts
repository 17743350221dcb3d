import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { writeSyntheticFiles } from '@fusion/sensors';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * Bad input through the real CLI process, table-driven: each case writes a spec (and data), runs
 * `fusion-cli run`, and checks the exit code, a message fragment naming the place (file:line or JSON path) and that
 * nothing was written (no runs/<name> folder, no staging or partial folder). Cases already in cli-errors.spec.ts
 * (malformed JSON with ",,", invalid options, missing files, csv-folder header/garbage/NaN/empty) are not repeated.
 */

interface Case {
  name: string;
  /** Prepares `dir` (a fresh copy of a tiny K-EmoCon-layout dataset in `dir/kemocon`) and returns the spec text. */
  setup: (dir: string, spec: Record<string, unknown>) => string;
  exit: number;
  /** Fragments the stderr must contain; `${dir}` is replaced by the case folder. */
  stderr: (string | RegExp)[];
  /** Hidden partial folders a failed training leaves (resumable); see the note in the README. */
  allowPartial?: boolean;
}

const kemoconFile = (dir: string, ...p: string[]): string => path.join(dir, 'kemocon', ...p);

function editLine(file: string, line: number, fn: (l: string) => string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines[line - 1] = fn(lines[line - 1]);
  fs.writeFileSync(file, lines.join('\n'));
}

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

const CASES: Case[] = [
  {
    name: 'spec-deep-nesting',
    setup: (_d, s) => JSON.stringify({ ...s, seed: '@' }).replace('"@"', deep(20000)),
    exit: 2,
    stderr: ['at /seed', 'expected integer'],
  },
  {
    name: 'spec-unexpected-token',
    setup: (_d, s) => JSON.stringify(s, null, 2).replace('"seed": 5', '"seed": ,'),
    exit: 2,
    stderr: [/spec\.json: 1 problem/, /not valid JSON \(line 3, column 11\)/],
  },
  {
    name: 'spec-truncated',
    setup: (_d, s) => JSON.stringify(s, null, 2).slice(0, 200),
    exit: 2,
    stderr: [/not valid JSON \(line \d+, column \d+\)/],
  },
  {
    name: 'spec-wrong-types-and-huge-numbers',
    setup: (_d, s) => JSON.stringify({ ...s, seed: 1e308, training: { epochs: '2', batchSize: Infinity }, preprocessing: { sampleRate: 'NaN' } }),
    exit: 2,
    stderr: ['at /seed', 'at /training/epochs', 'found "2"', 'at /training/batchSize', 'at /preprocessing/sampleRate'],
  },
  {
    name: 'spec-plugin-not-a-plugin',
    setup: (d, s) => {
      fs.writeFileSync(path.join(d, 'not-a-plugin.js'), 'module.exports = { hello: 1 };\n');
      return JSON.stringify({ ...s, plugins: ['./not-a-plugin.js'] });
    },
    exit: 1,
    stderr: ['not-a-plugin.js: "./not-a-plugin.js" exports no ContainerModule', 'hello'],
  },
  {
    name: 'csv-value-beyond-float32',
    setup: (d, s) => {
      editLine(kemoconFile(d, 'e4_data', '2', 'E4_HR.csv'), 5, (l) => l.replace(/^(\d+),[^,]+/, '$1,1e39'));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['E4_HR.csv:5:', 'value is 1e39', 'beyond the range'],
  },
  {
    name: 'csv-infinite-value',
    setup: (d, s) => {
      editLine(kemoconFile(d, 'e4_data', '1', 'E4_EDA.csv'), 7, (l) => l.replace(/^(\d+),[^,]+/, '$1,1e400'));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['E4_EDA.csv:7:', '"1e400"'],
  },
  {
    name: 'csv-binary-bytes',
    setup: (d, s) => {
      const f = kemoconFile(d, 'e4_data', '3', 'E4_BVP.csv');
      const b = fs.readFileSync(f);
      const at = b.indexOf(0x0a, b.indexOf(0x0a, b.indexOf(0x0a) + 1) + 1) + 3; // inside line 4
      fs.writeFileSync(f, Buffer.concat([b.subarray(0, at), Buffer.from([0x00, 0xff, 0x13]), b.subarray(at)]));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['E4_BVP.csv:4:', 'binary byte 0x00'],
  },
  {
    name: 'csv-semicolons',
    setup: (d, s) => {
      const f = kemoconFile(d, 'e4_data', '1', 'E4_HR.csv');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/,/g, ';'));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['E4_HR.csv:1:', 'header is "timestamp;value;device_serial"'],
  },
  {
    name: 'csv-truncated-subjects',
    setup: (d, s) => {
      const f = kemoconFile(d, 'metadata', 'subjects.csv');
      const t = fs.readFileSync(f, 'utf8');
      fs.writeFileSync(f, t.slice(0, t.indexOf('\n', t.indexOf('\n') + 1) + 12)); // cut inside row 3
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['subjects.csv:3:', 'expected 4 as in the header'],
  },
  {
    name: 'csv-blank-line-crlf-mix',
    setup: (d, s) => {
      const f = kemoconFile(d, 'e4_data', '2', 'E4_TEMP.csv');
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      lines.splice(6, 0, '\r');
      fs.writeFileSync(f, lines.map((l, i) => (i % 2 ? l + '\r' : l)).join('\n'));
      return JSON.stringify({ ...s, sensors: ['hr', 'eda', 'temp'] });
    },
    exit: 1,
    stderr: ['E4_TEMP.csv:7:', 'blank line before more data'],
  },
  {
    name: 'csv-rating-out-of-range',
    setup: (d, s) => {
      editLine(kemoconFile(d, 'emotion_annotations', 'external_annotations', 'P1.external.csv'), 3, (l) => l.replace(/^(\d+),\d/, '$1,9'));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['P1.external.csv:3:', 'arousal is 9', 'expected a rating from 1 to 5'],
  },
  {
    name: 'csv-missing-sensor-file',
    setup: (d, s) => {
      fs.rmSync(kemoconFile(d, 'e4_data', '2', 'E4_BVP.csv'));
      return JSON.stringify(s);
    },
    exit: 1,
    stderr: ['K-EmoCon bvp file not found', path.join('e4_data', '2', 'E4_BVP.csv'), 'participant 2'],
  },
  {
    name: 'e4-zero-sample-rate',
    setup: (d, s) => {
      const e4 = path.join(d, 'e4', 'S1');
      fs.mkdirSync(e4, { recursive: true });
      fs.writeFileSync(path.join(e4, 'HR.csv'), '1560279835.0\n0\n93.0\n101.0\n');
      fs.writeFileSync(path.join(e4, 'EDA.csv'), '1560279825.0\n4.0\n0.1\n0.2\n');
      return JSON.stringify({ ...s, dataset: { type: 'e4', path: 'e4' }, sensors: ['hr', 'eda'] });
    },
    exit: 1,
    stderr: [/HR\.csv:2: the sample rate is 0 Hz/],
  },
  {
    name: 'weight-decay-out-of-range',
    setup: (_d, s) => JSON.stringify({ ...s, training: { ...(s.training as object), ensemble: 1, weightDecay: 1e39 } }),
    exit: 2,
    stderr: [/at \/training\/weightDecay: found 1e\+39/],
  },
];

describe('fusion-cli run on bad input: exit code, the place named, nothing written (real process)', function () {
  this.timeout(300000);
  let root: string;
  let data: string;
  let base: Record<string, unknown>;
  before(() => {
    root = tmpDir('fusion-bad-input-');
    data = path.join(root, '_kemocon');
    writeSyntheticFiles(data, { participants: 3, minutes: 1, effect: 1, seed: 2 });
    base = {
      ...JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8')),
      dataset: { type: 'kemocon', path: 'kemocon' },
      training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 },
      evaluation: { type: 'loso' },
    };
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const c of CASES) {
    it(`${c.name}: exit ${c.exit}`, () => {
      const dir = path.join(root, c.name);
      fs.cpSync(data, path.join(dir, 'kemocon'), { recursive: true });
      const text = c.setup(dir, { ...base, name: c.name });
      const spec = path.join(dir, 'spec.json');
      fs.writeFileSync(spec, text);
      const r = cli(['run', spec], dir);
      expect(r.status, `exit code; stderr:\n${r.stderr}`).to.equal(c.exit);
      for (const f of c.stderr) {
        if (typeof f === 'string') expect(r.stderr, c.name).to.contain(f);
        else expect(r.stderr, c.name).to.match(f);
      }
      expect(r.stderr, 'no stack trace').to.not.contain('    at ');
      expect(r.stderr, 'not reported as a bug').to.not.contain('unexpected failure');
      const runs = path.join(dir, 'runs');
      const written = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
      expect(written, 'no run folder').to.not.include(c.name);
      expect(written.filter((n) => n.includes('.staging-') || n.includes('.tmp-')), 'no staging folder').to.deep.equal([]);
      if (!c.allowPartial) expect(written, 'nothing at all under runs/').to.deep.equal([]);
    });
  }

  it('a spec with a byte-order mark is read like one without', () => {
    const dir = path.join(root, 'bom');
    fs.mkdirSync(dir, { recursive: true });
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(spec, '\ufeff' + JSON.stringify({ ...base, name: 'bom', dataset: { type: 'synthetic', participants: 3, minutes: 1, seed: 2 } }));
    const r = cli(['validate', spec], dir);
    expect(r.status, r.stderr).to.equal(0);
  });
});
