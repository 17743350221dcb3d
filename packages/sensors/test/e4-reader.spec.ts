import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError, DatasetError, requireData } from '@fusion/core';
import { readE4Export, readE4Folder, readE4Ibi, readE4Signal } from '../src';
import { E4_SAMPLE, STRESS_PREDICT, thrown, tmpDir } from './helpers';

describe('E4 export reader', () => {
  let dir: string;
  before(() => {
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, content: string | Buffer): string {
    const sub = fs.mkdtempSync(path.join(dir, 'case-'));
    const f = path.join(sub, name);
    fs.writeFileSync(f, content);
    return f;
  }

  /** Asserts a DataFormatError naming the file and the 1-based line, with a message matching `pattern`. */
  function expectFormatError(fn: () => unknown, file: string, line: number, pattern: RegExp): void {
    const e = thrown(fn);
    expect(e, e.message).to.be.instanceOf(DataFormatError);
    const f = e as DataFormatError;
    expect(f.file).to.equal(file);
    expect(f.line, f.message).to.equal(line);
    expect(f.message).to.contain(`${file}:${line}:`);
    expect(f.message).to.match(pattern);
  }

  describe('real data', () => {
    it('reads the e4-sample export: rates, start times, counts, ACC in g, IBI times', function () {
      const e4 = requireData(this, ...E4_SAMPLE);
      const r = readE4Export(e4);
      expect(r.subject).to.equal('empatica');
      expect(r.labels).to.deep.equal([]);
      const { acc, bvp, eda, temp, hr } = r.signals;
      expect([acc.fs, bvp.fs, eda.fs, temp.fs, hr.fs]).to.deep.equal([32, 64, 4, 4, 1]);
      expect(acc.t0).to.equal(1560279825);
      expect(hr.t0).to.equal(1560279835); // HR starts 10 s after the others
      expect(acc.channels).to.equal(3);
      // The files are cut to different lengths: ACC/BVP/EDA 10000 lines, TEMP/HR 5000 (2 header rows each).
      expect(acc.data.length / 3).to.equal(9998);
      expect(bvp.data.length).to.equal(9998);
      expect(temp.data.length).to.equal(4998);
      expect(hr.data.length).to.equal(4998);
      expect(acc.data[0]).to.be.closeTo(-61 / 64, 1e-6);
      expect(acc.data[1]).to.be.closeTo(25 / 64, 1e-6);
      expect(acc.source).to.equal(path.join(e4, 'ACC.csv'));
      const ibi = r.events!.ibi;
      expect(ibi.times[0]).to.be.closeTo(1560279825 + 83.503822, 1e-6);
      expect(ibi.values[0]).to.be.closeTo(0.609403, 1e-6);
      expect(ibi.times.length).to.equal(4999);
    });

    it('reads a Stress-Predict subject (CRLF, bare-integer start in BVP)', function () {
      const s01 = requireData(this, ...STRESS_PREDICT, 'S01');
      const r = readE4Export(s01, ['bvp', 'acc', 'hr']);
      expect(Object.keys(r.signals).sort()).to.deep.equal(['acc', 'bvp', 'hr']);
      expect(r.signals.bvp.t0).to.equal(1644226061);
      expect(r.signals.bvp.fs).to.equal(64);
      expect(r.signals.acc.fs).to.equal(32);
      expect(r.signals.acc.channels).to.equal(3);
      expect(r.signals.hr.t0).to.equal(1644226071);
      const dur = r.signals.bvp.data.length / 64;
      expect(dur).to.be.within(50 * 60, 60 * 60);
      expect(r.signals.acc.data.length / 3 / 32).to.be.closeTo(dur, 5);
      // Gravity: the accelerometer magnitude averages about 1 g.
      let m = 0;
      const n = r.signals.acc.data.length / 3;
      for (let i = 0; i < n; i++) m += Math.hypot(r.signals.acc.data[3 * i], r.signals.acc.data[3 * i + 1], r.signals.acc.data[3 * i + 2]) / n;
      expect(m).to.be.within(0.85, 1.2);
    });

    it('reads a folder of per-subject exports with subject = subfolder name', function () {
      const raw = requireData(this, ...STRESS_PREDICT);
      const parent = tmpDir();
      try {
        for (const s of ['S01', 'S02']) {
          fs.mkdirSync(path.join(parent, s));
          fs.copyFileSync(path.join(raw, s, 'HR.csv'), path.join(parent, s, 'HR.csv'));
        }
        const recs = readE4Folder(parent, ['hr']);
        expect(recs.map((r) => r.subject)).to.deep.equal(['S01', 'S02']);
        expect(recs[1].signals.hr.fs).to.equal(1);
      } finally {
        fs.rmSync(parent, { recursive: true, force: true });
      }
    });
  });

  describe('format variants', () => {
    it('accepts CRLF, a bare-integer start, repeated ACC header columns and trailing blank lines', () => {
      const f = write('EDA.csv', '1644226061\r\n4\r\n0.5\r\n0.25\r\n\r\n\r\n');
      const s = readE4Signal(f, 'eda');
      expect(s.t0).to.equal(1644226061);
      expect(s.fs).to.equal(4);
      expect(Array.from(s.data)).to.deep.equal([0.5, 0.25]);
      const a = readE4Signal(write('ACC.csv', '1644226061.000000, 1644226061.000000, 1644226061.000000\n32.000000, 32.000000, 32.000000\n64,0,-32\n0,64,0\n\n'), 'acc');
      expect(a.channels).to.equal(3);
      expect(Array.from(a.data)).to.deep.equal([1, 0, -0.5, 0, 1, 0]);
    });

    it('reads an IBI file with only its header as an empty series', () => {
      const e = readE4Ibi(write('IBI.csv', '1560279825.000000, IBI\n'));
      expect(e.times.length).to.equal(0);
    });
  });

  describe('bad input: DataFormatError with the file and the 1-based line', () => {
    it('an empty file', () => {
      const f = write('BVP.csv', '');
      expectFormatError(() => readE4Signal(f, 'bvp'), f, 1, /empty.*expected row 1 = session start/);
    });

    it('a file with only row 1 (sample rate missing)', () => {
      const f = write('BVP.csv', '1560279825.00\n');
      expectFormatError(() => readE4Signal(f, 'bvp'), f, 2, /row 2 \(the sample rate in Hz\) is missing/);
    });

    it('a garbage start time in row 1', () => {
      const f = write('EDA.csv', 'start\n4\n1\n');
      expectFormatError(() => readE4Signal(f, 'eda'), f, 1, /session start \(row 1\) is "start".*expected a finite decimal number/);
    });

    it('a non-numeric cell', () => {
      const f = write('EDA.csv', '1560279825\n4\n0.1\n0.2\nabc\n0.3\n');
      expectFormatError(() => readE4Signal(f, 'eda'), f, 5, /the value is "abc"; expected a finite decimal number/);
    });

    it('NaN and Inf cells', () => {
      const f = write('TEMP.csv', '1560279825\n4\n32.1\nNaN\n');
      expectFormatError(() => readE4Signal(f, 'temp'), f, 4, /"NaN" \(not a finite number\)/);
      const g = write('TEMP.csv', '1560279825\n4\n32.1\n32.2\n-Inf\n');
      expectFormatError(() => readE4Signal(g, 'temp'), g, 5, /"-Inf" \(not a finite number\)/);
    });

    it('an empty cell', () => {
      const f = write('ACC.csv', '1560279825,1560279825,1560279825\n32,32,32\n1,2,3\n1,,3\n');
      expectFormatError(() => readE4Signal(f, 'acc'), f, 4, /column 2 \(y\) is an empty cell/);
    });

    it('a wrong column count (ACC data row, single-column header for ACC)', () => {
      const f = write('ACC.csv', '1560279825,1560279825,1560279825\n32,32,32\n1,2,3\n4,5,6\n7,8\n');
      expectFormatError(() => readE4Signal(f, 'acc'), f, 5, /found 2 column\(s\).*expected 3/);
      const g = write('ACC.csv', '1\n32\n1,2,3\n');
      expectFormatError(() => readE4Signal(g, 'acc'), g, 1, /row 1 \(session start\): found 1 column\(s\).*expected 3/);
      const h = write('HR.csv', '1560279825\n1\n70,71\n');
      expectFormatError(() => readE4Signal(h, 'hr'), h, 3, /found 2 column\(s\).*expected 1/);
    });

    for (const [rate, label] of [
      ['0', 'zero'],
      ['-4', 'negative'],
      ['1000000', 'absurd'],
    ]) {
      it(`a ${label} sample rate`, () => {
        const f = write('EDA.csv', `1560279825\n${rate}\n0.1\n`);
        expectFormatError(() => readE4Signal(f, 'eda'), f, 2, new RegExp(`sample rate is ${rate} Hz; expected a positive rate`));
      });
    }

    it('a data row with binary bytes', () => {
      const f = write('BVP.csv', Buffer.concat([Buffer.from('1560279825\n64\n1.0\n2.0\n'), Buffer.from([0x00, 0x9f, 0x31]), Buffer.from('\n3.0\n')]));
      expectFormatError(() => readE4Signal(f, 'bvp'), f, 5, /binary byte 0x00.*expected plain ASCII/);
    });

    it('a blank line inside the data', () => {
      const f = write('HR.csv', '1560279835\n1\n70\n\n71\n');
      expectFormatError(() => readE4Signal(f, 'hr'), f, 4, /blank line before more data/);
    });

    it('a bad IBI header and a bad IBI row', () => {
      const f = write('IBI.csv', '1560279825, BVP\n1.0,0.8\n');
      expectFormatError(() => readE4Ibi(f), f, 1, /expected "IBI"/);
      const g = write('IBI.csv', '1560279825, IBI\n1.0,0.8\n2.0,-0.8\n');
      expectFormatError(() => readE4Ibi(g), g, 3, /inter-beat interval: ibi value -0.8 is outside the plausible 0.2..3 s/);
    });

    it('a missing file for a requested sensor is a DatasetError naming the file', () => {
      const sub = fs.mkdtempSync(path.join(dir, 'missing-'));
      fs.writeFileSync(path.join(sub, 'HR.csv'), '1560279835\n1\n70\n');
      expect(readE4Export(sub, ['hr']).signals.hr.data.length).to.equal(1);
      const e = thrown(() => readE4Export(sub, ['hr', 'eda']));
      expect(e).to.be.instanceOf(DatasetError);
      expect(e.message).to.contain(path.join(sub, 'EDA.csv')).and.contain('"eda"');
      const i = thrown(() => readE4Export(sub, ['hr', 'ibi']));
      expect(i).to.be.instanceOf(DatasetError);
      expect(i.message).to.contain(path.join(sub, 'IBI.csv'));
    });
  });
});
