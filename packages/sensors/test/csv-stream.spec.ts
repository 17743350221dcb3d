import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError } from '@fusion/core';
import { readE4Signal } from '../src';
import { thrown, tmpDir } from './helpers';

/**
 * The E4 reader parses files in 1-MiB pieces straight into float32 chunks: rows split across pieces (LF and CRLF, a
 * CR at the very end of a piece) read exactly as a whole-file parse would, and errors keep their line and column.
 */
describe('chunked CSV reading (files larger than one read)', () => {
  let dir: string;
  before(() => (dir = tmpDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const values = Array.from({ length: 400000 }, (_, i) => Number((1 + Math.sin(i / 7) * 0.9).toFixed(4 + (i % 3))));

  for (const eol of ['\n', '\r\n']) {
    it(`reads ${values.length} rows (${eol === '\n' ? 'LF' : 'CRLF'}, about 3 MB) exactly, with a BOM and no final newline`, () => {
      const f = path.join(dir, `EDA-${eol.length}.csv`);
      fs.writeFileSync(f, '\ufeff1644226061' + eol + '4' + eol + values.join(eol));
      expect(fs.statSync(f).size).to.be.greaterThan(2 << 20);
      const s = readE4Signal(f, 'eda');
      expect(s.t0).to.equal(1644226061);
      expect(s.data.length).to.equal(values.length);
      const want = Float32Array.from(values);
      let mismatches = 0;
      for (let i = 0; i < want.length; i++) if (s.data[i] !== want[i]) mismatches++;
      expect(mismatches).to.equal(0);
    });
  }

  it('a bad byte and a bad value past the first MiB name their line and column', () => {
    const rows = ['1644226061', '4', ...values.slice(0, 300000).map(String)];
    const f = path.join(dir, 'EDA-binary.csv');
    const k = 250000; // a row well past the first MiB
    fs.writeFileSync(f, rows.slice(0, k).join('\n') + '\n12\u00003\n' + rows.slice(k).join('\n') + '\n');
    const e = thrown(() => readE4Signal(f, 'eda'));
    expect(e).to.be.instanceOf(DataFormatError);
    expect(e.message).to.contain(`${f}:${k + 1}:`).and.contain('binary byte 0x00 at column 3');
    const g = path.join(dir, 'EDA-value.csv');
    fs.writeFileSync(g, rows.slice(0, k).join('\n') + '\n250\n' + rows.slice(k).join('\n') + '\n');
    expect(thrown(() => readE4Signal(g, 'eda')).message).to.contain(`${g}:${k + 1}:`).and.contain('eda value 250 is outside');
  });

  it('a line longer than 1 MiB is refused instead of being gathered without end', () => {
    const f = path.join(dir, 'BVP-long.csv');
    fs.writeFileSync(f, '1644226061\n64\n1.0\n' + '1'.repeat(3 << 20) + '\n2.0\n');
    const e = thrown(() => readE4Signal(f, 'bvp'));
    expect(e).to.be.instanceOf(DataFormatError);
    expect(e.message).to.contain(`${f}:4:`).and.contain('longer than 1048576 bytes');
  });
});
