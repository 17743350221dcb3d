import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { createContainer, eventsToGrid, getRegistries, makeMultiRateWindows, multiRateInputs, Recording, SpecValidator } from '@fusion/core';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { channelFeatures, fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { ROOT, specIssues } from './helpers';

/** IBI as a graph input: an event series held on the input's grid, its own missing-data rule, HRV from it. */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const issuesOf = (s: unknown): { path: string; message: string }[] => specIssues(validator, s);

/** A small graph spec with an EDA input and an IBI input at 4 Hz (dataset and the IBI input overridable). */
function ibiSpec(ibi: Record<string, unknown> = { sensor: 'ibi', rate: 4 }, dataset: Record<string, unknown> = { type: 'synthetic', participants: 2, minutes: 1 }): Record<string, unknown> {
  return {
    name: 'ibi',
    dataset,
    inputs: { eda: { sensor: 'eda', rate: 4 }, ibi },
    preprocessing: { sampleRate: 4, window: 10, hop: 10, normalize: 'subject', maxMissing: 0.5, label: { mapping: 'threshold', threshold: 3 } },
    nodes: {
      feat: { type: 'features', groups: ['statistics', 'hrv'], inputs: ['ibi'] },
      feat_eda: { type: 'features', groups: ['statistics'], inputs: ['eda'] },
      head: { type: 'bigru', units: 4, inputs: ['feat', 'feat_eda'] },
    },
    outputs: { arousal: { node: 'head', label: 'arousal' } },
    training: { epochs: 1 },
    evaluation: { type: 'loso' },
  };
}

describe('IBI input: an event series on a regular grid', () => {
  it('holds the last beat at or before each bin centre; a sample more than maxGap s after it is missing', () => {
    // beats at 1.0 (0.8 s), 1.9 (0.9 s), then none until 6.0 (0.7 s); grid at 4 Hz from 0: centres 0.125, 0.375, ...
    const ev = { times: Float64Array.of(1.0, 1.9, 6.0), values: Float32Array.of(0.8, 0.9, 0.7) };
    const v = Array.from(eventsToGrid(ev, 0, 4, 28, 3));
    const at = (t: number): number => v[Math.floor(t * 4)];
    expect(v.slice(0, 4).every(Number.isNaN), 'before the first beat').to.equal(true);
    expect(at(1.1)).to.be.closeTo(0.8, 1e-6);
    expect(at(1.8)).to.be.closeTo(0.8, 1e-6); // centre 1.875 is before the beat at 1.9
    expect(at(2.0)).to.be.closeTo(0.9, 1e-6);
    expect(at(4.8)).to.be.closeTo(0.9, 1e-6); // centre 4.875: 2.975 s after the beat
    expect(Number.isNaN(at(5.0)), '3.225 s after the last beat').to.equal(true);
    expect(at(6.0)).to.be.closeTo(0.7, 1e-6);
    // the bin [1.0, 1.25) has its centre at 1.125: a beat at 1.1 is held there, one at 1.2 is not yet
    expect(eventsToGrid({ times: Float64Array.of(1.1), values: Float32Array.of(0.8) }, 0, 4, 8, 3)[4]).to.be.closeTo(0.8, 1e-6);
    expect(Number.isNaN(eventsToGrid({ times: Float64Array.of(1.2), values: Float32Array.of(0.8) }, 0, 4, 8, 3)[4])).to.equal(true);
    // a live stream computes the same samples from its own first index (k0)
    expect(Array.from(eventsToGrid(ev, 0, 4, 10, 3, 18))).to.deep.equal(v.slice(18));
  });

  it('a spec may name ibi as an input: "missing.maxGap" defaults to 3 s and it takes the multi-rate path, its windows in seconds', () => {
    const spec = validator.check(ibiSpec(), 'x.json');
    expect(spec.inputs!.ibi.missing).to.deep.equal({ maxGap: 3 });
    const inputs = multiRateInputs(spec)!;
    expect(inputs.map((i) => [i.name, i.maxGap])).to.deep.equal([['eda', undefined], ['ibi', 3]]);
    // 40 s of EDA; beats every 0.8 s but none from 20 to 30 s: the window over the pause misses 75% > 50% (held for
    // 3 s after the beat at 19.5 s); the next one misses its first 3 samples (> 3 s after 19.5, before 30.7)
    const t0 = 100;
    const beats: number[] = [];
    for (let k = 0; k < 50; k++) {
      const t = t0 + 0.3 + 0.8 * k;
      if (t < t0 + 20 || (t > t0 + 30 && t < t0 + 40)) beats.push(t);
    }
    const rec: Recording = {
      subject: 's1',
      signals: { eda: { t0, fs: 4, channels: 1, data: Float32Array.from({ length: 160 }, (_, i) => 1 + (i % 7)) } },
      events: { ibi: { times: Float64Array.from(beats), values: new Float32Array(beats.length).fill(0.8) } },
      labels: [{ start: t0, end: t0 + 40, values: { arousal: 4 } }],
    };
    const { windows } = makeMultiRateWindows([rec], inputs, spec.preprocessing);
    expect(Array.from(windows.ends)).to.deep.equal([t0 + 10, t0 + 20, t0 + 40]);
    const q = windows.parts![1];
    expect(q.maxGap).to.equal(3);
    // never z-scored: the held interval in seconds (the missing samples of the kept 20-30 s window are 0)
    expect(windows.x[q.offset + 5]).to.be.closeTo(0.8, 1e-6);
    const row = q.offset + q.length;
    const last = Array.from(windows.x.subarray(2 * row + q.offset, 2 * row + q.offset + q.length));
    expect(last.slice(0, 4).map((x) => Math.round(x * 10) / 10)).to.deep.equal([0, 0, 0, 0.8]);
  });

  it('refuses an event input above 8 Hz, "missing" on a regular signal, and ibi in the slot form, with JSON paths', () => {
    expect(issuesOf(ibiSpec({ sensor: 'ibi', rate: 16 })).map((i) => [i.path, /at most 8 Hz/.test(i.message)])).to.deep.include(['/inputs/ibi/rate', true]);
    const s = ibiSpec();
    (s.inputs as Record<string, unknown>).eda = { sensor: 'eda', rate: 4, missing: { maxGap: 2 } };
    expect(issuesOf(s).find((i) => i.path === '/inputs/eda/missing')?.message).to.match(/for event inputs \(dataset "synthetic" has ibi\); "eda" is a regular signal/);
    expect(issuesOf(ibiSpec({ sensor: 'ibi', rate: 4, missing: { maxGap: 0 } })).map((i) => i.path)).to.include('/inputs/ibi/missing/maxGap');
    const slot = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'emoheal-quick.json'), 'utf8'));
    slot.sensors = [...slot.sensors, 'ibi'];
    const slotIssues = issuesOf(slot);
    expect(slotIssues.find((i) => i.path === `/sensors/${slot.sensors.length - 1}`)?.message).to.match(/"ibi" is an event series.*Give the model as a graph with an input/);
  });

  it('every adapter that reads IBI declares it; a features node computes HRV from an ibi input at 4 Hz (no 32-Hz rule)', () => {
    for (const t of ['e4', 'stress-predict', 'kemocon', 'synthetic']) expect(registries.datasets.get(t).events, t).to.deep.equal(['ibi']);
    expect(issuesOf(ibiSpec())).to.deep.equal([]);
    const s = ibiSpec();
    (s.nodes as Record<string, { inputs: string[] }>).feat.inputs = ['eda'];
    (s.inputs as Record<string, unknown>).ibi = undefined;
    delete (s.inputs as Record<string, unknown>).ibi;
    expect(issuesOf(s).find((i) => i.path === '/nodes/feat/groups')?.message).to.match(/the input eda has 4 Hz.*or an ibi input/);
  });

  it('HRV of a held IBI series: mean IBI, SDNN, RMSSD and pNN50 of the beats (equal successive intervals counted)', () => {
    const rate = 4;
    // 0.8, 0.8, 1.0, 0.8, 0.8, 1.0, ... for 60 s: differences 0, +0.2, -0.2 (two of three above 50 ms)
    const ibis: number[] = [];
    const beats: number[] = [];
    for (let t = 0, k = 0; t < 62; k++) {
      const d = k % 3 === 2 ? 1.0 : 0.8;
      t += d;
      beats.push(t);
      ibis.push(d);
    }
    const v = eventsToGrid({ times: Float64Array.from(beats), values: Float32Array.from(ibis) }, 1, rate, 60 * rate, 3);
    const out = new Float32Array(4);
    channelFeatures(v, rate, ['hrv'], out, 0, true);
    const [meanIbi, sdnn, rmssd, pnn50] = Array.from(out);
    // time-weighted: each interval is held until the next beat
    expect(meanIbi).to.be.closeTo((0.8 * 1.0 + 0.8 * 0.8 + 1.0 * 0.8) / 2.6, 0.01);
    expect(sdnn).to.be.closeTo(0.094, 0.01);
    expect(rmssd).to.be.closeTo(Math.sqrt((2 / 3) * 0.04), 0.01);
    expect(pnn50).to.be.closeTo(2 / 3, 0.03);
    // the same series read as a pulse wave finds no beats at all: the ibi flag is what selects this rule
    channelFeatures(v, rate, ['hrv'], out, 0, false);
    expect(out[2]).to.not.be.closeTo(rmssd, 0.01);
  });
});
