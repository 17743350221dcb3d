import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError, DatasetError } from '@fusion/core';
import { readKEmoCon, readKEmoConSignal } from '../src';
import { thrown, tmpDir } from './helpers';

const INIT = 1557000000000;
const START = INIT + 10000;
const END = START + 20000;

/** A tiny K-EmoCon-layout folder with the header variants seen in real copies. */
function writeFixture(root: string): void {
  const e4 = (pid: string, name: string, text: string): void => {
    fs.mkdirSync(path.join(root, 'e4_data', pid), { recursive: true });
    fs.writeFileSync(path.join(root, 'e4_data', pid, name), text);
  };
  const D = 32; // seconds of signal
  for (const pid of ['4', '5']) {
    // BVP: decimals in the ms timestamps and a little jitter, release header.
    const bvp = ['timestamp,value,device_serial'];
    for (let i = 0; i < D * 64; i++) bvp.push(`${INIT + i * 15.625 + (i % 3) * 0.4},${Math.sin(i / 10).toFixed(3)},A01A3A`);
    e4(pid, 'E4_BVP.csv', bvp.join('\n') + '\n');
    // EDA: extra columns after the release ones, scientific notation, CRLF.
    const eda = ['timestamp,value,device_serial,pid,device_number,entry_time'];
    for (let i = 0; i < D * 4; i++) eda.push(`${INIT + i * 250},${(1.5 + i / 1000).toExponential(4)},A01A3A,${pid},1,2019-05-05 10:00:00`);
    e4(pid, 'E4_EDA.csv', eda.join('\r\n') + '\r\n');
    // TEMP: columns in another order.
    const temp = ['device_serial,value,timestamp'];
    for (let i = 0; i < D * 4; i++) temp.push(`A01A3A,${(33 + i / 100).toFixed(2)},${INIT + i * 250}`);
    e4(pid, 'E4_TEMP.csv', temp.join('\n') + '\n');
    // ACC: x,y,z instead of value.
    const acc = ['timestamp,x,y,z,device_serial'];
    for (let i = 0; i < D * 32; i++) acc.push(`${INIT + i * 31.25},-64,0,32,A01A3A`);
    e4(pid, 'E4_ACC.csv', acc.join('\n') + '\n');
    // HR: two devices interleaved; the main one has more rows.
    const hr = ['timestamp,value,device_serial'];
    for (let i = 0; i < D; i++) {
      hr.push(`${INIT + i * 1000},${70 + i},A01A3A`);
      if (i % 4 === 0) hr.push(`${INIT + i * 1000 + 500},${120},B02B4B`);
    }
    e4(pid, 'E4_HR.csv', hr.join('\n') + '\n');
    // IBI in milliseconds.
    e4(pid, 'E4_IBI.csv', `timestamp,value,device_serial\n${INIT + 1000},812.5,A01A3A\n${INIT + 1800},800,A01A3A\n${INIT + 2650},850,A01A3A\n`);
  }
  fs.mkdirSync(path.join(root, 'metadata'), { recursive: true });
  fs.writeFileSync(path.join(root, 'metadata', 'subjects.csv'), `pid,initTime,startTime,endTime\n4,${INIT},${START},${END}\n5,${INIT},${START},${END}\n`);
  for (const who of ['self', 'partner', 'external']) fs.mkdirSync(path.join(root, 'emotion_annotations', `${who}_annotations`), { recursive: true });
  const ann = (who: string, pid: string, text: string): void => fs.writeFileSync(path.join(root, 'emotion_annotations', `${who}_annotations`, `P${pid}.${who}.csv`), text);
  ann('external', '4', 'seconds,arousal,valence,cheerful,happy\n5,3,x,1,2\n10,1,4,x,\n15,,2,1,1\n20,5,5,1,1\n');
  ann('self', '4', 'seconds,arousal,valence,cheerful,happy\n5,2,2,1,1\n10,2,2,1,1\n15,2,2,1,1\n20,2,2,1,1\n');
  ann('external', '5', 'seconds,arousal,valence\n5,4,4\n');
}

describe('K-EmoCon reader', () => {
  let root: string;
  before(() => {
    root = tmpDir();
    writeFixture(root);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads signals from every header variant, snapping rates and keeping the main device', () => {
    const ds = readKEmoCon(root);
    expect(ds.recordings.map((r) => r.subject)).to.deep.equal(['4', '5']);
    const r = ds.recordings[0];
    const { bvp, eda, temp, acc, hr } = r.signals;
    expect([acc.fs, bvp.fs, eda.fs, temp.fs, hr.fs]).to.deep.equal([32, 64, 4, 4, 1]);
    expect(bvp.t0).to.equal(INIT / 1000);
    expect(bvp.data.length).to.equal(32 * 64);
    expect(bvp.data[10]).to.be.closeTo(Math.sin(1), 1e-3);
    expect(eda.data[0]).to.be.closeTo(1.5, 1e-6);
    expect(eda.data[127]).to.be.closeTo(1.627, 1e-5);
    expect(temp.data[100]).to.be.closeTo(34, 1e-5);
    expect(acc.channels).to.equal(3);
    expect(Array.from(acc.data.subarray(0, 3))).to.deep.equal([-1, 0, 0.5]);
    expect(hr.data.length).to.equal(32);
    expect(Array.from(hr.data)).to.not.include(120);
    expect(ds.warnings.some((w) => w.includes('E4_HR.csv') && w.includes('kept A01A3A') && w.includes('B02B4B (8 rows)'))).to.equal(true);
    expect(r.span).to.deep.equal({ start: START / 1000, end: END / 1000 });
    expect(r.source).to.equal(path.join(root, 'e4_data', '4'));
  });

  it('converts IBI in milliseconds to seconds', () => {
    const ibi = readKEmoCon(root, { participants: [4] }).recordings[0].events!.ibi;
    expect(Array.from(ibi.values)).to.deep.equal([0.8125, 0.8, 0.85].map(Math.fround));
    expect(ibi.times[0]).to.equal((INIT + 1000) / 1000);
  });

  it('turns external annotations into 5-s intervals on the debate clock, leaving out x and empty cells', () => {
    const labels = readKEmoCon(root, { participants: ['4'] }).recordings[0].labels;
    const s = START / 1000;
    expect(labels).to.deep.equal([
      { start: s, end: s + 5, values: { arousal: 3 } },
      { start: s + 5, end: s + 10, values: { arousal: 1, valence: 4 } },
      { start: s + 10, end: s + 15, values: { valence: 2 } },
      { start: s + 15, end: s + 20, values: { arousal: 5, valence: 5 } },
    ]);
  });

  it('selects the annotator and the participants, warning when annotations are missing', () => {
    const self = readKEmoCon(root, { annotator: 'self' });
    expect(self.recordings[0].labels.map((l) => l.values.arousal)).to.deep.equal([2, 2, 2, 2]);
    expect(self.recordings[1].labels).to.deep.equal([]);
    expect(self.warnings.some((w) => w.includes('participant 5: no self annotations'))).to.equal(true);
    const only5 = readKEmoCon(root, { participants: ['P5'], sensors: ['hr'] });
    expect(only5.recordings.map((r) => r.subject)).to.deep.equal(['5']);
    expect(Object.keys(only5.recordings[0].signals)).to.deep.equal(['hr']);
    const e = thrown(() => readKEmoCon(root, { participants: [9] }));
    expect(e).to.be.instanceOf(DatasetError);
    expect(e.message).to.contain('participant "9"').and.contain('available: 4, 5');
  });

  it('keeps a chosen device instead of the most frequent one', () => {
    const hr = readKEmoConSignal(path.join(root, 'e4_data', '4', 'E4_HR.csv'), 'hr', { device: 'B02B4B' });
    expect(hr.data[0]).to.equal(120);
    // The second device's rows are 4 s apart: placed at their own seconds, gaps stay missing.
    expect(Number.isNaN(hr.data[1])).to.equal(true);
    expect(hr.data[4]).to.equal(120);
  });

  it('rejects bad files with the file and the line', () => {
    const bad = tmpDir();
    try {
      const f = path.join(bad, 'E4_EDA.csv');
      fs.writeFileSync(f, 'time,value\n1,2\n');
      let e = thrown(() => readKEmoConSignal(f, 'eda'));
      expect(e).to.be.instanceOf(DataFormatError);
      expect(e.message).to.contain(`${f}:1:`).and.contain('missing timestamp');
      fs.writeFileSync(f, `timestamp,value,device_serial\n${INIT},1.0,A\n${INIT + 250},oops,A\n`);
      e = thrown(() => readKEmoConSignal(f, 'eda'));
      expect(e.message).to.contain(`${f}:3:`).and.contain('value is "oops"');
      // Timestamps in seconds instead of milliseconds are in 1970, outside the plausible years.
      fs.writeFileSync(f, `timestamp,value\n${INIT / 1000},1\n${INIT / 1000 + 0.25},1\n${INIT / 1000 + 0.5},1\n${INIT / 1000 + 0.75},1\n`);
      e = thrown(() => readKEmoConSignal(f, 'eda'));
      expect(e).to.be.instanceOf(DataFormatError);
      expect(e.message).to.contain(`${f}:2:`).and.contain('outside 2000-2100').and.contain('epoch milliseconds');
      // Epoch-ms timestamps 1000 times too dense (the wrong file for the sensor) are still caught by their rate.
      fs.writeFileSync(f, `timestamp,value\n${INIT},1\n${INIT + 0.25},1\n${INIT + 0.5},1\n${INIT + 0.75},1\n`);
      e = thrown(() => readKEmoConSignal(f, 'eda'));
      expect(e).to.be.instanceOf(DataFormatError);
      expect(e.message).to.contain('expected about 4 Hz').and.contain('epoch milliseconds');
      fs.mkdirSync(path.join(bad, 'metadata'));
      e = thrown(() => readKEmoCon(path.join(bad, 'nope')));
      expect(e).to.be.instanceOf(DatasetError);
      expect(e.message).to.contain(path.join(bad, 'nope'));
      e = thrown(() => readKEmoCon(bad));
      expect(e.message).to.contain(path.join(bad, 'metadata', 'subjects.csv'));
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  it('rejects an out-of-range rating with its line', () => {
    const bad = tmpDir();
    try {
      const a = path.join(bad, 'P1.external.csv');
      fs.writeFileSync(a, 'seconds,arousal,valence\n5,3,3\n10,7,3\n');
      // Through the public reader: a minimal dataset around the bad annotation file.
      fs.mkdirSync(path.join(bad, 'metadata'));
      fs.writeFileSync(path.join(bad, 'metadata', 'subjects.csv'), `pid,initTime,startTime,endTime\n1,${INIT},${START},${END}\n`);
      fs.mkdirSync(path.join(bad, 'e4_data', '1'), { recursive: true });
      fs.writeFileSync(path.join(bad, 'e4_data', '1', 'E4_HR.csv'), `timestamp,value\n${INIT},70\n${INIT + 1000},71\n`);
      fs.mkdirSync(path.join(bad, 'emotion_annotations', 'external_annotations'), { recursive: true });
      const af = path.join(bad, 'emotion_annotations', 'external_annotations', 'P1.external.csv');
      fs.copyFileSync(a, af);
      const e = thrown(() => readKEmoCon(bad, { sensors: ['hr'] }));
      expect(e).to.be.instanceOf(DataFormatError);
      expect(e.message).to.contain(`${af}:3:`).and.contain('arousal is 7; expected a rating from 1 to 5');
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});
