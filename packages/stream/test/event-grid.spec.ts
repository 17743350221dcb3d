import { expect } from 'chai';
import { Subject } from 'rxjs';
import { eventsToGrid } from '@fusion/core/live';
import { eventGrid, Frame, Sample } from '../src';

/** An event input (ibi) of a live stream on its grid: the training rule, emitted only once a grid point is final. */
describe('eventGrid', () => {
  // eda every 0.25 s from 200 to 230 s; beats every 0.7 s but none from 210 to 218 s
  const samples: Sample[] = [];
  const times: number[] = [];
  for (let k = 0; k < 120; k++) samples.push({ sensor: 'eda', t: 200 + k * 0.25, values: [1] });
  for (let b = 0; 200.1 + b * 0.7 < 230; b++) {
    const t = 200.1 + b * 0.7;
    if (t > 210 && t < 218) continue;
    times.push(t);
    samples.push({ sensor: 'ibi', t, values: [0.7 + (b % 3) * 0.01] });
  }
  samples.sort((a, b) => a.t - b.t);
  const ev = { times: Float64Array.from(times), values: Float32Array.from(times.map((t) => 0.7 + (Math.round((t - 200.1) / 0.7) % 3) * 0.01)) };

  it('gives the samples eventsToGrid gives in training, through a pause in the beats (other sensors move time on)', () => {
    const frames: Frame[] = [];
    const feed = new Subject<Sample>();
    let now = -Infinity;
    feed.pipe(eventGrid({ sensor: 'ibi', rate: 4, maxGap: 3, origin: 200 })).subscribe((f) => {
      // final only once the stream is past the sample's bin centre
      expect(now, `frame ${f.k} emitted before its centre had passed`).to.be.above(f.t + 0.125);
      frames.push(f);
    });
    for (const s of samples) {
      now = s.t;
      feed.next(s);
    }
    feed.complete();
    // as alignResample ends a stream: up to the last grid point that starts before the last sample (229.75 s)
    const want = eventsToGrid(ev, 200, 4, 119, 3);
    expect(frames.map((f) => f.k)).to.deep.equal(Array.from({ length: 119 }, (_, k) => k));
    expect(frames.map((f) => f.values[0])).to.deep.equal(Array.from(want));
    // the pause: held for 3 s after the beat at 209.9, missing until the next beat after 218 s
    expect(Number.isNaN(frames[4 * 13 + 2].values[0])).to.equal(true);
    expect(frames[4 * 12].values[0]).to.be.above(0.69);
  });
});
