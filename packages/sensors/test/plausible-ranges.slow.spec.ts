import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { E4_SAMPLE, expectInside, STRESS_PREDICT } from './helpers';
import { requireData } from '@fusion/core';

describe('plausible sensor values: every real recording', () => {
  it('Stress-Predict S01-S25 and the E4 sample export (every sensor, IBI) load inside SENSOR_RANGES', function () {
    this.timeout(600000);
    const stressPredict = requireData(this, ...STRESS_PREDICT);
    const e4Sample = requireData(this, ...E4_SAMPLE);
    const dirs = fs
      .readdirSync(stressPredict)
      .filter((d) => /^S\d+$/.test(d))
      .map((d) => path.join(stressPredict, d));
    dirs.push(e4Sample);
    expect(dirs.length).to.be.greaterThan(20);
    expectInside(dirs);
  });
});
