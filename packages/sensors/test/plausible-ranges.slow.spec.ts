import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { E4_SAMPLE, expectInside, requireFolder, STRESS_PREDICT } from './helpers';

describe('plausible sensor values: every real recording', () => {
  it('Stress-Predict S01-S25 and the E4 sample export (every sensor, IBI) load inside SENSOR_RANGES', function () {
    this.timeout(600000);
    requireFolder(this, STRESS_PREDICT);
    const dirs = fs
      .readdirSync(STRESS_PREDICT)
      .filter((d) => /^S\d+$/.test(d))
      .map((d) => path.join(STRESS_PREDICT, d));
    if (fs.existsSync(E4_SAMPLE)) dirs.push(E4_SAMPLE);
    expect(dirs.length).to.be.greaterThan(20);
    expectInside(dirs);
  });
});
