import { expect } from 'chai';
import { map, Observable, OperatorFunction, scan } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createCounters, groupByStream, SampleChunk } from '../src';

const chunk = (stream: string): SampleChunk => ({ stream, sensor: 'eda', times: Float64Array.of(0), values: Float32Array.of(0), channels: 1 });
/** Per stream: `<id><n>` for its n-th chunk, so each stream's own running state shows in the output. */
const countPerStream = (id: string): OperatorFunction<SampleChunk, string> => (src) =>
  src.pipe(
    scan((n) => n + 1, 0),
    map((n) => `${id}${n}`)
  );

describe('groupByStream (marble tests)', () => {
  const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });

  it('keeps each stream\'s state apart and merges the outputs in arrival order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-a-a-b|', { a: chunk('a'), b: chunk('b') });
      expectObservable(src.pipe(groupByStream(countPerStream, { maxStreams: 10 }))).toBe('a-b-c-d-e|', { a: 'a1', b: 'b1', c: 'a2', d: 'a3', e: 'b2' });
    });
  });

  it('refuses and counts new streams beyond maxStreams; an idle stream closes, frees its place and restarts afresh', () => {
    const counters = createCounters();
    scheduler().run(({ cold, expectObservable }) => {
      // a and b are active; c is refused at 6. a is silent from 4 and closes at 11 (idleMs 7), b from 8 and closes at
      // 15; at 19 a starts afresh (a1 again) and at 21 c, refused before, now has a place.
      const src = cold('a-b-a-c-b 10ms a-c|', { a: chunk('a'), b: chunk('b'), c: chunk('c') });
      const out = src.pipe(groupByStream(countPerStream, { maxStreams: 2, idleMs: 7, counters }));
      expectObservable(out).toBe('a-b-c---d 10ms e-f|', { a: 'a1', b: 'b1', c: 'a2', d: 'b2', e: 'a1', f: 'c1' });
    });
    expect(counters.refusedStreams).to.equal(1);
    expect(counters.streams).to.equal(4);
  });

  it('without idleMs a stream stays open: a chunk after a long silence continues its state', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a 100ms a|', { a: chunk('a') });
      expectObservable(src.pipe(groupByStream(countPerStream, { maxStreams: 1 }))).toBe('a 100ms b|', { a: 'a1', b: 'a2' });
    });
  });

  it('an error in one stream\'s operator ends that stream only, counted; the other streams go on', () => {
    const counters = createCounters();
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-a|', { a: chunk('a'), b: chunk('b') });
      const failing = (id: string): OperatorFunction<SampleChunk, string> => (s) =>
        new Observable<string>((sub) =>
          s.subscribe({
            next: () => (id === 'b' ? sub.error(new RangeError('bad b')) : sub.next(id)),
            complete: () => sub.complete(),
          })
        );
      expectObservable(src.pipe(groupByStream(failing, { maxStreams: 5, counters }))).toBe('a---a|', { a: 'a' });
    });
    expect(counters.failedStreams).to.equal(1);
  });

  it('throws at creation on bad arguments', () => {
    expect(() => groupByStream(countPerStream, { maxStreams: 0 })).to.throw(RangeError, /maxStreams/);
    expect(() => groupByStream(countPerStream, { maxStreams: 1, idleMs: 0 })).to.throw(RangeError, /idleMs/);
  });
});
