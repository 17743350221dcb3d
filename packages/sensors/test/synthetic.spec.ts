import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, Recording, Signal } from '@fusion/core';
import { auc } from '@fusion/runner';
import { generateSynthetic, readKEmoCon, SYNTHETIC_MANIFEST, syntheticCacheName } from '../src';
import { pearson, thrown, tmpDir } from './helpers';

/** Every file under `dir` (relative path -> bytes), for byte-level comparison. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function windowMean(sig: Signal, a: number, b: number): number {
  const i0 = Math.max(0, Math.ceil((a - sig.t0) * sig.fs));
  const i1 = Math.min(sig.data.length, Math.ceil((b - sig.t0) * sig.fs));
  let s = 0;
  let n = 0;
  for (let i = i0; i < i1; i++) {
    if (Number.isFinite(sig.data[i])) {
      s += sig.data[i];
      n++;
    }
  }
  return s / n;
}

function zscore(v: number[]): number[] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) || 1;
  return v.map((x) => (x - m) / sd);
}

/** Pooled correlation of per-subject z-scored 5-s window means of `sensor` with the binary arousal label. */
function labelCorrelation(recs: Recording[], sensor: string): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const r of recs) {
    const labelled = r.labels.filter((l) => l.values.arousal !== undefined);
    xs.push(...zscore(labelled.map((l) => windowMean(r.signals[sensor], l.start, l.end))));
    ys.push(...labelled.map((l) => (l.values.arousal >= 3 ? 1 : 0)));
  }
  return pearson(xs, ys);
}

/** Median over people of the AUROC of their own z-scored 5-s window means of `sensor` for high arousal. */
function medianOwnAuroc(recs: Recording[], sensor: string): number {
  const own: number[] = [];
  for (const r of recs) {
    const labelled = r.labels.filter((l) => l.values.arousal !== undefined);
    const a = auc(labelled.map((l) => windowMean(r.signals[sensor], l.start, l.end)), labelled.map((l) => l.values.arousal >= 3));
    if (a !== undefined) own.push(a);
  }
  own.sort((x, y) => x - y);
  return own.length % 2 ? own[(own.length - 1) / 2] : (own[own.length / 2 - 1] + own[own.length / 2]) / 2;
}

describe('synthetic K-EmoCon-layout generator', function () {
  this.timeout(20000);
  let dir: string;
  before(() => {
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the K-EmoCon layout with a manifest and no temp folders left', () => {
    const g = generateSynthetic(path.join(dir, 'default'));
    expect(g.generated).to.equal(true);
    const root = g.dir;
    expect(fs.readdirSync(dir)).to.deep.equal(['default']);
    expect(fs.readdirSync(root).sort()).to.deep.equal(['e4_data', 'emotion_annotations', 'metadata', SYNTHETIC_MANIFEST]);
    expect(fs.readdirSync(path.join(root, 'e4_data')).sort((a, b) => +a - +b)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(fs.readdirSync(path.join(root, 'e4_data', '3')).sort()).to.deep.equal(['E4_ACC.csv', 'E4_BVP.csv', 'E4_EDA.csv', 'E4_HR.csv', 'E4_IBI.csv', 'E4_TEMP.csv']);
    for (const who of ['self', 'partner', 'external']) {
      expect(fs.existsSync(path.join(root, 'emotion_annotations', `${who}_annotations`, `P8.${who}.csv`)), who).to.equal(true);
    }
    const subjects = fs.readFileSync(path.join(root, 'metadata', 'subjects.csv'), 'utf8').trim().split('\n');
    expect(subjects[0]).to.equal('pid,initTime,startTime,endTime');
    expect(subjects).to.have.length(9);
    expect(fs.readFileSync(path.join(root, 'e4_data', '1', 'E4_ACC.csv'), 'utf8').split('\n')[0]).to.equal('timestamp,x,y,z,device_serial');
  });

  it('is read back with the right rates, spans, labels, class balance and plausible values', () => {
    const ds = readKEmoCon(path.join(dir, 'default'));
    expect(ds.warnings).to.deep.equal([]);
    expect(ds.recordings).to.have.length(8);
    let high = 0;
    let total = 0;
    const perPerson: number[] = [];
    for (const r of ds.recordings) {
      const { acc, bvp, eda, temp, hr } = r.signals;
      expect([acc.fs, bvp.fs, eda.fs, temp.fs, hr.fs]).to.deep.equal([32, 64, 4, 4, 1]);
      expect(r.span!.end - r.span!.start).to.equal(600);
      expect(r.labels).to.have.length(120);
      expect(r.labels[0].start).to.equal(r.span!.start);
      expect(r.labels[119].end).to.equal(r.span!.end);
      // Every signal covers the debate.
      for (const s of [acc, bvp, eda, temp, hr]) {
        expect(s.t0).to.be.at.most(r.span!.start);
        expect(s.t0 + s.data.length / s.channels / s.fs).to.be.at.least(r.span!.end);
      }
      const hrMean = windowMean(hr, r.span!.start, r.span!.end);
      expect(hrMean).to.be.within(50, 115);
      const ibi = r.events!.ibi;
      let ibiMean = 0;
      ibi.values.forEach((v) => (ibiMean += v / ibi.values.length));
      expect(60 / ibiMean, 'HR consistent with IBI').to.be.closeTo(hrMean, 6);
      expect(windowMean(eda, r.span!.start, r.span!.end)).to.be.within(0.05, 6);
      expect(windowMean(temp, r.span!.start, r.span!.end)).to.be.within(27, 36);
      let g = 0;
      const n = acc.data.length / 3;
      for (let i = 0; i < n; i += 7) g += Math.hypot(acc.data[3 * i], acc.data[3 * i + 1], acc.data[3 * i + 2]);
      expect(g / Math.ceil(n / 7), 'ACC magnitude in g').to.be.within(0.9, 1.15);
      const a = r.labels.map((l) => l.values.arousal).filter((v) => v !== undefined);
      a.forEach((v) => expect(Number.isInteger(v) && v >= 1 && v <= 5).to.equal(true));
      const h = a.filter((v) => v >= 3).length;
      perPerson.push(h / a.length);
      high += h;
      total += a.length;
    }
    expect(high / total, 'share of high arousal').to.be.within(0.5, 0.8);
    // BVP amplitude as real E4 recordings: the median over people of their median 5-s BVP standard deviation is 30.7
    // on Stress-Predict (10th-90th percentile of people 10.5-60.7; scripts/measure-realism.js).
    const bvpSd = ds.recordings.map((r) => {
      const sds: number[] = [];
      for (const l of r.labels) {
        const i0 = Math.ceil((l.start - r.signals.bvp.t0) * 64);
        const w = Array.from(r.signals.bvp.data.subarray(i0, i0 + 320));
        const m = w.reduce((a, b) => a + b, 0) / w.length;
        sds.push(Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / (w.length - 1)));
      }
      return sds.sort((a, b) => a - b)[sds.length >> 1];
    });
    const bvpMedian = [...bvpSd].sort((a, b) => a - b)[bvpSd.length >> 1];
    expect(bvpMedian, `median 5-s BVP sd ${bvpMedian}`).to.be.within(20, 60);
    expect(Math.max(...perPerson) - Math.min(...perPerson), 'balance varies by person').to.be.above(0.15);
  });

  it('is deterministic: same options give byte-identical files, another seed different ones', () => {
    const o = { participants: 3, minutes: 2, seed: 11 };
    const a = snapshot(generateSynthetic(path.join(dir, 'det-a'), o).dir);
    const b = snapshot(generateSynthetic(path.join(dir, 'det-b'), o).dir);
    expect([...a.keys()].sort()).to.deep.equal([...b.keys()].sort());
    for (const [k, v] of a) expect(v.equals(b.get(k)!), k).to.equal(true);
    const c = snapshot(generateSynthetic(path.join(dir, 'det-c'), { ...o, seed: 12 }).dir);
    const bvp = path.join('e4_data', '1', 'E4_BVP.csv');
    expect(a.get(bvp)!.equals(c.get(bvp)!)).to.equal(false);
    const ann = path.join('emotion_annotations', 'external_annotations', 'P1.external.csv');
    expect(a.get(ann)!.equals(c.get(ann)!)).to.equal(false);
    // Labels never depend on the effect size, only the signals do.
    const d = snapshot(generateSynthetic(path.join(dir, 'det-d'), { ...o, effect: 0 }).dir);
    expect(a.get(ann)!.equals(d.get(ann)!)).to.equal(true);
    expect(a.get(bvp)!.equals(d.get(bvp)!)).to.equal(false);
  });

  it('caches by manifest: same options skip, other options regenerate, foreign folders are refused', () => {
    const target = path.join(dir, 'cache');
    expect(generateSynthetic(target, { participants: 2, minutes: 1 }).generated).to.equal(true);
    const stamp = fs.statSync(path.join(target, 'metadata', 'subjects.csv')).mtimeMs;
    expect(generateSynthetic(target, { participants: 2, minutes: 1 }).generated).to.equal(false);
    expect(fs.statSync(path.join(target, 'metadata', 'subjects.csv')).mtimeMs).to.equal(stamp);
    expect(generateSynthetic(target, { participants: 3, minutes: 1 }).generated).to.equal(true);
    expect(fs.readdirSync(path.join(target, 'e4_data'))).to.have.length(3);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).to.deep.equal([]);
    const foreign = path.join(dir, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'keep.txt'), 'mine');
    const e = thrown(() => generateSynthetic(foreign, { participants: 2, minutes: 1 }));
    expect(e).to.be.instanceOf(DatasetError);
    expect(e.message).to.contain('refusing to overwrite');
    expect(syntheticCacheName({ seed: 1 })).to.equal(syntheticCacheName({}));
    expect(syntheticCacheName({ seed: 2 })).to.not.equal(syntheticCacheName({}));
  });

  it('effect 0: window HR/EDA uncorrelated with the labels; effect 1: a clear positive average correlation', () => {
    const o = { participants: 16, minutes: 5, seed: 5 };
    const off = readKEmoCon(generateSynthetic(path.join(dir, 'eff0'), { ...o, effect: 0 }).dir, { sensors: ['hr', 'eda'] }).recordings;
    const on = readKEmoCon(generateSynthetic(path.join(dir, 'eff1'), { ...o, effect: 1 }).dir, { sensors: ['hr', 'eda'] }).recordings;
    const r0 = [labelCorrelation(off, 'hr'), labelCorrelation(off, 'eda')];
    const r1 = [labelCorrelation(on, 'hr'), labelCorrelation(on, 'eda')];
    expect(Math.abs(r0[0]), `effect 0, HR r=${r0[0]}`).to.be.below(0.12);
    expect(Math.abs(r0[1]), `effect 0, EDA r=${r0[1]}`).to.be.below(0.12);
    expect((r1[0] + r1[1]) / 2, `effect 1, HR r=${r1[0]}, EDA r=${r1[1]}`).to.be.above((Math.abs(r0[0]) + Math.abs(r0[1])) / 2 + 0.1);
    // No larger than real data shows: on Stress-Predict (scripts/measure-realism.js) the pooled correlation of the
    // per-subject z-scored 5-s mean with stress is 0.22 for HR and 0.28 for EDA; people differ in size and sign.
    expect(r1[0], `effect 1, HR r=${r1[0]}`).to.be.below(0.3);
    expect(r1[1], `effect 1, EDA r=${r1[1]}`).to.be.below(0.35);
    // Within each person too: the median of people's own AUROC is 0.636 for HR and 0.689 for EDA on Stress-Predict.
    const own = [medianOwnAuroc(on, 'hr'), medianOwnAuroc(on, 'eda')];
    expect(own[0], `effect 1, median own HR AUROC ${own[0]}`).to.be.within(0.52, 0.72);
    expect(own[1], `effect 1, median own EDA AUROC ${own[1]}`).to.be.within(0.52, 0.75);
  });
});
