import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { createContainer, DataFormatError, DatasetError, getRegistries, LabelInterval, LoadContext, makeWindows, PreprocessingSpec, requireData, SpecValidator } from '@fusion/core';
import {
  normalizeSubjectId,
  readStressPredict,
  readStressPredictTags,
  sensorsModule,
  SETUP_TAG_SECONDS,
  stressPredictLabels,
  stressPredictTasks,
  TWELVE_HOURS_S,
} from '../src';
import { datasetSpec as spec, STRESS_PREDICT, thrown, tmpDir } from './helpers';

const T0 = 1700000000;
const DURATION = 2400;
/** The protocol of a typical subject, as offsets from T0: Stroop 600-900, interview 1140-1740, hyperventilation 1980-2100, end of rest 2340. */
const OFFSETS = [600, 900, 1140, 1740, 1980, 2100, 2340];
const TAGS = OFFSETS.map((o) => T0 + o);
const EXTENT = { start: T0, end: T0 + DURATION };

/** Writes a minimal E4 export (EDA and TEMP 4 Hz from T0, HR 1 Hz from T0 + 10 s, like the device) and its tags file. */
function writeSubject(root: string, id: string, tags: readonly (number | string)[] | null, opts: { crlf?: boolean; tagFile?: string } = {}): string {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true });
  const signal = (t0: number, fs_: number, n: number, f: (i: number) => number): string =>
    [t0.toFixed(6), fs_.toFixed(6), ...Array.from({ length: n }, (_, i) => f(i).toFixed(3))].join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'EDA.csv'), signal(T0, 4, DURATION * 4, (i) => 1 + 0.1 * Math.sin(i / 50)));
  fs.writeFileSync(path.join(dir, 'TEMP.csv'), signal(T0, 4, DURATION * 4, () => 32));
  fs.writeFileSync(path.join(dir, 'HR.csv'), signal(T0 + 10, 1, DURATION - 10, (i) => 70 + (i % 7)));
  if (tags) {
    const eol = opts.crlf ? '\r\n' : '\n';
    fs.writeFileSync(path.join(dir, opts.tagFile ?? `tags_${id}.csv`), tags.map(String).join(eol) + eol);
  }
  return dir;
}

function context(baseDir: string, sensors: string[] = ['eda', 'hr']): LoadContext {
  return { baseDir, cacheDir: path.join(baseDir, 'cache'), sensors, warn: () => undefined };
}

/** The expected stress value at time t (offset from T0) under the typical protocol, all three tasks. */
function expectedAt(offset: number): number {
  return (offset >= 600 && offset < 900) || (offset >= 1140 && offset < 1740) || (offset >= 1980 && offset < 2100) ? 1 : 0;
}

describe('Stress-Predict adapter', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-stress-predict-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('tags file', () => {
    it('reads one Unix time per line, CRLF or LF, with decimals', () => {
      const root = path.join(dir, 'tags-read');
      writeSubject(root, 'S01', ['1644231934.03', '1644232209.77', '1644232484'], { crlf: true });
      expect(readStressPredictTags(path.join(root, 'S01', 'tags_S01.csv'))).to.deep.equal([1644231934.03, 1644232209.77, 1644232484]);
    });

    it('rejects a non-numeric tag with file and line', () => {
      const root = path.join(dir, 'tags-bad');
      writeSubject(root, 'S01', ['1644231934', '15:42']);
      const file = path.join(root, 'S01', 'tags_S01.csv');
      const e = thrown(() => readStressPredictTags(file));
      expect(e).to.be.instanceOf(DataFormatError);
      expect(e.message).to.contain(`${file}:2:`);
    });
  });

  describe('tag rule', () => {
    it('takes tags 1-6 as Stroop, interview and hyperventilation start/end; tag 7 is not a boundary', () => {
      const p = stressPredictTasks('S05', TAGS, EXTENT);
      expect(p.error).to.equal(undefined);
      expect(p.warnings).to.deep.equal([]);
      expect(p.tasks).to.deep.equal([
        { phase: 'stroop', start: T0 + 600, end: T0 + 900 },
        { phase: 'interview', start: T0 + 1140, end: T0 + 1740 },
        { phase: 'hyperventilation', start: T0 + 1980, end: T0 + 2100 },
      ]);
    });

    it('corrects a tag exactly 12 h early (or late) with a warning naming the tag', () => {
      const early = [...TAGS];
      early[3] -= TWELVE_HOURS_S;
      const p = stressPredictTasks('S17', early, EXTENT);
      expect(p.tasks?.[1]).to.deep.equal({ phase: 'interview', start: T0 + 1140, end: T0 + 1740 });
      expect(p.warnings).to.have.length(1);
      expect(p.warnings[0]).to.match(/^S17: tag #4 .*outside the recording.*12 h early.*\+43200 s/);
      const late = [...TAGS];
      late[0] += TWELVE_HOURS_S;
      const q = stressPredictTasks('S18', late, EXTENT);
      expect(q.tasks?.[0].start).to.equal(T0 + 600);
      expect(q.warnings[0]).to.match(/^S18: tag #1 .*12 h late.*-43200 s/);
    });

    it('ignores set-up presses at the very start (S01 pattern) with a warning', () => {
      const p = stressPredictTasks('S01', [T0 + 79, ...TAGS, T0 + 2380], EXTENT);
      expect(p.tasks?.map((t) => t.start)).to.deep.equal([T0 + 600, T0 + 1140, T0 + 1980]);
      expect(p.warnings.join('\n')).to.contain('S01: tag #1 is 79 s after the recording start').and.contain('tag #9 comes after the protocol and is ignored');
      expect(SETUP_TAG_SECONDS).to.be.lessThan(374); // S01's real Stroop start; every protocol opens with a longer rest
    });

    it('rejects a subject whose tags cannot be made consistent, never guessing', () => {
      const cases: [string, number[], RegExp][] = [
        ['too few', TAGS.slice(0, 5), /5 tag\(s\).*expected at least 6/],
        ['non-increasing', [TAGS[0], TAGS[2], TAGS[1], ...TAGS.slice(3)], /tag #3 .*is not after tag #2/],
        ['outside, not a 12-h error', [TAGS[0] - 5000, ...TAGS.slice(1)], /tag #1 .*outside the recording.*also after a 12-h correction/],
        ['implausible task length', [T0 + 300, T0 + 310, ...TAGS.slice(2)], /stroop task would last 10 s/],
      ];
      for (const [what, tags, pattern] of cases) {
        const p = stressPredictTasks('S99', tags, EXTENT);
        expect(p.tasks, what).to.equal(undefined);
        expect(p.error, what).to.match(pattern).and.match(/subject skipped/);
      }
    });
  });

  describe('labels', () => {
    const tasks = stressPredictTasks('S05', TAGS, EXTENT).tasks ?? [];

    it('covers the span with consecutive non-stress / stress intervals', () => {
      const span = { start: T0 + 10, end: T0 + DURATION };
      const l = stressPredictLabels(tasks, span);
      expect(l.map((x) => [x.start - T0, x.end - T0, x.values.stress])).to.deep.equal([
        [10, 600, 0],
        [600, 900, 1],
        [900, 1140, 0],
        [1140, 1740, 1],
        [1740, 1980, 0],
        [1980, 2100, 1],
        [2100, 2400, 0],
      ]);
    });

    it('leaves tasks not listed in phases unlabelled, and clips to the span', () => {
      const l = stressPredictLabels(tasks, { start: T0 + 700, end: T0 + 2000 }, ['interview']);
      expect(l.map((x) => [x.start - T0, x.end - T0, x.values.stress])).to.deep.equal([
        [900, 1140, 0],
        [1140, 1740, 1],
        [1740, 1980, 0],
      ]);
    });

    it('makes windows with one true label each; windows across a task boundary are dropped', () => {
      const root = path.join(dir, 'windows');
      writeSubject(root, 'S05', TAGS);
      const ds = readStressPredict(root, { sensors: ['eda', 'hr'] });
      const p: PreprocessingSpec = {
        sampleRate: 1,
        window: 60,
        hop: 30,
        normalize: 'none',
        maxMissing: 0.2,
        label: { target: 'stress', mapping: 'identity', threshold: 1, classes: ['non-stress', 'stress'] },
        augment: { noise: 0, copies: 0 },
      };
      const { windows, report } = makeWindows(ds.recordings, ['eda', 'hr'], p);
      expect(report.dropped.straddling).to.be.greaterThan(0);
      expect(windows.y.length).to.be.greaterThan(50);
      for (let i = 0; i < windows.y.length; i++) {
        const end = windows.ends[i] - T0;
        const start = end - 60;
        expect(expectedAt(start), `window ${start}-${end}`).to.equal(expectedAt(end - 1e-6));
        expect(windows.y[i], `window ${start}-${end}`).to.equal(expectedAt(start));
      }
      expect([...windows.y].filter((y) => y === 1).length).to.be.greaterThan(10);
    });
  });

  describe('folder reader and adapter', () => {
    it('labels every consistent subject, sets span to the common extent, warns about corrections and skips the rest', () => {
      const root = path.join(dir, 'folder');
      writeSubject(root, 'S01', [T0 + 79, ...TAGS], { crlf: true });
      const shifted = [...TAGS];
      shifted[3] -= TWELVE_HOURS_S;
      shifted[6] -= TWELVE_HOURS_S;
      writeSubject(root, 'S17', shifted);
      writeSubject(root, 'S06', [T0 + 1043, T0 + 1576, T0 + 1983, T0 + 2276, T0 + 2300, T0 + 2350, T0 + 2390]);
      writeSubject(root, 'S20', TAGS.slice(0, 4));
      writeSubject(root, 'S21', null);
      writeSubject(root, 'S22', TAGS, { tagFile: 'tags.csv' });
      const ds = readStressPredict(root, { sensors: ['eda', 'hr'] });
      expect(ds.recordings.map((r) => r.subject)).to.deep.equal(['S01', 'S17', 'S22']);
      for (const r of ds.recordings) {
        expect(r.span).to.deep.equal({ start: T0 + 10, end: T0 + DURATION });
        expect(r.labels.map((l: LabelInterval) => l.values.stress)).to.deep.equal([0, 1, 0, 1, 0, 1, 0]);
        expect(r.labels[1].start).to.equal(T0 + 600);
      }
      const w = ds.warnings.join('\n');
      expect(w).to.contain('S01: tag #1 is 79 s after the recording start');
      expect(w).to.match(/S17: tag #4 .*corrected by \+43200 s/).and.match(/S17: tag #7 .*corrected by \+43200 s/);
      expect(w).to.match(/S06: .*subject skipped/);
      expect(w).to.match(/S20: 4 tag\(s\).*subject skipped/);
      expect(w).to.match(/S21: no tags_S21\.csv.*subject skipped/);
    });

    it('selects subjects by id in any spelling and names unknown ones', () => {
      const root = path.join(dir, 'select');
      writeSubject(root, 'S01', TAGS);
      writeSubject(root, 'S02', TAGS);
      writeSubject(root, 'S10', TAGS);
      expect(normalizeSubjectId('s1')).to.equal('S01');
      expect(readStressPredict(root, { subjects: ['10', 's1'], sensors: ['eda'] }).recordings.map((r) => r.subject)).to.deep.equal(['S10', 'S01']);
      const e = thrown(() => readStressPredict(root, { subjects: ['S03'], sensors: ['eda'] }));
      expect(e).to.be.instanceOf(DatasetError);
      expect(e.message).to.contain('S03').and.contain('S01, S02, S10');
    });

    it('fails with the reasons when no subject is usable', () => {
      const root = path.join(dir, 'none');
      writeSubject(root, 'S01', TAGS.slice(0, 3));
      const e = thrown(() => readStressPredict(root, { sensors: ['eda'] }));
      expect(e).to.be.instanceOf(DatasetError);
      expect(e.message).to.match(/no usable Stress-Predict subject.*S01: 3 tag\(s\)/);
    });

    it('is registered with a strict schema (phases default all three) and resolves path against the spec folder', async () => {
      const reg = getRegistries(createContainer(sensorsModule));
      expect(reg.datasets.types()).to.include('stress-predict');
      const validator = new SpecValidator(reg);
      expect(validator.check(spec({ type: 'stress-predict', path: 'data' })).dataset).to.deep.equal({
        type: 'stress-predict',
        path: 'data',
        phases: ['stroop', 'interview', 'hyperventilation'],
      });
      expect(() => validator.check(spec({ type: 'stress-predict', path: 'd', phases: ['rest'] }))).to.throw(/phases|"rest"/);
      expect(() => validator.check(spec({ type: 'stress-predict', path: 'd', extra: 1 }))).to.throw(/unknown option "extra"/);
      expect(() => validator.check(spec({ type: 'stress-predict' }))).to.throw(/missing required option "path"/);

      const adapter = reg.datasets.get('stress-predict');
      let err: unknown;
      try {
        await adapter.load({ type: 'stress-predict', path: 'no/such' }, context(dir));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DatasetError);
      expect((err as Error).message).to.contain(`dataset folder not found: ${path.join(dir, 'no', 'such')}`);

      const root = path.join(dir, 'adapter', 'Raw_data');
      writeSubject(root, 'S05', TAGS);
      const ds = await adapter.load({ type: 'stress-predict', path: 'adapter/Raw_data', phases: ['stroop'] }, context(dir));
      expect(ds.recordings[0].labels.map((l) => l.values.stress)).to.deep.equal([0, 1, 0, 0, 0]);
      expect(Object.keys(ds.recordings[0].signals).sort()).to.deep.equal(['eda', 'hr']);
    });
  });

  describe('real data (shared Stress-Predict copy)', () => {
    it('S01: the set-up press is ignored and tags 2-7 follow the protocol', function () {
      const raw = requireData(this, ...STRESS_PREDICT);
      const ds = readStressPredict(raw, { subjects: ['S01'], sensors: ['eda', 'hr'] });
      const r = ds.recordings[0];
      expect(ds.warnings.join('\n')).to.contain('S01: tag #1 is 79 s after the recording start');
      const stress = r.labels.filter((l) => l.values.stress === 1);
      expect(stress.map((l) => [l.start, l.end])).to.deep.equal([
        [1644226435, 1644226707],
        [1644227092, 1644227657],
        [1644227991, 1644228133],
      ]);
      expect(r.span?.start).to.equal(1644226061 + 10); // HR starts 10 s after the others
    });

    it('S17 and S18: the 12-h tags are corrected with warnings; S06 (tags off the protocol) is skipped', function () {
      const raw = requireData(this, ...STRESS_PREDICT);
      const ds = readStressPredict(raw, { subjects: ['S06', 'S17', 'S18'], sensors: ['eda', 'hr'] });
      expect(ds.recordings.map((r) => r.subject)).to.deep.equal(['S17', 'S18']);
      const w = ds.warnings.join('\n');
      expect(w).to.match(/S17: tag #4 \(1645415164 .*corrected by \+43200 s/);
      expect(w).to.match(/S17: tag #7 \(1645415944 .*corrected by \+43200 s/);
      expect(w).to.match(/S18: tag #1 \(1645415164 .*corrected by \+43200 s/);
      expect(w).to.match(/S06: the interview task would last 293 s.*subject skipped/);
      const s17 = ds.recordings[0].labels.filter((l) => l.values.stress === 1);
      expect(s17[1]).to.deep.include({ start: 1645457730, end: 1645415164 + TWELVE_HOURS_S });
      const s18 = ds.recordings[1].labels.filter((l) => l.values.stress === 1);
      expect(s18[0]).to.deep.include({ start: 1645415164 + TWELVE_HOURS_S, end: 1645458722 });
      for (const r of ds.recordings) {
        const total = r.labels.reduce((a, l) => a + l.end - l.start, 0);
        const stressed = r.labels.filter((l) => l.values.stress === 1).reduce((a, l) => a + l.end - l.start, 0);
        expect(total).to.be.closeTo((r.span?.end ?? 0) - (r.span?.start ?? 0), 1e-6);
        expect(stressed / total).to.be.within(0.25, 0.4);
      }
    });
  });

  describe('readRecording (replay)', () => {
    it('reads a subject folder with the span and labels the dataset reader gives it; the e4 adapter reads the same folder without them', async () => {
      const root = path.join(dir, 'replay');
      const sub = writeSubject(root, 'S05', TAGS);
      const warnings: string[] = [];
      const adapters = getRegistries(createContainer(sensorsModule)).datasets;
      const rec = await adapters.get('stress-predict').readRecording?.(sub, { sensors: ['eda', 'hr'], warn: (m) => warnings.push(m) });
      const batch = readStressPredict(root, { sensors: ['eda', 'hr'] }).recordings[0];
      expect(rec?.subject).to.equal('S05');
      expect(rec?.span).to.deep.equal({ start: T0 + 10, end: T0 + DURATION });
      expect(rec?.span).to.deep.equal(batch.span);
      expect(rec?.labels).to.deep.equal(batch.labels);
      expect(Object.keys(rec?.signals ?? {})).to.deep.equal(['eda', 'hr']);
      expect(warnings).to.deep.equal([]);
      const plain = await adapters.get('e4').readRecording?.(sub, { sensors: ['eda', 'hr'], warn: () => undefined });
      expect(plain?.span).to.equal(undefined);
      expect(plain?.labels).to.deep.equal([]);
      // an export without a tags file is not a Stress-Predict subject folder (the e4 adapter's)
      const bare = writeSubject(path.join(dir, 'replay-bare'), 'S07', null);
      expect(await adapters.get('stress-predict').readRecording?.(bare, { sensors: ['eda'], warn: () => undefined })).to.equal(undefined);
      expect(await adapters.get('kemocon').readRecording?.(sub, { sensors: ['eda'], warn: () => undefined })).to.equal(undefined);
    });

    it('tags that do not follow the protocol: the recording is replayed without labels, with a warning', async () => {
      const sub = writeSubject(path.join(dir, 'replay-bad'), 'S06', [T0 + 600, T0 + 500, T0 + 700]);
      const warnings: string[] = [];
      const adapters = getRegistries(createContainer(sensorsModule)).datasets;
      const rec = await adapters.get('stress-predict').readRecording?.(sub, { sensors: ['eda'], warn: (m) => warnings.push(m) });
      expect(rec?.labels).to.deep.equal([]);
      expect(rec?.span).to.deep.equal({ start: T0, end: T0 + DURATION });
      expect(warnings.join(' ')).to.contain('S06');
    });
  });
});
