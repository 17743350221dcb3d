#!/usr/bin/env node
/**
 * Measures what the synthetic default must resemble, on real Stress-Predict recordings and on the synthetic data:
 * BVP amplitude in 5-s windows and the size of the label effect on each subject's z-scored 5-s heart-rate and EDA means.
 *
 *   npx tsc -b tsconfig.json && node scripts/measure-realism.js [../shared/datasets/stress-predict/Raw_data]
 *
 * Per 5-s window (hop 5 s) inside a labelled interval: the BVP standard deviation, and the heart-rate mean (HR.csv,
 * 1 Hz). The label effect is the AUROC of the per-subject z-scored HR mean for the positive class (stress / high
 * arousal): pooled over all subjects (what a one-feature logistic regression across subjects can reach at best, with
 * the direction fixed for everyone), its Pearson r with the label, and the median of each subject's own AUROC.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { auc } = require('@fusion/core');
const { readStressPredict, readKEmoCon, generateSynthetic } = require('@fusion/sensors');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))))];
const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs) => Math.sqrt(xs.reduce((a, b) => a + (b - meanOf(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

function slice(sig, start, end) {
  const i0 = Math.max(0, Math.ceil((start - sig.t0) * sig.fs));
  const i1 = Math.min(sig.data.length, Math.floor((end - sig.t0) * sig.fs));
  return i1 > i0 ? Array.from(sig.data.subarray(i0, i1)) : [];
}

/** Windows of every recording: { subject, positive, hr, bvpSd }. */
function windows(dataset, target, isPositive) {
  const out = [];
  for (const rec of dataset.recordings) {
    const { hr, bvp, eda } = rec.signals;
    if (!hr || !bvp || !eda) continue;
    for (const l of rec.labels) {
      const v = l.values[target];
      if (v === undefined || Number.isNaN(v)) continue;
      for (let t = l.start; t + 5 <= l.end + 1e-9; t += 5) {
        const h = slice(hr, t, t + 5);
        const b = slice(bvp, t, t + 5);
        const e = slice(eda, t, t + 5);
        if (h.length < 3 || b.length < 200 || e.length < 10) continue;
        out.push({ subject: rec.subject, positive: isPositive(v), hr: meanOf(h), eda: meanOf(e), bvpSd: sdOf(b) });
      }
    }
  }
  return out;
}

/** AUROC of the per-subject z-scored feature for the positive class: pooled, median of subjects, subjects above 0.5. */
function effect(ws, subjects, key) {
  const z = [];
  const pos = [];
  const own = [];
  for (const s of subjects) {
    const mine = ws.filter((w) => w.subject === s);
    const m = meanOf(mine.map((w) => w[key]));
    const sd = sdOf(mine.map((w) => w[key])) || 1;
    const zs = mine.map((w) => (w[key] - m) / sd);
    zs.forEach((v, i) => {
      z.push(v);
      pos.push(mine[i].positive);
    });
    const a = auc(zs, mine.map((w) => w.positive));
    if (a !== undefined) own.push(a);
  }
  const y = pos.map((b) => (b ? 1 : 0));
  const zm = meanOf(z);
  const ym = meanOf(y);
  const r = z.reduce((a, v, i) => a + (v - zm) * (y[i] - ym), 0) / Math.sqrt(z.reduce((a, v) => a + (v - zm) ** 2, 0) * y.reduce((a, v) => a + (v - ym) ** 2, 0));
  return { pooled: +auc(z, pos).toFixed(3), pooledR: +r.toFixed(3), medianOfSubjects: +median(own).toFixed(3), subjectsAbove05: `${own.filter((a) => a > 0.5).length}/${own.length}` };
}

function summarize(name, ws) {
  const subjects = [...new Set(ws.map((w) => w.subject))];
  const perSubjectBvp = subjects.map((s) => median(ws.filter((w) => w.subject === s).map((w) => w.bvpSd)));
  return {
    data: name,
    subjects: subjects.length,
    windows: ws.length,
    positiveShare: +(ws.filter((w) => w.positive).length / ws.length).toFixed(3),
    bvpSd5s: { median: +median(perSubjectBvp).toFixed(1), p10: +quantile(perSubjectBvp, 0.1).toFixed(1), p90: +quantile(perSubjectBvp, 0.9).toFixed(1) },
    zHrMeanAuroc: effect(ws, subjects, 'hr'),
    zEdaMeanAuroc: effect(ws, subjects, 'eda'),
  };
}

const realRoot = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'shared', 'datasets', 'stress-predict', 'Raw_data'));
const real = readStressPredict(realRoot, { sensors: ['hr', 'bvp', 'eda'] });
const results = [summarize('stress-predict (stress vs rest)', windows(real, 'stress', (v) => v >= 1))];
const synthDir = path.join(os.tmpdir(), `fusion-realism-${process.pid}`);
try {
  // specs/emoheal-quick.json's dataset
  generateSynthetic(synthDir, { participants: 8, minutes: 6, effect: 1, seed: 7 });
  const synth = readKEmoCon(synthDir, { annotator: 'external', sensors: ['hr', 'bvp', 'eda'] });
  results.push(summarize('synthetic default (external arousal >= 3)', windows(synth, 'arousal', (v) => v >= 3)));
} finally {
  fs.rmSync(synthDir, { recursive: true, force: true });
}
console.log(JSON.stringify(results, null, 2));
