import { expect } from 'chai';
import { tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { normalizeWindows, SensorStats, Window } from '../src';

/** A window of 2 sensors: `x` interleaved by sensor (frame 0 sensor 0, frame 0 sensor 1, frame 1 sensor 0, ...). */
const win = (k0: number, x: number[], skipped?: Window['skipped']): Window => ({
  stream: 's',
  k0,
  windowEnd: k0 + 2,
  x: Float32Array.from(x),
  missing: { a: 0, b: 0 },
  cutAt: 0,
  ...(skipped ? { skipped } : {}),
});

const STATS: SensorStats[] = [
  { mean: 1, sd: 2, n: 10 },
  { mean: 10, sd: 5, n: 10 },
];

describe('normalizeWindows (marble tests)', () => {
  const scheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });

  it('fixed statistics: z-scores per sensor, fills missing points with 0, passes skipped windows unchanged', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', { a: win(0, [3, 20, NaN, 0]), b: win(1, [5, 5, 1, 10], 'missing'), c: win(2, [1, 15, -1, Infinity]) });
      expectObservable(src.pipe(normalizeWindows({ kind: 'fixed', stats: STATS }, 2))).toBe('a-b-c|', {
        a: win(0, [1, 2, 0, -2]),
        b: win(1, [5, 5, 1, 10], 'missing'),
        c: win(2, [0, 1, -1, 0]),
      });
    });
  });

  it('none: values stay raw, missing points become 0', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a|', { a: win(0, [3, NaN, -7, 1e6]) });
      expectObservable(src.pipe(normalizeWindows({ kind: 'none' }, 2))).toBe('a|', { a: win(0, [3, 0, -7, 1e6]) });
    });
  });

  it('running statistics: windows are marked warmup until enough frames were seen, then use the current statistics', () => {
    let frames = 0;
    let current: SensorStats[] = STATS;
    const running = { kind: 'running' as const, warmupFrames: 6, stats: { get frames() { return frames; }, get: (s: number) => current[s] } };
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', { a: win(0, [3, 20, 1, 10]), b: win(2, [3, 20, 1, 10]), c: win(4, [3, 20, 1, 10]) });
      // the frames seen so far are those up to the window's end (as the pipeline updates them before windowing)
      const seen = tap((w: Window) => {
        frames = w.windowEnd + 2;
        if (w.k0 === 4) current = [{ mean: 3, sd: 1, n: 20 }, { mean: 0, sd: 10, n: 20 }];
      });
      expectObservable(src.pipe(seen, normalizeWindows(running, 2))).toBe('a-b-c|', {
        a: win(0, [3, 20, 1, 10], 'warmup'),
        b: win(2, [1, 2, 0, 0]),
        c: win(4, [0, 2, -2, 1]),
      });
    });
  });

  it('throws at creation on bad arguments', () => {
    expect(() => normalizeWindows({ kind: 'none' }, 0)).to.throw(RangeError, /sensors/);
    expect(() => normalizeWindows({ kind: 'fixed', stats: STATS }, 3)).to.throw(RangeError, /2 fixed statistics for 3 sensors/);
    expect(() => normalizeWindows({ kind: 'running', warmupFrames: -1, stats: { frames: 0, get: (s) => STATS[s] } }, 2)).to.throw(RangeError, /warmupFrames/);
  });
});
