import { expect } from 'chai';
import { from, map, OperatorFunction } from 'rxjs';
import { createCounters, groupByStream, SampleChunk } from '../src';

const chunk = (stream: string, t: number): SampleChunk => ({ stream, sensor: 'eda', times: Float64Array.of(t), values: Float32Array.of(1), channels: 1 });

describe('groupByStream: one stream failing', () => {
  it('ends that stream only (its later chunks dropped); the other streams and the output go on', () => {
    const counters = createCounters();
    const failures: string[] = [];
    const perStream = (id: string): OperatorFunction<SampleChunk, string> =>
      map((c: SampleChunk) => {
        if (id === 'bad' && c.times[0] === 2) throw new RangeError('a frame the pipeline cannot take');
        return `${id}@${c.times[0]}`;
      });
    const got: string[] = [];
    let error: unknown;
    let completed = false;
    from([chunk('good', 1), chunk('bad', 1), chunk('bad', 2), chunk('good', 2), chunk('bad', 3), chunk('good', 3)])
      .pipe(groupByStream(perStream, { maxStreams: 10, counters, onStreamError: (id, e) => failures.push(`${id}: ${e.message}`) }))
      .subscribe({ next: (x) => got.push(x), error: (e) => (error = e), complete: () => (completed = true) });
    expect(error).to.equal(undefined);
    expect(completed).to.equal(true);
    expect(got).to.deep.equal(['good@1', 'bad@1', 'good@2', 'good@3']);
    expect(failures).to.deep.equal(['bad: a frame the pipeline cannot take']);
    expect(counters.failedStreams).to.equal(1);
    expect(counters.streams).to.equal(2);
  });

  it('a per-stream pipeline that cannot even be built fails that stream only', () => {
    const counters = createCounters();
    const got: string[] = [];
    const perStream = (id: string): OperatorFunction<SampleChunk, string> => {
      if (id === 'bad') throw new RangeError('no statistics for this stream');
      return map((c: SampleChunk) => `${id}@${c.times[0]}`);
    };
    from([chunk('bad', 1), chunk('good', 1)])
      .pipe(groupByStream(perStream, { maxStreams: 10, counters }))
      .subscribe((x) => got.push(x));
    expect(got).to.deep.equal(['good@1']);
    expect(counters.failedStreams).to.equal(1);
  });
});
