import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from './helpers';

/**
 * Memory of reading a large recording: a generated 200 MB BVP.csv (about 29 million rows) is read in a child process
 * whose peak resident memory must stay under 3x the file size (it was about 20x, 4.3 GB, when the reader split the
 * whole text into rows). Slow (a minute or two), hence in the slow suite.
 */
describe('reading a 200 MB E4 file', () => {
  it('keeps peak memory under 3x the file size', function () {
    this.timeout(900000);
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'BVP.csv');
      const fd = fs.openSync(f, 'w');
      fs.writeSync(fd, '1644226061.000000\n64.000000\n');
      let size = 0;
      for (let i = 0; size < 200 * 1024 * 1024; ) {
        let s = '';
        for (let k = 0; k < 100000; k++, i++) s += (Math.sin(i / 10) * 300 + Math.sin(i / 7) * 20).toFixed(2) + '\n';
        fs.writeSync(fd, s);
        size += s.length;
      }
      fs.closeSync(fd);
      const bytes = fs.statSync(f).size;
      const script = `const s = require('@fusion/sensors').readE4Signal(${JSON.stringify(f)}, 'bvp'); console.log(JSON.stringify({ n: s.data.length, rssKb: process.resourceUsage().maxRSS }));`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '..', '..', '..', '..'), encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout.trim());
      expect(out.n).to.be.greaterThan(25e6);
      console.log(`      file ${(bytes / 1e6).toFixed(0)} MB, peak RSS ${(out.rssKb / 1e3).toFixed(0)} MB`);
      expect(out.rssKb * 1024).to.be.below(3 * bytes);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The same for the K-EmoCon layout's E4 files (rows of timestamp, value, device): about 3 million rows, 80 MB. */
describe('reading an 80 MB K-EmoCon E4 file', () => {
  it('keeps the memory reading adds under 3x the file size', function () {
    this.timeout(900000);
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'E4_BVP.csv');
      const fd = fs.openSync(f, 'w');
      fs.writeSync(fd, 'timestamp,value,device_serial\n');
      const t0 = 1546300800000;
      for (let i = 0; i < 3e6; ) {
        let s = '';
        for (let k = 0; k < 100000; k++, i++) s += `${t0 + Math.round(i * 15.625)},${(Math.sin(i / 10) * 100).toFixed(2)},A01A3A\n`;
        fs.writeSync(fd, s);
      }
      fs.closeSync(fd);
      const bytes = fs.statSync(f).size;
      const script =
        `const sensors = require('@fusion/sensors'); const base = process.resourceUsage().maxRSS; const s = sensors.readKEmoConSignal(${JSON.stringify(f)}, 'bvp'); ` +
        `console.log(JSON.stringify({ n: s.data.length, baseKb: base, rssKb: process.resourceUsage().maxRSS }));`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '..', '..', '..', '..'), encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout.trim());
      expect(out.n).to.equal(3e6);
      console.log(`      file ${(bytes / 1e6).toFixed(0)} MB, peak RSS ${(out.rssKb / 1e3).toFixed(0)} MB (runtime and the library before reading ${(out.baseKb / 1e3).toFixed(0)} MB)`);
      expect((out.rssKb - out.baseKb) * 1024).to.be.below(3 * bytes);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
