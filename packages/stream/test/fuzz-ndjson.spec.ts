import { expect } from 'chai';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { PreprocessingSpec } from '@fusion/core';
import { createCounters, isMalformed, LatencyRecorder, Line, LineSplitter, parseLine, parseNdjson, Predictor, SampleChunk, streamPipeline } from '../src';

/**
 * Fuzzing of the stream input: random bytes, random strings, random JSON and sample-shaped objects with random field
 * values. A line gives a well-formed chunk (finite times and values, consistent shape) or a Malformed item with a
 * reason; nothing throws. The whole pipeline (fake model) survives any parsed chunks. Bounded in runs and time.
 */

const BUDGET_MS = 1500;

function saneChunk(c: SampleChunk): void {
  expect(c.stream).to.be.a('string').and.not.equal('');
  expect(c.sensor).to.be.a('string').and.not.equal('');
  expect(Number.isInteger(c.channels) && c.channels >= 1, `channels ${c.channels}`).to.equal(true);
  expect(c.values.length).to.equal(c.times.length * c.channels);
  for (const t of c.times) expect(Number.isFinite(t), `time ${t}`).to.equal(true);
  // values are stored as float32: a finite double beyond ~3.4e38 must not come out as Infinity
  for (const v of c.values) expect(Number.isFinite(v), `value ${v}`).to.equal(true);
  if (c.fs !== undefined) expect(c.fs > 0 && Number.isFinite(c.fs)).to.equal(true);
}

function checkLine(text: string): SampleChunk | string {
  const r = parseLine(text);
  if (typeof r === 'string') expect(r).to.not.equal('');
  else saneChunk(r);
  return r;
}

const num = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 1e308, -1e308, 3.5e38, 1e39, 5e-324, 1644226061.25, Number.MAX_SAFE_INTEGER)
);
const field = fc.oneof(num, fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), fc.jsonValue({ maxDepth: 2 }));

/** Objects shaped like the wire format, each field valid, missing or replaced by something random. */
const sampleLike = fc.record(
  {
    stream: fc.oneof(fc.constantFrom('dev-1', 'dev-2', ''), fc.string({ maxLength: 300 }), field),
    sensor: fc.oneof(fc.constantFrom('eda', 'hr', 'EDA', 'bvp', 'temp', 'acc', ''), field),
    t: fc.oneof(fc.double({ min: 1e9, max: 2e9, noNaN: true }), field),
    t0: fc.oneof(fc.double({ min: 1e9, max: 2e9, noNaN: true }), field),
    fs: fc.oneof(fc.constantFrom(1, 4, 64, 0, -1, 1e-300, 1e308), field),
    values: fc.oneof(
      fc.array(num, { maxLength: 5 }),
      fc.array(fc.array(num, { minLength: 1, maxLength: 3 }), { maxLength: 5 }),
      fc.array(field, { maxLength: 4 }),
      field
    ),
  },
  { requiredKeys: [] }
);

describe('fuzz: NDJSON stream input never crashes the parser or the pipeline', function () {
  this.timeout(60000);

  it('parseLine: random strings, random bytes, random JSON, sample-shaped objects', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.fullUnicodeString(),
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('utf8')),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          sampleLike.map((o) => JSON.stringify(o)),
          fc.nat({ max: 100000 }).map((d) => '['.repeat(d) + ']'.repeat(d))
        ),
        (text) => {
          checkLine(text);
        }
      ),
      { numRuns: 300, seed: 21, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('parseLine: huge but finite values are rejected, not turned into Infinity', () => {
    for (const v of [1e39, -1e308, 3.5e38]) {
      expect(checkLine(JSON.stringify({ stream: 'a', sensor: 'eda', t: 1, values: [v] }))).to.be.a('string');
      expect(checkLine(JSON.stringify({ stream: 'a', sensor: 'eda', t0: 1, fs: 4, values: [1, v] }))).to.be.a('string');
      expect(checkLine(JSON.stringify({ stream: 'a', sensor: 'acc', t0: 1, fs: 4, values: [[1, 2, v]] }))).to.be.a('string');
    }
    // a sensor without a plausible range (not an E4 one) keeps the whole float32 range
    expect(checkLine(JSON.stringify({ stream: 'a', sensor: 'x', t: 1700000000, values: [3.4e38] }))).to.not.be.a('string');
  });

  it('parseNdjson: every non-blank line becomes exactly one chunk or one Malformed with its line number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), sampleLike.map((o) => JSON.stringify(o)), fc.constantFrom('', '   ', '\r')), { maxLength: 30 }), async (texts) => {
        const lines: Line[] = texts.map((text, i) => ({ text, lineNo: i + 1, origin: 'fuzz' }));
        const out = await lastValueFrom(from(lines).pipe(parseNdjson(), toArray()));
        expect(out.length).to.equal(texts.filter((t) => t.trim() !== '').length);
        for (const item of out) {
          if (isMalformed(item)) {
            expect(item.origin).to.equal('fuzz');
            expect(item.lineNo).to.be.within(1, texts.length);
            expect(texts[item.lineNo - 1].trim()).to.not.equal('');
          } else saneChunk(item);
        }
      }),
      { numRuns: 150, seed: 22, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('LineSplitter: random bytes cut into random pieces give the same lines as the whole text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const text = Buffer.from(bytes).toString('latin1');
        const pieces: string[] = [];
        let at = 0;
        for (const c of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
          pieces.push(text.slice(at, c));
          at = c;
        }
        pieces.push(text.slice(at));
        const run = (parts: string[]): Line[] => {
          const s = new LineSplitter('fuzz', 64);
          const got: Line[] = [];
          for (const p of parts) s.push(p, (l) => got.push(l));
          s.end((l) => got.push(l));
          return got;
        };
        const whole = run([text]);
        expect(run(pieces)).to.deep.equal(whole);
        whole.forEach((l, i) => expect(l.lineNo).to.equal(i + 1));
        for (const l of whole) expect(l.text.length <= 64 || l.text.startsWith('<line longer')).to.equal(true);
      }),
      { numRuns: 200, seed: 23, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('streamPipeline: parsed random lines (bursts, duplicates, out of order, gaps, extreme values) never error', async () => {
    const P = {
      sampleRate: 2,
      window: 2,
      hop: 1,
      normalize: 'subject',
      maxMissing: 0.5,
      label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] },
      augment: { noise: 0, copies: 0 },
    } as PreprocessingSpec;
    const model: Predictor = {
      sensors: ['eda', 'hr'],
      classes: ['low', 'high'],
      length: 4,
      predict: async (x, n) => {
        expect(x.length).to.equal(n * 8);
        const out = new Float32Array(n * 2);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < 8; j++) s += Number.isFinite(x[i * 8 + j]) ? x[i * 8 + j] : 1e6; // a non-finite input shows up in the probabilities
          const hi = 1 / (1 + Math.exp(-s / 8));
          out[i * 2] = 1 - hi;
          out[i * 2 + 1] = hi;
        }
        return out;
      },
    };
    // Mostly plausible samples around one time, some far away or repeated, with extreme values.
    const sample = fc.record({
      stream: fc.constantFrom('a', 'b'),
      sensor: fc.constantFrom('eda', 'hr', 'temp'),
      t: fc.oneof(fc.double({ min: 1000, max: 1040, noNaN: true }), fc.constantFrom(1000, 1000.5, 1001, 999, 1100)),
      values: fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1e30, -1e30, 3.4e38)), { minLength: 1, maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(sample.map((s) => JSON.stringify(s)), fc.string({ maxLength: 20 })), { maxLength: 120 }), async (texts) => {
        const chunks = texts.map((t) => parseLine(t)).filter((r): r is SampleChunk => typeof r !== 'string');
        const counters = createCounters();
        const events = await lastValueFrom(
          from(chunks).pipe(streamPipeline({ model, preprocessing: P, rates: { eda: 4, hr: 1, temp: 4 }, warmupSeconds: 2, counters, latency: new LatencyRecorder() }), toArray()),
          { defaultValue: [] }
        );
        for (const e of events) {
          expect(['a', 'b']).to.include(e.stream);
          expect(Number.isFinite(e.windowEnd)).to.equal(true);
          if ('probs' in e) for (const p of Object.values(e.probs)) expect(Number.isFinite(p) && p >= 0 && p <= 1, `prob ${p}`).to.equal(true);
        }
        expect(counters.predicted).to.equal(events.filter((e) => 'probs' in e).length);
      }),
      { numRuns: 100, seed: 24, interruptAfterTimeLimit: 3000 }
    );
  });

  it('streamPipeline: one sensor jumping far ahead does not bridge the gap frame by frame', async function () {
    this.timeout(20000);
    // eda and hr at t = 1000, then one eda sample 1e8 s later: the gap must be jumped, not filled with ~4e8 frames.
    const P = {
      sampleRate: 4,
      window: 2,
      hop: 2,
      normalize: 'subject',
      maxMissing: 0.5,
      label: { target: 'arousal', mapping: 'threshold', threshold: 3, classes: ['low', 'high'] },
      augment: { noise: 0, copies: 0 },
    } as PreprocessingSpec;
    const model: Predictor = { sensors: ['eda', 'hr'], classes: ['low', 'high'], length: 8, predict: async (_x, n) => new Float32Array(n * 2).fill(0.5) };
    const chunks = [
      { stream: 'a', sensor: 'eda', t: 1000, values: [1] },
      { stream: 'a', sensor: 'hr', t: 1000, values: [70] },
      { stream: 'a', sensor: 'eda', t: 1000 + 1e8, values: [1] },
    ].map((o) => parseLine(JSON.stringify(o))).filter((r): r is SampleChunk => typeof r !== 'string');
    const counters = createCounters();
    const events = await lastValueFrom(
      from(chunks).pipe(streamPipeline({ model, preprocessing: P, rates: { eda: 4, hr: 1, temp: 4 }, warmupSeconds: 0, counters, latency: new LatencyRecorder() }), toArray()),
      { defaultValue: [] }
    );
    // Bridging the gap frame by frame would cut ~5e7 windows (and run into the test's timeout): only the windows
    // around each side of the gap may be cut.
    expect(counters.windows, 'windows cut').to.be.lessThan(100);
    expect(events.length).to.be.lessThan(100);
    const inGap = events.filter((e) => e.windowEnd > 1000 + 120 && e.windowEnd < 1000 + 1e8 - 120);
    expect(inGap.map((e) => e.windowEnd), 'windows inside the gap').to.deep.equal([]);
  });
});
