import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from './helpers';

/**
 * Writes `name` in a temp folder (`header`, then each chunk `chunks` yields), runs `script(file)` (printing one JSON
 * line) in a child process at the repository root and returns the file's size and that line; the folder is removed.
 */
function readInChild<T>(name: string, header: string, chunks: () => Iterable<string>, script: (file: string) => string): { bytes: number; out: T } {
  const dir = tmpDir();
  try {
    const f = path.join(dir, name);
    const fd = fs.openSync(f, 'w');
    fs.writeSync(fd, header);
    for (const s of chunks()) fs.writeSync(fd, s);
    fs.closeSync(fd);
    const r = spawnSync(process.execPath, ['-e', script(f)], { cwd: path.resolve(__dirname, '..', '..', '..', '..'), encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return { bytes: fs.statSync(f).size, out: JSON.parse(r.stdout.trim()) as T };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Memory of reading a large recording: a generated 200 MB BVP.csv (about 29 million rows) is read in a child process
 * whose peak resident memory must stay under 3x the file size (it was about 20x, 4.3 GB, when the reader split the
 * whole text into rows). Slow (a minute or two), hence in the slow suite.
 */
describe('reading a 200 MB E4 file', () => {
  it('keeps peak memory under 3x the file size', function () {
    this.timeout(900000);
    const { bytes, out } = readInChild<{ n: number; rssKb: number }>(
      'BVP.csv',
      '1644226061.000000\n64.000000\n',
      function* () {
        let size = 0;
        for (let i = 0; size < 200 * 1024 * 1024; ) {
          let s = '';
          for (let k = 0; k < 100000; k++, i++) s += (Math.sin(i / 10) * 300 + Math.sin(i / 7) * 20).toFixed(2) + '\n';
          size += s.length;
          yield s;
        }
      },
      (f) => `const s = require('@fusion/sensors').readE4Signal(${JSON.stringify(f)}, 'bvp'); console.log(JSON.stringify({ n: s.data.length, rssKb: process.resourceUsage().maxRSS }));`
    );
    expect(out.n).to.be.greaterThan(25e6);
    console.log(`      file ${(bytes / 1e6).toFixed(0)} MB, peak RSS ${(out.rssKb / 1e3).toFixed(0)} MB`);
    expect(out.rssKb * 1024).to.be.below(3 * bytes);
  });
});

/** The same for the K-EmoCon layout's E4 files (rows of timestamp, value, device): about 3 million rows, 80 MB. */
describe('reading an 80 MB K-EmoCon E4 file', () => {
  it('keeps the memory reading adds under 3x the file size', function () {
    this.timeout(900000);
    const t0 = 1546300800000;
    const { bytes, out } = readInChild<{ n: number; baseKb: number; rssKb: number }>(
      'E4_BVP.csv',
      'timestamp,value,device_serial\n',
      function* () {
        for (let i = 0; i < 3e6; ) {
          let s = '';
          for (let k = 0; k < 100000; k++, i++) s += `${t0 + Math.round(i * 15.625)},${(Math.sin(i / 10) * 100).toFixed(2)},A01A3A\n`;
          yield s;
        }
      },
      (f) =>
        `const sensors = require('@fusion/sensors'); const base = process.resourceUsage().maxRSS; const s = sensors.readKEmoConSignal(${JSON.stringify(f)}, 'bvp'); ` +
        `console.log(JSON.stringify({ n: s.data.length, baseKb: base, rssKb: process.resourceUsage().maxRSS }));`
    );
    expect(out.n).to.equal(3e6);
    console.log(`      file ${(bytes / 1e6).toFixed(0)} MB, peak RSS ${(out.rssKb / 1e3).toFixed(0)} MB (runtime and the library before reading ${(out.baseKb / 1e3).toFixed(0)} MB)`);
    expect((out.rssKb - out.baseKb) * 1024).to.be.below(3 * bytes);
  });
});
