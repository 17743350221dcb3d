import { expect } from 'chai';
import { from } from 'rxjs';
import { multiRateWindows, Sample, Window } from '../src';

/** Live multi-rate windows (no origin known in advance): every rate's window ends at the same time and is joined. */
describe('multiRateWindows', () => {
  // bvp at 32 Hz and eda at 4 Hz from t = 100.3 s to 130 s, each value its own time
  const samples: Sample[] = [];
  for (let i = 0; 100.3 + i / 32 < 130; i++) {
    samples.push({ sensor: 'bvp', t: 100.3 + i / 32, values: [100.3 + i / 32] });
    if (i % 8 === 0) samples.push({ sensor: 'eda', t: 100.3 + i / 32, values: [100.3 + i / 32] });
  }
  const parts = [
    { name: 'pulse', sensor: 'bvp', rate: 32, length: 160, offset: 0, maxMissing: 0.2 },
    { name: 'eda', sensor: 'eda', rate: 4, length: 20, offset: 160, maxMissing: 0.2 },
  ];
  const run = (): Window[] => {
    const out: Window[] = [];
    from(samples)
      .pipe(multiRateWindows({ stream: 's', parts, window: 5, hop: 5, norm: { kind: 'none' }, rates: { bvp: 32, eda: 4 }, now: () => 0 }))
      .subscribe((w) => out.push(w));
    return out;
  };

  it('starts on the first sample\'s whole second and joins the windows of both rates that end at the same time', () => {
    const ws = run();
    expect(ws.map((w) => w.windowEnd).slice(0, 4)).to.deep.equal([110, 115, 120, 125]);
    for (const w of ws.slice(0, 4)) {
      expect(w.x.length).to.equal(180);
      expect(w.skipped).to.equal(undefined);
      // the last point of each part covers the last 1/rate s before the window end
      expect(w.x[159]).to.be.within(w.windowEnd - 1 / 32 - 1e-3, w.windowEnd);
      expect(w.x[179]).to.be.within(w.windowEnd - 1 / 4 - 1e-3, w.windowEnd);
      expect(w.x[160]).to.be.within(w.windowEnd - 5 - 1e-3, w.windowEnd - 5 + 1 / 4);
      expect(Object.keys(w.missing)).to.deep.equal(['pulse', 'eda']);
    }
  });

  it('a window where one input misses more than its maxMissing is skipped', () => {
    const gap = samples.filter((s) => !(s.sensor === 'eda' && s.t > 112 && s.t < 114.9));
    const out: Window[] = [];
    from(gap)
      .pipe(multiRateWindows({ stream: 's', parts, window: 5, hop: 5, norm: { kind: 'none' }, rates: { bvp: 32, eda: 4 }, now: () => 0 }))
      .subscribe((w) => out.push(w));
    const w115 = out.find((w) => w.windowEnd === 115)!;
    expect(w115.skipped).to.equal('missing');
    expect(w115.missing.eda).to.be.greaterThan(0.2);
    expect(out.find((w) => w.windowEnd === 120)!.skipped).to.equal(undefined);
  });
});
