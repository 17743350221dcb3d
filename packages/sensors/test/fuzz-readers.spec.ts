import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataFormatError, EventSeries, LabelInterval, requireData, Signal } from '@fusion/core';
import { E4_NOMINAL_RATES, readE4Export, readE4Ibi, readE4Signal, readKEmoConAnnotations, readKEmoConIbi, readKEmoConSignal, readKEmoConSubjects } from '../src';
import { E4_SAMPLE, tmpDir } from './helpers';

/**
 * Fuzzing of the CSV readers with mutated files (real E4 exports and small K-EmoCon-layout fixtures): garbage rows,
 * truncation at a random byte, binary bytes, huge values, NaN/Inf, bad or zero sample rates, empty files, wrong
 * delimiters, CRLF mixes, BOM. Each read either gives finite values with a sane result, or throws a DataFormatError
 * that names the file and a 1-based line inside it. Bounded in runs and time (a few seconds per reader).
 */

const RUNS = 150;
const BUDGET_MS = 1000;

// ---------------------------------------------------------------------------------------------- mutations of a file

const CELLS = ['1e308', '-1e308', '3.5e38', '1e39', '1e400', '-1e400', 'NaN', 'nan', 'Inf', '-Infinity', '', ' ', '0', '-0', '-4', '1e-320', '0x10', '+.5', '5.', '.', '1,5', '1;5', 'x', 'IBI', '"7"', '\u00e9'];

type Op =
  | { kind: 'truncate'; at: number }
  | { kind: 'binary'; at: number; bytes: number[] }
  | { kind: 'garbage-row'; at: number; text: string }
  | { kind: 'cell'; at: number; col: number; value: string }
  | { kind: 'row-value'; at: number; value: string }
  | { kind: 'empty' }
  | { kind: 'delimiter'; at: number; delim: string; everywhere: boolean }
  | { kind: 'crlf'; at: number; lone: boolean }
  | { kind: 'bom' }
  | { kind: 'delete-line'; at: number }
  | { kind: 'dup-line'; at: number }
  | { kind: 'swap-lines'; at: number; with: number }
  | { kind: 'blank-line'; at: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('binary' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('garbage-row' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('a,b,c', '1,2,3,4,5,6', ',,,', '1', '1e308,1e308,1e308')) }),
  fc.record({ kind: fc.constant('cell' as const), at: fc.nat(), col: fc.nat({ max: 6 }), value: fc.constantFrom(...CELLS) }),
  // the whole row, e.g. row 2 of an E4 file (the sample rate) set to 0, -4, NaN or 1e308
  fc.record({ kind: fc.constant('row-value' as const), at: fc.oneof(fc.constantFrom(0, 1), fc.nat()), value: fc.constantFrom(...CELLS) }),
  fc.constant({ kind: 'empty' as const }),
  fc.record({ kind: fc.constant('delimiter' as const), at: fc.nat(), delim: fc.constantFrom(';', '\t', ' ', '|'), everywhere: fc.boolean() }),
  fc.record({ kind: fc.constant('crlf' as const), at: fc.nat(), lone: fc.boolean() }),
  fc.constant({ kind: 'bom' as const }),
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('blank-line' as const), at: fc.nat() })
);

const ops = fc.array(op, { minLength: 1, maxLength: 3 });

/** Values that are finite doubles but overflow float32 (known, unfixed in the example plugin: see its test). */
const FLOAT32_OVERFLOW = ['1e308', '-1e308', '3.5e38', '1e39'];
const opsWithoutFloat32Overflow = ops.filter(
  (os_) => !os_.some((o) => ('value' in o && FLOAT32_OVERFLOW.includes(o.value)) || (o.kind === 'garbage-row' && /e3\d\d|e39/.test(o.text)))
);

/** Applies one mutation; lines are handled as latin1 text so that every byte survives. */
function apply(buf: Buffer, o: Op): Buffer {
  const text = buf.toString('latin1');
  const lines = text.split('\n');
  const L = lines.length;
  const join = (ls: string[]): Buffer => Buffer.from(ls.join('\n'), 'latin1');
  switch (o.kind) {
    case 'truncate':
      return buf.subarray(0, o.at % (buf.length + 1));
    case 'binary': {
      const at = o.at % (buf.length + 1);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(o.bytes), buf.subarray(at)]);
    }
    case 'garbage-row':
      lines.splice(o.at % (L + 1), 0, o.text.replace(/\n/g, ' '));
      return join(lines);
    case 'cell': {
      const i = o.at % L;
      const cells = lines[i].split(',');
      cells[o.col % cells.length] = o.value;
      lines[i] = cells.join(',');
      return join(lines);
    }
    case 'row-value': {
      const i = o.at % L;
      lines[i] = lines[i]
        .split(',')
        .map(() => o.value)
        .join(',');
      return join(lines);
    }
    case 'empty':
      return Buffer.alloc(0);
    case 'delimiter':
      if (o.everywhere) return Buffer.from(text.replace(/,/g, o.delim), 'latin1');
      lines[o.at % L] = lines[o.at % L].replace(/,/g, o.delim);
      return join(lines);
    case 'crlf':
      lines[o.at % L] += '\r';
      return o.lone ? Buffer.from(lines.join(''), 'latin1') : join(lines);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
    case 'delete-line':
      lines.splice(o.at % L, 1);
      return join(lines);
    case 'dup-line':
      lines.splice(o.at % L, 0, lines[o.at % L]);
      return join(lines);
    case 'swap-lines': {
      const [a, b] = [o.at % L, o.with % L];
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return join(lines);
    }
    case 'blank-line':
      lines.splice(o.at % (L + 1), 0, '');
      return join(lines);
  }
}

function mutateAll(base: Buffer, os_: Op[]): Buffer {
  return os_.reduce(apply, base);
}

/**
 * Lines of a file as an editor numbers them (a final line break does not open a line; an empty file has 0). A lone CR
 * counts as a break here, as some CSV parsers (csv-parse) take it as one: this is only an upper bound.
 */
function lineCount(buf: Buffer): number {
  const text = buf.toString('latin1');
  if (text === '') return 0;
  return text.replace(/(\r\n|\r|\n)$/, '').split(/\r\n|\r|\n/).length;
}

/** Whole-file findings that have no single line (a sample rate estimated from all timestamps, the session span). */
const WHOLE_FILE = /timestamps give about|timestamps span|fewer than two distinct timestamps/;

/**
 * The contract: `read()` returns something `sane()` accepts, or throws a DataFormatError naming `file` and a line in
 * it (a missing row may be named as the line just after the end, e.g. "row 2 is missing" in a 1-line file).
 */
function check<T>(file: string, buf: Buffer, read: () => T, sane: (v: T) => void): 'ok' | 'rejected' {
  let value: T;
  try {
    value = read();
  } catch (e) {
    if (!(e instanceof DataFormatError)) {
      throw new Error(`expected a DataFormatError or a result, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`);
    }
    expect(e.file, 'err.file').to.equal(file);
    expect(e.message, 'message names the file').to.contain(file);
    if (e.line === undefined) {
      expect(e.message, `a DataFormatError without a line must be a whole-file finding: ${e.message}`).to.match(WHOLE_FILE);
    } else {
      expect(Number.isInteger(e.line), `integer line: ${e.line}`).to.equal(true);
      expect(e.line, `line of ${e.message} (file has ${lineCount(buf)} lines)`).to.be.within(1, Math.max(1, lineCount(buf) + 1));
      expect(e.message, 'message names the line').to.contain(`${file}:${e.line}:`);
    }
    return 'rejected';
  }
  sane(value);
  return 'ok';
}

function allFinite(a: ArrayLike<number>, what: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error(`${what}[${i}] = ${a[i]} is not finite`);
}

function saneE4Signal(s: Signal, channels?: number): void {
  expect(Number.isFinite(s.t0) && s.t0 >= 0, `t0 ${s.t0}`).to.equal(true);
  expect(s.fs > 0 && s.fs <= 10000, `fs ${s.fs}`).to.equal(true);
  if (channels) expect(s.channels).to.equal(channels);
  expect(s.data.length % s.channels).to.equal(0);
  allFinite(s.data, 'data');
}

function saneIbi(e: EventSeries): void {
  allFinite(e.times, 'times');
  allFinite(e.values, 'values');
  for (let i = 0; i < e.values.length; i++) expect(e.values[i] > 0 && e.values[i] <= 10, `ibi ${e.values[i]}`).to.equal(true);
  for (let i = 1; i < e.times.length; i++) expect(e.times[i] >= e.times[i - 1], 'increasing times').to.equal(true);
}

/** K-EmoCon signals keep gaps as NaN by design; everything else must be finite. */
function saneKEmoConSignal(s: Signal, sensor: string): void {
  expect(Number.isFinite(s.t0), `t0 ${s.t0}`).to.equal(true);
  expect(s.fs).to.equal(E4_NOMINAL_RATES[sensor]);
  expect(s.data.length % s.channels).to.equal(0);
  for (let i = 0; i < s.data.length; i++) if (!Number.isNaN(s.data[i])) expect(Number.isFinite(s.data[i]), `data[${i}] = ${s.data[i]}`).to.equal(true);
}

function saneLabels(ls: LabelInterval[]): void {
  for (const l of ls) {
    expect(Number.isFinite(l.start) && Number.isFinite(l.end) && l.end > l.start).to.equal(true);
    for (const v of Object.values(l.values)) expect(v >= 1 && v <= 5).to.equal(true);
  }
}

// ------------------------------------------------------------------------------------------------------- fixtures

const INIT = 1557000000000;
const START = INIT + 2000;
const END = START + 10000;

function kemoconFiles(): Record<string, string> {
  const D = 12;
  const bvp = ['timestamp,value,device_serial'];
  for (let i = 0; i < D * 64; i++) bvp.push(`${INIT + i * 15.625 + (i % 3) * 0.4},${Math.sin(i / 10).toFixed(3)},A01A3A`);
  const eda = ['timestamp,value,device_serial,pid,device_number,entry_time'];
  for (let i = 0; i < D * 4; i++) eda.push(`${INIT + i * 250},${(1.5 + i / 1000).toExponential(4)},A01A3A,4,1,2019-05-05 10:00:00`);
  const temp = ['device_serial,value,timestamp'];
  for (let i = 0; i < D * 4; i++) temp.push(`A01A3A,${(33 + i / 100).toFixed(2)},${INIT + i * 250}`);
  const acc = ['timestamp,x,y,z,device_serial'];
  for (let i = 0; i < D * 32; i++) acc.push(`${INIT + i * 31.25},-64,${i % 7},32,A01A3A`);
  const hr = ['timestamp,value,device_serial'];
  for (let i = 0; i < D; i++) {
    hr.push(`${INIT + i * 1000},${70 + i},A01A3A`);
    if (i % 4 === 0) hr.push(`${INIT + i * 1000 + 500},120,B02B4B`);
  }
  return {
    bvp: bvp.join('\n') + '\n',
    eda: eda.join('\r\n') + '\r\n',
    temp: temp.join('\n') + '\n',
    acc: acc.join('\n') + '\n',
    hr: hr.join('\n') + '\n',
    ibi: `timestamp,value,device_serial\n${INIT + 1000},812.5,A01A3A\n${INIT + 1800},800,A01A3A\n${INIT + 2650},850,A01A3A\n`,
    subjects: `pid,initTime,startTime,endTime\n4,${INIT},${START},${END}\nP5,${INIT},${START},${END}\n`,
    annotations: 'seconds,arousal,valence,cheerful,happy\n5,3,x,1,2\n10,1,4,x,\n15,,2,1,1\n20,5,5,1,1\n',
  };
}

/** The first `n` lines of a real E4 file (the full files take too long to mutate hundreds of times). */
function head(file: string, n: number): Buffer {
  return Buffer.from(fs.readFileSync(file, 'latin1').split('\n').slice(0, n).join('\n') + '\n', 'latin1');
}

// ----------------------------------------------------------------------------------------------------------- tests

describe('fuzz: CSV readers give finite values or a DataFormatError with file and line', function () {
  this.timeout(60000);
  let dir: string;
  const seen = { ok: 0, rejected: 0 };
  before(() => {
    dir = tmpDir('fusion-fuzz-csv-');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    // Both outcomes must occur, or the mutations are not doing their job.
    expect(seen.ok, 'some mutated files still read').to.be.greaterThan(0);
    expect(seen.rejected, 'some mutated files are rejected').to.be.greaterThan(0);
  });

  const count = (r: 'ok' | 'rejected'): void => {
    seen[r]++;
  };

  /** The first lines of a file of the real e4-sample export (the seed the mutations start from). */
  const e4Base = (ctx: Mocha.Context, name: string): Buffer => head(requireData(ctx, ...E4_SAMPLE, name), 120);

  for (const [sensor, name, channels] of [['acc', 'ACC.csv', 3], ['bvp', 'BVP.csv', 1], ['eda', 'EDA.csv', 1], ['temp', 'TEMP.csv', 1], ['hr', 'HR.csv', 1]] as const) {
    it(`readE4Signal: mutated ${name}`, function () {
      const base = e4Base(this, name);
      const file = path.join(dir, name);
      fc.assert(
        fc.property(ops, fc.boolean(), (o, named) => {
          const buf = mutateAll(base, o);
          fs.writeFileSync(file, buf);
          count(check(file, buf, () => readE4Signal(file, named ? sensor : undefined), (s) => saneE4Signal(s, named ? channels : undefined)));
        }),
        { numRuns: RUNS, seed: 11, interruptAfterTimeLimit: BUDGET_MS }
      );
    });
  }

  it('readE4Signal: huge values and bad sample rates, one at a time', () => {
    const file = path.join(dir, 'EDA.csv');
    for (const rate of ['0', '-4', '1e308', 'NaN', '1e400', '0.0', '10001']) {
      const buf = Buffer.from(`1560279825.0\n${rate}\n0.5\n0.6\n`);
      fs.writeFileSync(file, buf);
      expect(check(file, buf, () => readE4Signal(file, 'eda'), saneE4Signal), rate).to.equal('rejected');
    }
    for (const v of ['1e308', '-1e308', '1e39', '1e400', 'NaN', 'Inf']) {
      const buf = Buffer.from(`1560279825.0\n4.0\n0.5\n${v}\n`);
      fs.writeFileSync(file, buf);
      // A value beyond float32 (~3.4e38) cannot be stored as a sample; it must be rejected on its line, not become Infinity.
      expect(check(file, buf, () => readE4Signal(file, 'eda'), saneE4Signal), v).to.equal('rejected');
    }
  });

  it('readE4Ibi: mutated IBI.csv', function () {
    const base = e4Base(this, 'IBI.csv');
    const file = path.join(dir, 'IBI.csv');
    fc.assert(
      fc.property(ops, (o) => {
        const buf = mutateAll(base, o);
        fs.writeFileSync(file, buf);
        count(check(file, buf, () => readE4Ibi(file), saneIbi));
      }),
      { numRuns: RUNS, seed: 12, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('readE4Export: one mutated file in an export folder', function () {
    const exp = path.join(dir, 'export');
    fs.mkdirSync(exp, { recursive: true });
    const names = ['ACC.csv', 'BVP.csv', 'EDA.csv', 'TEMP.csv', 'HR.csv', 'IBI.csv'];
    const bases = Object.fromEntries(names.map((n) => [n, n === 'IBI.csv' ? Buffer.from('1560279825.0, IBI\n83.5,0.61\n99.97,0.84\n') : e4Base(this, n)]));
    fc.assert(
      fc.property(fc.constantFrom(...names), ops, (name, o) => {
        for (const n of names) fs.writeFileSync(path.join(exp, n), bases[n]);
        const buf = mutateAll(bases[name], o);
        const file = path.join(exp, name);
        fs.writeFileSync(file, buf);
        count(
          check(file, buf, () => readE4Export(exp), (r) => {
            for (const [s, sig] of Object.entries(r.signals)) saneE4Signal(sig, s === 'acc' ? 3 : 1);
            if (r.events?.ibi) saneIbi(r.events.ibi);
          })
        );
      }),
      { numRuns: 60, seed: 13, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  const K = kemoconFiles();
  for (const sensor of ['bvp', 'eda', 'temp', 'acc', 'hr']) {
    it(`readKEmoConSignal: mutated E4_${sensor.toUpperCase()}.csv`, () => {
      const base = Buffer.from(K[sensor], 'latin1');
      const file = path.join(dir, `E4_${sensor.toUpperCase()}.csv`);
      fc.assert(
        fc.property(ops, (o) => {
          const buf = mutateAll(base, o);
          fs.writeFileSync(file, buf);
          count(check(file, buf, () => readKEmoConSignal(file, sensor), (s) => saneKEmoConSignal(s, sensor)));
        }),
        { numRuns: RUNS, seed: 14, interruptAfterTimeLimit: BUDGET_MS }
      );
    });
  }

  it('readKEmoConSignal: huge values are rejected on their line, not stored as Infinity', () => {
    const file = path.join(dir, 'E4_EDA.csv');
    for (const v of ['1e39', '-1e308', '1e308']) {
      const buf = Buffer.from(`timestamp,value\n${INIT},1\n${INIT + 250},${v}\n${INIT + 500},1\n`);
      fs.writeFileSync(file, buf);
      expect(check(file, buf, () => readKEmoConSignal(file, 'eda'), (s) => saneKEmoConSignal(s, 'eda')), v).to.equal('rejected');
    }
  });

  it('readKEmoConIbi: mutated E4_IBI.csv', () => {
    const base = Buffer.from(K.ibi, 'latin1');
    const file = path.join(dir, 'E4_IBI.csv');
    fc.assert(
      fc.property(ops, (o) => {
        const buf = mutateAll(base, o);
        fs.writeFileSync(file, buf);
        count(
          check(file, buf, () => readKEmoConIbi(file), (e) => {
            allFinite(e.times, 'times');
            allFinite(e.values, 'values');
          })
        );
      }),
      { numRuns: RUNS, seed: 15, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('readKEmoConSubjects: mutated metadata/subjects.csv', () => {
    const base = Buffer.from(K.subjects, 'latin1');
    const file = path.join(dir, 'subjects.csv');
    fc.assert(
      fc.property(ops, (o) => {
        const buf = mutateAll(base, o);
        fs.writeFileSync(file, buf);
        count(
          check(file, buf, () => readKEmoConSubjects(file), (subs) => {
            for (const s of subs) {
              expect(s.pid).to.be.a('string').and.not.equal('');
              allFinite([s.initTime, s.startTime, s.endTime], 'times');
              expect(s.endTime > s.startTime).to.equal(true);
            }
          })
        );
      }),
      { numRuns: RUNS, seed: 16, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('readKEmoConAnnotations: mutated annotation file', () => {
    const base = Buffer.from(K.annotations, 'latin1');
    const file = path.join(dir, 'P4.external.csv');
    fc.assert(
      fc.property(ops, (o) => {
        const buf = mutateAll(base, o);
        fs.writeFileSync(file, buf);
        count(check(file, buf, () => readKEmoConAnnotations(file, START), saneLabels));
      }),
      { numRuns: RUNS, seed: 17, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('the example plugin reader (examples/csv-folder-adapter): mutated subject file', async () => {
    const root = path.resolve(__dirname, '..', '..', '..', '..');
    // The example is a plain-JavaScript plugin file outside every package, loaded by path as fusion loads plugins.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plugin = require(path.join(root, 'examples', 'csv-folder-adapter', 'index.js')) as {
      csvFolderAdapter: { load(c: unknown, ctx: unknown): Promise<{ recordings: { signals: Record<string, Signal>; labels: LabelInterval[] }[] }> };
    };
    const data = path.join(dir, 'plugin');
    fs.mkdirSync(data, { recursive: true });
    const base = Buffer.from(fs.readFileSync(path.join(root, 'examples', 'csv-folder-adapter', 'data', 'S1.csv'), 'latin1').split('\n').slice(0, 60).join('\n') + '\n', 'latin1');
    const file = path.join(data, 'S1.csv');
    await fc.assert(
      fc.asyncProperty(opsWithoutFloat32Overflow, async (o) => {
        const buf = mutateAll(base, o);
        fs.writeFileSync(file, buf);
        let outcome: 'ok' | 'rejected' = 'ok';
        let err: unknown;
        let result: Awaited<ReturnType<typeof plugin.csvFolderAdapter.load>> | undefined;
        try {
          result = await plugin.csvFolderAdapter.load({ type: 'csv-folder', path: data }, { baseDir: dir, cacheDir: dir, sensors: ['hr', 'eda'], warn: () => undefined });
        } catch (e) {
          err = e;
        }
        outcome = check(
          file,
          buf,
          () => {
            if (err) throw err;
            return result!;
          },
          (r) => {
            for (const rec of r.recordings) {
              for (const s of Object.values(rec.signals)) {
                expect(Number.isFinite(s.t0) && s.fs > 0 && Number.isFinite(s.fs), `t0 ${s.t0} fs ${s.fs}`).to.equal(true);
                allFinite(s.data, 'data');
              }
            }
          }
        );
        count(outcome);
      }),
      { numRuns: 150, seed: 18, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('the example plugin reader rejects values beyond float32, empty cells and repeated times on their line', async () => {
    // The example is a plain-JavaScript plugin file outside every package, loaded by path as fusion loads plugins.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plugin = require(path.resolve(__dirname, '..', '..', '..', '..', 'examples', 'csv-folder-adapter', 'index.js')) as {
      csvFolderAdapter: { load(c: unknown, ctx: unknown): Promise<unknown> };
    };
    const cases: [string, RegExp][] = [
      ['time,hr,eda,stress\n0,70,1,0\n1,1e308,1,0\n2,70,1,0\n', /S1\.csv:3: column "hr" is "1e308"/],
      ['time,hr,eda,stress\n0,70,1,0\n1,70,,0\n2,70,1,0\n', /S1\.csv:3: column "eda" is ""/],
      ['time,hr,eda,stress\n0,70,1,0\n0,70,1,0\n2,70,1,0\n', /S1\.csv:3: time 0 does not increase/],
    ];
    for (const [text, pattern] of cases) {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-plugin-'));
      fs.mkdirSync(path.join(d, 'data'));
      fs.writeFileSync(path.join(d, 'data', 'S1.csv'), text);
      let err: Error | undefined;
      try {
        await plugin.csvFolderAdapter.load({ type: 'csv-folder', path: 'data' }, { baseDir: d, cacheDir: d, sensors: ['hr', 'eda'], warn: () => undefined });
      } catch (e) {
        err = e as Error;
      }
      fs.rmSync(d, { recursive: true, force: true });
      expect(err, text).to.be.instanceOf(DataFormatError);
      expect(err!.message).to.match(pattern);
    }
  });
});
