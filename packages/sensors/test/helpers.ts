import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { E4_SENSORS, readE4Export, SENSOR_RANGES } from '../src';

/** Real-data folders under ../shared/datasets (see `requireData` in @fusion/core). */
export const E4_SAMPLE = ['e4-sample', 'test', 'wearable-data', 'empatica'] as const;
export const STRESS_PREDICT = ['stress-predict', 'Raw_data'] as const;

export function tmpDir(prefix = 'fusion-sensors-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A spec around a dataset config (model blocks left unchecked), to check the dataset's options as specs are checked. */
export function datasetSpec(dataset: Record<string, unknown>): Record<string, unknown> {
  return { name: 't', dataset, sensors: ['hr'], encoder: { type: 'x' }, fusion: { type: 'x' }, head: { type: 'x' } };
}

/** Runs `fn` and returns what it threw, failing when it did not throw. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sx += (x[i] - mx) ** 2;
    sy += (y[i] - my) ** 2;
  }
  return sx > 0 && sy > 0 ? sxy / Math.sqrt(sx * sy) : 0;
}

/** Reads each E4 export folder with every sensor and IBI and checks each signal's min and max against SENSOR_RANGES. */
export function expectInside(dirs: readonly string[]): void {
  for (const d of dirs) {
    const rec = readE4Export(d, E4_SENSORS, { ibi: 'optional' });
    for (const [sensor, sig] of Object.entries(rec.signals)) {
      const r = SENSOR_RANGES[sensor];
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of sig.data) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      expect(lo, `${d} ${sensor} min`).to.be.at.least(r.min);
      expect(hi, `${d} ${sensor} max`).to.be.at.most(r.max);
    }
  }
}
