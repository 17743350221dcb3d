import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetError, Rng } from '@fusion/core';
import type { Annotator } from './kemocon-reader';
import { ANNOTATION_STEP_S } from './kemocon-reader';

/**
 * A synthetic dataset in the K-EmoCon layout, so the real reader is exercised end to end. Calibrated on the real
 * wrist data described in shared/datasets/README.md: emotion effects are small next to differences between people
 * and not of the same sign for everyone, so subject-independent recognition is possible but hard.
 */

export interface SyntheticOptions {
  /** Number of participants (default 8). */
  participants?: number;
  /** Debate length in minutes (default 10). */
  minutes?: number;
  /** Scale of every emotion effect on the signals (default 1; 0 = signals independent of the labels). */
  effect?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
}

export type ResolvedSyntheticOptions = Required<SyntheticOptions>;

export interface SyntheticResult {
  dir: string;
  /** False when a matching cached copy was found and nothing was written. */
  generated: boolean;
  options: ResolvedSyntheticOptions;
}

export const SYNTHETIC_DEFAULTS: Readonly<ResolvedSyntheticOptions> = Object.freeze({ participants: 8, minutes: 10, effect: 1, seed: 1 });

/** Bumped whenever the generator's output changes, so cached folders from older versions are regenerated. */
export const SYNTHETIC_VERSION = 2;
export const SYNTHETIC_MANIFEST = 'synthetic.json';

/** Seconds of recording before the debate (K-EmoCon starts the wristband before the debate) and after it. */
const PRE_S = 60;
const POST_S = 20;
/** Participants' sessions are spaced two hours apart from a fixed epoch so the files are deterministic. */
const BASE_MS = 1_557_000_000_000;
const ANNOTATION_COLUMNS = ['cheerful', 'happy', 'angry', 'nervous', 'sad'];

export function resolveSyntheticOptions(o: SyntheticOptions = {}): ResolvedSyntheticOptions {
  const r = {
    participants: o.participants ?? SYNTHETIC_DEFAULTS.participants,
    minutes: o.minutes ?? SYNTHETIC_DEFAULTS.minutes,
    effect: o.effect ?? SYNTHETIC_DEFAULTS.effect,
    seed: o.seed ?? SYNTHETIC_DEFAULTS.seed,
  };
  if (!Number.isInteger(r.participants) || r.participants < 1) throw new DatasetError(`synthetic "participants" is ${r.participants}; expected a whole number >= 1.`);
  if (!(r.minutes * 60 >= ANNOTATION_STEP_S)) throw new DatasetError(`synthetic "minutes" is ${r.minutes}; expected at least ${ANNOTATION_STEP_S / 60} (one annotation interval).`);
  if (!(r.effect >= 0) || !Number.isFinite(r.effect)) throw new DatasetError(`synthetic "effect" is ${r.effect}; expected a finite number >= 0.`);
  if (!Number.isFinite(r.seed)) throw new DatasetError(`synthetic "seed" is ${r.seed}; expected a number.`);
  return r;
}

/** A short stable hash of the options, naming the cache folder. */
export function syntheticCacheName(o: SyntheticOptions = {}): string {
  const r = resolveSyntheticOptions(o);
  const key = JSON.stringify({ v: SYNTHETIC_VERSION, p: r.participants, m: r.minutes, e: r.effect, s: r.seed });
  return 'synthetic-' + createHash('sha256').update(key).digest('hex').slice(0, 12);
}

function manifestText(r: ResolvedSyntheticOptions): string {
  const m = {
    generator: '@fusion/sensors synthetic',
    version: SYNTHETIC_VERSION,
    options: { participants: r.participants, minutes: r.minutes, effect: r.effect, seed: r.seed },
  };
  return JSON.stringify(m, null, 2) + '\n';
}

/**
 * Writes the dataset into `dir` unless it already holds one made with the same options (the cache). Writing goes
 * to a temporary sibling folder renamed into place, so a crash or a concurrent run never leaves a half-written dataset.
 */
export function generateSynthetic(dir: string, options: SyntheticOptions = {}): SyntheticResult {
  const r = resolveSyntheticOptions(options);
  const target = path.resolve(dir);
  const want = manifestText(r);
  const manifestOf = (d: string): string | undefined => {
    try {
      return fs.readFileSync(path.join(d, SYNTHETIC_MANIFEST), 'utf8');
    } catch {
      return undefined;
    }
  };
  if (fs.existsSync(target)) {
    const have = manifestOf(target);
    if (have === want) return { dir: target, generated: false, options: r };
    if (have === undefined && fs.readdirSync(target).length > 0) {
      throw new DatasetError(
        `${target} exists and is not a synthetic dataset (no ${SYNTHETIC_MANIFEST}); refusing to overwrite it. ` +
          `Remove the folder or give the generator another "dir".`
      );
    }
  }
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    writeSyntheticFiles(tmp, r);
    // The manifest goes last: its presence marks a complete dataset.
    fs.writeFileSync(path.join(tmp, SYNTHETIC_MANIFEST), want);
    if (fs.existsSync(target)) {
      const old = `${target}.old-${process.pid}-${Date.now()}`;
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        // Another process finished the same dataset first: use theirs.
        if (manifestOf(target) === want) {
          fs.rmSync(tmp, { recursive: true, force: true });
          return { dir: target, generated: false, options: r };
        }
        throw e;
      }
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: target, generated: true, options: r };
}

/** Ornstein-Uhlenbeck process on a regular grid: stationary sd `sd`, time constant `tau` (s), step `dt` (s). */
function ou(rng: Rng, n: number, dt: number, tau: number, sd: number): Float64Array {
  const out = new Float64Array(n);
  const rho = Math.exp(-dt / tau);
  const k = sd * Math.sqrt(1 - rho * rho);
  let x = sd * rng.normal();
  for (let i = 0; i < n; i++) {
    out[i] = x;
    x = rho * x + k * rng.normal();
  }
  return out;
}

/** Linear interpolation of a grid (`fs` per second from t = 0) at time t, clamped at the ends. */
function lerp(grid: Float64Array, fs: number, t: number): number {
  const p = t * fs;
  if (p <= 0) return grid[0];
  const i = Math.floor(p);
  if (i >= grid.length - 1) return grid[grid.length - 1];
  const f = p - i;
  return grid[i] + (grid[i + 1] - grid[i]) * f;
}

const sign = (rng: Rng, pPositive: number): number => (rng.next() < pPositive ? 1 : -1);
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const rating = (v: number): number => clamp(Math.round(v), 1, 5);

interface Timeline {
  pid: string;
  device: string;
  initMs: number;
  startMs: number;
  endMs: number;
  /** Seconds from initMs to the end of the recording. */
  duration: number;
  intervals: number;
}

/** The latent arousal deviation on the 5-s grid (person-centred) and the three annotators' ratings. */
function makeLabels(rng: Rng, K: number): { dev: Float64Array; files: Record<Annotator, string> } {
  // Person offset: some people mostly rate high, some mostly low, so class balance varies by person.
  const mu = 0.45 * rng.normal();
  const dev = ou(rng, K, ANNOTATION_STEP_S, 45, 1);
  const vOffset = 0.5 * rng.normal();
  const vOwn = ou(rng, K, ANNOTATION_STEP_S, 80, 1);
  const selfBias = 0.4 * rng.normal();
  const header = ['seconds', 'arousal', 'valence', ...ANNOTATION_COLUMNS].join(',');
  const lines: Record<Annotator, string[]> = { self: [header], partner: [header], external: [header] };
  const noise: Record<Annotator, number> = { external: 0.45, partner: 0.8, self: 0.9 };
  const gain: Record<Annotator, number> = { external: 1, partner: 0.75, self: 0.8 };
  for (let k = 0; k < K; k++) {
    const a = mu + dev[k];
    const v = vOffset + 0.3 * dev[k] + 0.95 * vOwn[k];
    for (const who of ['external', 'partner', 'self'] as Annotator[]) {
      const bias = who === 'self' ? selfBias : 0;
      const ar = rating(2.9 + gain[who] * a + bias + noise[who] * rng.normal());
      const va = rating(3.1 + 0.9 * v + noise[who] * rng.normal());
      // Missing cells occur in the real files; arousal of the external raters is kept complete.
      const arCell = who !== 'external' && rng.next() < 0.01 ? 'x' : String(ar);
      const vaCell = rng.next() < 0.01 ? (rng.next() < 0.5 ? 'x' : '') : String(va);
      const others = ANNOTATION_COLUMNS.map(() => (rng.next() < 0.03 ? 'x' : String(1 + rng.int(4))));
      lines[who].push([(k + 1) * ANNOTATION_STEP_S, arCell, vaCell, ...others].join(','));
    }
  }
  return {
    dev,
    files: { self: lines.self.join('\n') + '\n', partner: lines.partner.join('\n') + '\n', external: lines.external.join('\n') + '\n' },
  };
}

/** Writes one participant's E4_*.csv files; every random draw comes from `rng`, never from the label stream. */
function makeSignals(rng: Rng, tl: Timeline, devGrid: Float64Array, effect: number): Record<string, string> {
  const D = tl.duration;
  const startS = (tl.startMs - tl.initMs) / 1000;
  // Latent deviation at time t (s from init): interpolated between 5-s interval centres, held at the ends.
  const dev = (t: number): number => {
    const p = (t - startS) / ANNOTATION_STEP_S - 0.5;
    if (p <= 0) return devGrid[0];
    const i = Math.floor(p);
    if (i >= devGrid.length - 1) return devGrid[devGrid.length - 1];
    return devGrid[i] + (devGrid[i + 1] - devGrid[i]) * (p - i);
  };

  // Person physiology (levels from the real-data ranges) and person-specific effect sizes and signs.
  const hr0 = clamp(79 + 10 * rng.normal(), 62, 102);
  const hrBeta = effect * sign(rng, 0.75) * (0.4 + 0.3 * rng.next());
  const rsaAmp = 2 + 3 * rng.next();
  const respHz = 0.2 + 0.13 * rng.next();
  const eda0 = clamp(Math.exp(Math.log(0.8) + 0.9 * rng.normal()), 0.1, 5);
  const edaSign = sign(rng, 0.8);
  const edaBeta = effect * edaSign * (0.04 + 0.035 * rng.next());
  const scrBase = (1 + 3 * rng.next()) / 60;
  const scrBeta = effect * edaSign * (0.12 + 0.09 * rng.next());
  const scrAmp = eda0 * (0.04 + 0.08 * rng.next());
  const temp0 = clamp(32 + 1.6 * rng.normal(), 28, 35);
  const tempBeta = effect * sign(rng, 0.65) * 0.08;
  const bvpAmp = clamp(85 * Math.exp(0.65 * rng.normal()), 25, 400);
  let gx = -0.8 + 0.2 * rng.normal();
  let gy = 0.3 * rng.normal();
  let gz = 0.5 + 0.2 * rng.normal();
  const gn = Math.hypot(gx, gy, gz);
  gx /= gn;
  gy /= gn;
  gz /= gn;

  // Slow drifts on a 1-s grid: these are the within-person changes unrelated to emotion that make recognition hard.
  const nS = Math.ceil(D) + 2;
  const hrDrift = ou(rng, nS, 1, 120, 2.5);
  const edaDrift = ou(rng, nS, 1, 180, 0.12);
  const tempDrift = ou(rng, nS, 1, 300, 0.3);
  const respDrift = ou(rng, nS, 1, 60, 0.03);

  // Movement bursts: intensity envelope on the 32-Hz grid.
  const nAcc = Math.floor(D * 32);
  const motion = new Float32Array(nAcc);
  const burstRate = (0.3 + 0.5 * rng.next()) / 60;
  for (let t = rng.next() / burstRate; t < D; t += -Math.log(1 - rng.next()) / burstRate) {
    const len = 2 + 6 * rng.next();
    const amp = 0.3 + 0.7 * rng.next();
    const i0 = Math.floor(t * 32);
    const i1 = Math.min(nAcc, Math.floor((t + len) * 32));
    for (let i = i0; i < i1; i++) {
      const u = (i - i0) / Math.max(1, i1 - i0);
      motion[i] = Math.max(motion[i], amp * Math.sin(Math.PI * u));
    }
  }
  const motionAt = (t: number): number => motion[clamp(Math.floor(t * 32), 0, nAcc - 1)];

  // Beats from the instantaneous heart rate: level + drift + emotion + respiratory sinus arrhythmia.
  let respPhase = 2 * Math.PI * rng.next();
  const beats: number[] = [];
  for (let t = rng.next() * 0.8; t < D + 2; ) {
    beats.push(t);
    const h = clamp(hr0 + lerp(hrDrift, 1, t) + hrBeta * dev(t) + rsaAmp * Math.sin(respPhase), 40, 180);
    const ibi = (60 / h) * (1 + 0.012 * rng.normal());
    respPhase += 2 * Math.PI * (respHz + lerp(respDrift, 1, t)) * ibi;
    t += ibi;
  }

  const out: Record<string, string> = {};
  const step = (fs: number): number => 1000 / fs;

  // BVP 64 Hz: systolic peak, dicrotic notch and diastolic wave per beat; movement corrupts it.
  {
    const n = Math.floor(D * 64);
    const rows = new Array<string>(n + 1);
    rows[0] = 'timestamp,value,device_serial';
    let b = 0;
    let artefact = 0;
    for (let i = 0; i < n; i++) {
      const t = i / 64;
      while (b < beats.length - 2 && beats[b + 1] <= t) b++;
      const phase = t < beats[b] ? 0 : (t - beats[b]) / (beats[b + 1] - beats[b]);
      const sys = Math.exp(-(((phase - 0.18) / 0.07) ** 2));
      const dia = 0.4 * Math.exp(-(((phase - 0.47) / 0.09) ** 2));
      const m = motionAt(t);
      artefact = 0.9 * artefact + m * 40 * rng.normal();
      const v = bvpAmp * (sys + dia - 0.19) * (1 + 0.1 * Math.sin(2 * Math.PI * respHz * t)) + 1.5 * rng.normal() + artefact;
      rows[i + 1] = `${tl.initMs + i * step(64)},${v.toFixed(2)},${tl.device}`;
    }
    out.BVP = rows.join('\n') + '\n';
  }

  // ACC 32 Hz in 1/64 g counts: gravity in the wrist frame, sensor noise, movement bursts.
  {
    const rows = new Array<string>(nAcc + 1);
    rows[0] = 'timestamp,x,y,z,device_serial';
    let ax = 0;
    let ay = 0;
    let az = 0;
    for (let i = 0; i < nAcc; i++) {
      const m = motion[i];
      ax = 0.8 * ax + m * 12 * rng.normal();
      ay = 0.8 * ay + m * 12 * rng.normal();
      az = 0.8 * az + m * 12 * rng.normal();
      const x = Math.round(64 * gx + ax + 0.7 * rng.normal());
      const y = Math.round(64 * gy + ay + 0.7 * rng.normal());
      const z = Math.round(64 * gz + az + 0.7 * rng.normal());
      rows[i + 1] = `${tl.initMs + i * step(32)},${x},${y},${z},${tl.device}`;
    }
    out.ACC = rows.join('\n') + '\n';
  }

  // EDA 4 Hz: tonic level with emotion and drift, phasic responses (fast rise, slow decay), movement noise.
  {
    const n = Math.floor(D * 4);
    const rows = new Array<string>(n + 1);
    rows[0] = 'timestamp,value,device_serial';
    const dt = 0.25;
    const tauRise = 0.75;
    const tauDecay = 5;
    const kr = Math.exp(-dt / tauRise);
    const kd = Math.exp(-dt / tauDecay);
    // Scale so one response of amplitude A peaks at A.
    const tPeak = (Math.log(tauDecay / tauRise) * tauRise * tauDecay) / (tauDecay - tauRise);
    const norm = 1 / (Math.exp(-tPeak / tauDecay) - Math.exp(-tPeak / tauRise));
    let slow = 0;
    let fast = 0;
    for (let i = 0; i < n; i++) {
      const t = i * dt;
      const d = dev(t);
      slow *= kd;
      fast *= kr;
      const rate = scrBase * Math.exp(scrBeta * d);
      if (rng.next() < rate * dt) {
        const a = scrAmp * Math.exp(0.5 * rng.normal()) * norm;
        slow += a;
        fast += a;
      }
      const tonic = eda0 * Math.exp(lerp(edaDrift, 1, t) + edaBeta * d);
      const m = motionAt(t);
      const v = Math.max(0, tonic + (slow - fast) + 0.003 * rng.normal() + m * 0.05 * eda0 * rng.normal());
      rows[i + 1] = `${tl.initMs + i * step(4)},${v.toFixed(6)},${tl.device}`;
    }
    out.EDA = rows.join('\n') + '\n';
  }

  // TEMP 4 Hz: person level, slow drift, a slight emotion effect of either sign.
  {
    const n = Math.floor(D * 4);
    const rows = new Array<string>(n + 1);
    rows[0] = 'timestamp,value,device_serial';
    for (let i = 0; i < n; i++) {
      const t = i / 4;
      const v = temp0 + lerp(tempDrift, 1, t) + tempBeta * dev(t) + 0.01 * rng.normal();
      rows[i + 1] = `${tl.initMs + i * step(4)},${v.toFixed(2)},${tl.device}`;
    }
    out.TEMP = rows.join('\n') + '\n';
  }

  // HR 1 Hz from the beats (mean rate over the last 8 s), starting 10 s in like the E4.
  {
    const rows = ['timestamp,value,device_serial'];
    let lo = 0;
    let hi = 0;
    for (let t = 10; t < D; t += 1) {
      while (hi < beats.length && beats[hi] <= t) hi++;
      while (lo < hi && beats[lo] < t - 8) lo++;
      const k = hi - lo;
      const bpm = k >= 2 ? (60 * (k - 1)) / (beats[hi - 1] - beats[lo]) : 60 / (beats[1] - beats[0]);
      rows.push(`${tl.initMs + t * 1000},${bpm.toFixed(2)},${tl.device}`);
    }
    out.HR = rows.join('\n') + '\n';
  }

  // IBI: beats the device would trust (none during movement, some dropped at random), in seconds.
  {
    const rows = ['timestamp,value,device_serial'];
    for (let b = 1; b < beats.length && beats[b] < D; b++) {
      if (motionAt(beats[b]) > 0.1 || rng.next() < 0.1) continue;
      rows.push(`${(tl.initMs + beats[b] * 1000).toFixed(3)},${(beats[b] - beats[b - 1]).toFixed(6)},${tl.device}`);
    }
    out.IBI = rows.join('\n') + '\n';
  }
  return out;
}

/** Writes the K-EmoCon layout into `dir` (which must exist); no caching and no atomicity here. */
export function writeSyntheticFiles(dir: string, options: SyntheticOptions = {}): void {
  const r = resolveSyntheticOptions(options);
  const root = new Rng(r.seed);
  // Separate streams: labels and signals can only be related through `effect`, never through shared draws.
  const labelRoot = root.child('labels');
  const signalRoot = root.child('signals');
  const K = Math.max(1, Math.floor((r.minutes * 60) / ANNOTATION_STEP_S + 1e-9));
  const subjects = ['pid,initTime,startTime,endTime'];
  for (const who of ['self', 'partner', 'external']) fs.mkdirSync(path.join(dir, 'emotion_annotations', `${who}_annotations`), { recursive: true });
  fs.mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  for (let p = 0; p < r.participants; p++) {
    const pid = String(p + 1);
    const initMs = BASE_MS + p * 7_200_000;
    const startMs = initMs + PRE_S * 1000;
    const endMs = startMs + K * ANNOTATION_STEP_S * 1000;
    const tl: Timeline = {
      pid,
      device: `A0${(0x1a00 + p).toString(16).toUpperCase()}`,
      initMs,
      startMs,
      endMs,
      duration: (endMs - initMs) / 1000 + POST_S,
      intervals: K,
    };
    subjects.push(`${pid},${initMs},${startMs},${endMs}`);
    const labels = makeLabels(labelRoot.child(pid), K);
    for (const who of ['self', 'partner', 'external'] as Annotator[]) {
      fs.writeFileSync(path.join(dir, 'emotion_annotations', `${who}_annotations`, `P${pid}.${who}.csv`), labels.files[who]);
    }
    const files = makeSignals(signalRoot.child(pid), tl, labels.dev, r.effect);
    const pdir = path.join(dir, 'e4_data', pid);
    fs.mkdirSync(pdir, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(pdir, `E4_${name}.csv`), text);
  }
  fs.writeFileSync(path.join(dir, 'metadata', 'subjects.csv'), subjects.join('\n') + '\n');
}
