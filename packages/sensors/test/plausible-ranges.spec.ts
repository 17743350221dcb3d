import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError } from '@fusion/core';
import { readE4Ibi, readE4Signal, readKEmoConIbi, readKEmoConSignal, SENSOR_RANGES } from '../src';
import { E4_SAMPLE, expectInside, STRESS_PREDICT, thrown, tmpDir } from './helpers';
import { requireData } from '@fusion/core';

/**
 * Values that parse but cannot be real (EDA 250 uS, skin at 80 C, ACC at 15 g, a 1970 start, an EDA file at 64 Hz) are
 * a DataFormatError on their line; the real recordings stay inside the bounds with a margin.
 */
describe('plausible sensor values, rates and times', () => {
  let dir: string;
  before(() => (dir = tmpDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, content: string): string {
    const f = path.join(fs.mkdtempSync(path.join(dir, 'case-')), name);
    fs.writeFileSync(f, content);
    return f;
  }

  function expectAt(fn: () => unknown, file: string, line: number, fragment: string): void {
    const e = thrown(fn);
    expect(e, e.message).to.be.instanceOf(DataFormatError);
    expect(e.message).to.contain(`${file}:${line}:`).and.contain(fragment);
  }

  const T = 1644226061;
  for (const [sensor, rate, bad, fragment] of [
    ['eda', 4, '250', 'eda value 250 is outside the plausible 0..100 uS'],
    ['eda', 4, '-3', 'eda value -3 is outside'],
    ['temp', 4, '80.5', 'temp value 80.5 is outside the plausible 0..50 C'],
    ['hr', 1, '400', 'hr value 400 is outside the plausible 20..250 bpm'],
    ['hr', 1, '5', 'hr value 5 is outside'],
    ['bvp', 64, '1e7', 'bvp value 10000000 is outside'],
  ] as const) {
    it(`E4 ${sensor.toUpperCase()}.csv: ${bad} on row 5`, () => {
      const f = write(`${sensor.toUpperCase()}.csv`, `${T}\n${rate}\n${SENSOR_RANGES[sensor].min + 1}\n${SENSOR_RANGES[sensor].min + 1}\n${bad}\n`);
      expectAt(() => readE4Signal(f, sensor), f, 5, fragment);
    });
  }

  it('E4 ACC.csv: 1000 counts (15.6 g) names the raw cell', () => {
    const f = write('ACC.csv', `${T},${T},${T}\n32,32,32\n1,2,64\n1,1000,3\n`);
    expectAt(() => readE4Signal(f, 'acc'), f, 4, 'acc value 15.625 is outside the plausible -8..8 g (read 1000)');
  });

  it('E4 IBI.csv: a 5-s beat interval', () => {
    const f = write('IBI.csv', `${T}, IBI\n1.0,0.8\n2.0,5\n`);
    expectAt(() => readE4Ibi(f), f, 3, 'ibi value 5 is outside the plausible 0.2..3 s');
  });

  it('E4: a start in 1970 (seconds lost) or in year 33658 (milliseconds given) is refused on row 1', () => {
    const f = write('EDA.csv', '1000\n4\n0.5\n');
    expectAt(() => readE4Signal(f, 'eda'), f, 1, 'time 1000 is outside 2000-2100');
    const g = write('EDA.csv', `${T * 1000}\n4\n0.5\n`);
    expectAt(() => readE4Signal(g, 'eda'), g, 1, 'outside 2000-2100');
  });

  it('E4: a rate far from the nominal one (EDA at 64 Hz, BVP at 4 Hz) is refused on row 2', () => {
    const f = write('EDA.csv', `${T}\n64\n0.5\n`);
    expectAt(() => readE4Signal(f, 'eda'), f, 2, 'the eda sample rate 64 Hz is not near its nominal 4 Hz');
    const g = write('BVP.csv', `${T}\n4\n0.5\n`);
    expectAt(() => readE4Signal(g, 'bvp'), g, 2, 'the bvp sample rate 4 Hz is not near its nominal 64 Hz');
  });

  it('K-EmoCon: an absurd value names its line, also after the rows were sorted by time', () => {
    const ms = T * 1000;
    const f = write('E4_TEMP.csv', `timestamp,value\n${ms + 500},33\n${ms},33\n${ms + 250},33\n${ms + 750},95\n${ms + 1000},33\n`);
    expectAt(() => readKEmoConSignal(f, 'temp'), f, 5, 'temp value 95 is outside');
    const g = write('E4_IBI.csv', `timestamp,value\n${ms},800\n${ms + 900},810\n${ms + 1800},12000\n`);
    expectAt(() => readKEmoConIbi(g), g, 4, 'ibi value 12 is outside');
  });

  it('a real Stress-Predict subject and the E4 sample export (every sensor) lie inside the bounds', function () {
    const stressPredict = requireData(this, ...STRESS_PREDICT);
    const e4Sample = requireData(this, ...E4_SAMPLE);
    expectInside([path.join(stressPredict, 'S01'), e4Sample]);
  });
});
