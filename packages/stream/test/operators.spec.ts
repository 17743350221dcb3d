import { expect } from 'chai';
import { from, Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { alignResample, boundedQueue, createCounters, Frame, Line, parseNdjson, reorderDedupe, SampleChunk, smooth, windowStream } from '../src';

const scheduler = (): TestScheduler => new TestScheduler((a, e) => {
    expect(a).to.deep.equal(e);
  });

const line = (text: string, lineNo: number): Line => ({ text, lineNo, origin: 'test' });
const chunk = (sensor: string, t: number, v: number): SampleChunk => ({ stream: 's', sensor, times: Float64Array.of(t), values: Float32Array.of(v), channels: 1 });

describe('parseNdjson', () => {
  it('parses single samples and batches, reports malformed lines with their line number, skips blank lines', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', {
        a: line('{"stream":"d1","sensor":"eda","t":1700000010.5,"values":[0.4]}', 1),
        b: line('{not json', 2),
        c: line('{"stream":"d1","sensor":"BVP","t0":1700000010,"fs":64,"values":[1,2,3]}', 3),
        d: line('   ', 4),
        e: line('{"stream":"d1","sensor":"acc","t":1700000011,"values":[1,"x",3]}', 5),
      });
      const out = src.pipe(parseNdjson());
      expectObservable(out).toBe('a-b-c---e|', {
        a: { stream: 'd1', sensor: 'eda', times: Float64Array.of(1700000010.5), values: Float32Array.of(0.4), channels: 1 },
        b: { malformed: true, origin: 'test', lineNo: 2, reason: 'not JSON: "{not json"' },
        c: { stream: 'd1', sensor: 'bvp', times: Float64Array.of(1700000010, 1700000010 + 1 / 64, 1700000010 + 2 / 64), values: Float32Array.of(1, 2, 3), channels: 1, fs: 64 },
        e: { malformed: true, origin: 'test', lineNo: 5, reason: '"values" must hold finite numbers, one per channel' },
      });
    });
  });

  it('parses multi-channel batches and rejects ragged rows', () => {
    const got: unknown[] = [];
    of(line('{"stream":"d","sensor":"acc","t0":1700000000,"fs":32,"values":[[1,2,3],[4,5,6]]}', 1), line('{"stream":"d","sensor":"acc","t0":1700000000,"fs":32,"values":[[1,2,3],[4,5]]}', 2))
      .pipe(parseNdjson())
      .subscribe((x) => got.push(x));
    expect((got[0] as SampleChunk).channels).to.equal(3);
    expect(Array.from((got[0] as SampleChunk).values)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(got[1]).to.have.property('malformed', true);
  });

  it('throws at creation on bad arguments', () => {
    expect(() => parseNdjson({ maxBatch: 0 })).to.throw(RangeError);
  });
});

describe('reorderDedupe', () => {
  it('sorts samples within the tolerance, drops and counts duplicates and late samples', () => {
    const counters = createCounters();
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e-----f|', {
        a: chunk('eda', 1, 10),
        b: chunk('eda', 3, 30),
        c: chunk('eda', 2, 20), // out of order, within tolerance 2
        d: chunk('eda', 3, 31), // duplicate (same sensor, same time)
        e: chunk('eda', 6, 60), // releases 1..3 (6 - 2 = 4)
        f: chunk('eda', 2.5, 25), // late: 3 was already released
      });
      const out = src.pipe(reorderDedupe({ tolerance: 2, counters }));
      const s = (t: number, v: number): object => ({ sensor: 'eda', t, values: Float32Array.of(v), fs: undefined });
      // 1 goes once 3 arrives (3 - 2 >= 1); 2 and 3 once 6 arrives; 6 only at the end
      expectObservable(out).toBe('--x-----(yz)---(w|)', { x: s(1, 10), y: s(2, 20), z: s(3, 30), w: s(6, 60) });
    });
    expect(counters.duplicates).to.equal(1);
    expect(counters.late).to.equal(1);
  });

  it('keeps samples of different sensors at the same time', () => {
    const got: string[] = [];
    from([chunk('eda', 1, 1), chunk('hr', 1, 2), chunk('eda', 0.5, 3)]).pipe(reorderDedupe({ tolerance: 1 })).subscribe((s) => got.push(`${s.sensor}@${s.t}`));
    expect(got).to.deep.equal(['eda@0.5', 'eda@1', 'hr@1']);
  });

  it('throws at creation on a negative tolerance', () => {
    expect(() => reorderDedupe({ tolerance: -1 })).to.throw(RangeError);
  });
});

describe('windowStream', () => {
  const frame = (k: number, v: number): Frame => ({ k, t: 100 + k, values: Float32Array.of(v, v) });
  it('cuts windows of length every hop frames from k = 0, marks windows with too many missing points', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcdef|', { a: frame(-1, 9), b: frame(0, 1), c: frame(1, 2), d: frame(2, NaN), e: frame(3, NaN), f: frame(4, 5) });
      const out = src.pipe(windowStream({ stream: 's', sensors: ['x', 'y'], length: 2, hop: 2, window: 2, maxMissing: 0.5, now: () => 0 }));
      expectObservable(out).toBe('--a-b-|', {
        a: { stream: 's', k0: 0, windowEnd: 102, x: Float32Array.of(1, 1, 2, 2), missing: { x: 0, y: 0 }, cutAt: 0 },
        b: { stream: 's', k0: 2, windowEnd: 104, x: Float32Array.of(NaN, NaN, NaN, NaN), missing: { x: 1, y: 1 }, cutAt: 0, skipped: 'missing' },
      });
    });
  });

  it('restarts after a gap in frame indices', () => {
    const got: number[] = [];
    from([frame(0, 1), frame(1, 1), frame(3, 1), frame(4, 1), frame(5, 1)])
      .pipe(windowStream({ stream: 's', sensors: ['x', 'y'], length: 2, hop: 1, window: 2, maxMissing: 0, now: () => 0 }))
      .subscribe((w) => got.push(w.k0));
    expect(got).to.deep.equal([0, 3, 4]);
  });
});

describe('boundedQueue', () => {
  it('batches while the worker is busy, drops the oldest beyond capacity and counts the drops', () => {
    let dropped = 0;
    const sizes: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcdef|');
      // the worker takes 5 frames per batch and echoes it upper-cased
      const worker = (batch: string[]): Observable<string[]> => cold('-----(x|)', { x: batch.map((s) => s.toUpperCase()) });
      const out = src.pipe(boundedQueue({ capacity: 2, batchSize: 2, onDrop: () => dropped++, onSize: (n) => sizes.push(n) }, worker));
      // a starts at once; b..f arrive while busy: b, c queued, d drops b, e drops c, f drops d -> queue [e, f]
      expectObservable(out).toBe('-----a----(ef|)', { a: 'A', e: 'E', f: 'F' });
    });
    expect(dropped).to.equal(3);
    expect(Math.max(...sizes)).to.equal(2);
  });

  it('drains the queue when the source completes and works with synchronous workers', () => {
    const got: number[] = [];
    let done = false;
    from([1, 2, 3, 4, 5])
      .pipe(boundedQueue({ capacity: 10, batchSize: 2 }, (b: number[]) => of(b.map((x) => x * 10))))
      .subscribe({ next: (x) => got.push(x), complete: () => (done = true) });
    expect(got).to.deep.equal([10, 20, 30, 40, 50]);
    expect(done).to.equal(true);
  });

  it('throws at creation on bad arguments', () => {
    expect(() => boundedQueue({ capacity: 0, batchSize: 1 }, (b: number[]) => of(b))).to.throw(RangeError);
  });
});

describe('smooth', () => {
  it('averages probabilities over the last N items of each stream separately', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const p = (stream: string, a: number): { stream: string; probs: Float32Array } => ({ stream, probs: Float32Array.of(a, 1 - a) });
      const src = cold('abcd|', { a: p('x', 0), b: p('y', 1), c: p('x', 1), d: p('x', 0.5) });
      expectObservable(src.pipe(smooth(2))).toBe('abcd|', { a: p('x', 0), b: p('y', 1), c: p('x', 0.5), d: p('x', 0.75) });
    });
  });
});

describe('alignResample', () => {
  it('resamples each sensor onto the grid with the training code (fast sources averaged per bin, gaps NaN)', () => {
    const frames: Frame[] = [];
    const samples = [];
    // bvp at 8 Hz with value = sample index, eda at 2 Hz constant 5; grid 2 Hz from t = 100
    for (let i = 0; i < 32; i++) if (i < 12 || i >= 16) samples.push({ sensor: 'bvp', t: 100 + i / 8, values: Float32Array.of(i) });
    for (let i = 0; i < 8; i++) samples.push({ sensor: 'eda', t: 100 + i / 2, values: Float32Array.of(5) });
    samples.sort((a, b) => a.t - b.t);
    from(samples).pipe(alignResample({ sensors: ['bvp', 'eda'], sampleRate: 2, rates: { bvp: 8, eda: 2 }, origin: 100 })).subscribe((f) => frames.push(f));
    expect(frames.map((f) => f.k)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(frames.map((f) => f.values[0])).to.deep.equal([1.5, 5.5, 9.5, NaN, 17.5, 21.5, 25.5, 29.5]);
    expect(frames.every((f) => f.values[1] === 5)).to.equal(true);
    expect(frames[3].t).to.equal(101.5);
  });
});
