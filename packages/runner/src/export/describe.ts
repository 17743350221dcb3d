import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, modelCost, multiOutputs, multiRateInputs, OutputError, windowParts } from '@fusion/core';
import type { BundleCost, BundleEvaluation, BundleInput, BundleManifest, BundleOutput, GraphSpec, WeightPrecision } from '@fusion/core';
import type { StagedOutput } from '../run/output-dir';

/**
 * The one writer of fusion.json, for an export bundle and for a run folder's models (models/fold-K/fusion.json):
 * what the models expect (sensors, rates, window, classes, normalisation) and hold (members, their cost).
 */

const RULES = {
  none: 'none: windows go to the model as resampled, unscaled values.',
  subject:
    "subject: before windowing, each sensor of a subject's recording is z-scored with the mean and standard deviation of all its finite samples after resampling to sampleRate (sd floored to 1 for constant signals); the caller normalises windows so before predict.",
  train:
    "train: each member z-scores raw windows with its fold's training statistics (normalization.folds[fold], per sensor): (x - mean) / sd; predict does this itself, so give it raw resampled windows.",
} as const;

/** The rules of a bundle whose inputs have their own rates (`inputs`): the same, per input on its own grid. */
const INPUT_RULES = {
  none: 'none: each input goes to the model as resampled to its own rate, unscaled.',
  subject:
    "subject: before windowing, each input of a subject's recording is z-scored with the mean and standard deviation of all its finite samples after resampling to its own rate (sd floored to 1 for constant signals); the caller normalises windows so before predict.",
  train:
    "train: each member z-scores each raw input with its fold's training statistics (normalization.folds[fold], one entry per input in inputs order): (x - mean) / sd; predict does this itself, so give it raw resampled inputs.",
} as const;

/** Added to the rule of a bundle with event inputs. */
const EVENT_RULE = ' Event inputs (kind "events", e.g. ibi) are never z-scored: each grid sample holds the last event at or before its centre, missing more than missing.maxGap s after it.';

/** Per model input of a multi-rate spec: its sensor, rate, window and hop in samples, event inputs marked (undefined: one common rate). */
function bundleInputs(spec: GraphSpec): BundleInput[] | undefined {
  const p = spec.preprocessing;
  const inputs = multiRateInputs(spec);
  return (
    inputs &&
    windowParts(inputs, p.window).map((q, k) => ({
      name: q.name,
      sensor: q.sensor,
      rate: q.rate,
      windowLength: q.length,
      hopLength: Math.max(1, Math.round(p.hop * q.rate)),
      maxMissing: inputs[k].maxMissing,
      // an event input (ibi): held on its grid, missing more than maxGap s after an event, never z-scored
      ...(q.maxGap !== undefined ? { kind: 'events' as const, missing: { maxGap: q.maxGap }, normalize: 'none' as const } : {}),
    }))
  );
}

/** Every output of a multi-task spec (undefined: one output). */
function bundleOutputs(spec: GraphSpec): BundleOutput[] | undefined {
  return multiOutputs(spec)?.map((o) => ({ name: o.name, label: o.label.target, classes: [...o.label.classes], lossWeight: o.lossWeight }));
}

export interface BundleDescription {
  /** The validated spec the models were trained with (a sweep's chosen point's spec). */
  spec: GraphSpec;
  specSha256: string;
  precision: WeightPrecision;
  members: BundleManifest['members'];
  /** With `normalize: "train"`: per 1-based fold, the fold's training statistics in `spec.sensors` order. */
  trainStats?: Record<string, { mean: number; sd: number }[]>;
  versions?: Record<string, string>;
  evaluation: BundleManifest['evaluation'];
}

/** fusion.json's content for models trained with `d.spec`. */
export function describeBundle(d: BundleDescription): BundleManifest {
  const p = d.spec.preprocessing;
  const inputs = bundleInputs(d.spec);
  const outputs = bundleOutputs(d.spec);
  const folds: Record<string, { sensor: string; input?: string; mean: number; sd: number }[]> = {};
  for (const [k, st] of Object.entries(d.trainStats ?? {}))
    folds[k] = st.map((s, i) => (inputs ? { sensor: inputs[i].sensor, input: inputs[i].name, mean: s.mean, sd: s.sd } : { sensor: d.spec.sensors[i], mean: s.mean, sd: s.sd }));
  const rules = inputs ? INPUT_RULES : RULES;
  const eventRule = inputs?.some((i) => i.kind === 'events') ? EVENT_RULE : '';
  return {
    format: 'fusion-bundle',
    formatVersion: 1,
    name: d.spec.name,
    createdAt: new Date().toISOString(),
    specSha256: d.specSha256,
    sensors: [...d.spec.sensors],
    sampleRate: p.sampleRate,
    window: p.window,
    hop: p.hop,
    windowLength: Math.round(p.window * p.sampleRate),
    maxMissing: p.maxMissing,
    ...(inputs ? { inputs } : {}),
    classes: [...p.label.classes],
    ...(outputs ? { outputs } : {}),
    label: { target: p.label.target, mapping: p.label.mapping, threshold: p.label.threshold },
    normalization: p.normalize === 'train' ? { mode: 'train', rule: rules.train + eventRule, folds } : { mode: p.normalize, rule: rules[p.normalize] + eventRule },
    precision: d.precision,
    members: d.members,
    cost: bundleCost(d.members),
    versions: { '@tensorflow/tfjs': tf.version.tfjs, '@fusion/core': coreVersion(), ...d.versions },
    evaluation: d.evaluation,
  };
}

/** One member's entry: its weight files' bytes (from the files) and its cost per window (from the loaded model). */
export async function describeMember(dir: string, rel: string, fold: number, member: number, model: tf.LayersModel): Promise<BundleManifest['members'][number]> {
  const weightBytesByDtype = writtenBytesByDtype(dir);
  const cost = await modelCost(model);
  return {
    fold,
    member,
    path: rel,
    weightBytes: Object.values(weightBytesByDtype).reduce((a, b) => a + b, 0),
    weightBytesByDtype,
    macsPerWindow: cost.macsPerWindow,
    peakActivationBytes: cost.peakActivationBytes,
  };
}

/** Bytes per stored dtype of a written member, from its model.json manifest, checked against its weight files' size. */
function writtenBytesByDtype(dir: string): Record<string, number> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const per: Record<string, number> = {};
  const width: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2, bool: 1 };
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    per[dtype] = (per[dtype] ?? 0) + w.shape.reduce((a, b) => a * b, 1) * width[dtype];
  }
  const onDisk = json.weightsManifest.flatMap((g) => g.paths).reduce((a, p) => a + fs.statSync(path.join(dir, p)).size, 0);
  const counted = Object.values(per).reduce((a, b) => a + b, 0);
  if (counted !== onDisk) throw new OutputError(`${dir}: the weight files hold ${onDisk} bytes but their manifest describes ${counted}; the export is not consistent (a bug).`);
  return per;
}

/** What the whole bundle costs on a device: members run one after another, so MACs add and the activation peak is the largest. */
function bundleCost(members: BundleManifest['members']): BundleCost {
  const weightBytesByDtype: Record<string, number> = {};
  for (const m of members) for (const [d, b] of Object.entries(m.weightBytesByDtype)) weightBytesByDtype[d] = (weightBytesByDtype[d] ?? 0) + b;
  return {
    weightBytes: members.reduce((a, m) => a + m.weightBytes, 0),
    weightBytesByDtype,
    macsPerWindow: members.reduce((a, m) => a + m.macsPerWindow, 0),
    peakActivationBytes: Math.max(0, ...members.map((m) => m.peakActivationBytes)),
  };
}

function coreVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../../package.json') as { version: string }).version;
}

/** One fold of a finished run, as its models/fold-K/fusion.json describes it. */
export interface RunFoldModels {
  /** 1-based, as in models/fold-K. */
  fold: number;
  spec: GraphSpec;
  normalization?: { mean: number; sd: number }[];
  testSubjects: string[];
  testWindows: number;
  model: { balancedAccuracy: number; auroc: number | null };
  /** Several outputs: each output's scores on the fold's test subjects, by name. */
  outputs?: Record<string, { balancedAccuracy: number; auroc: number | null }>;
}

/**
 * Writes models/fold-K/fusion.json beside each fold's members in a staged run folder (after spec.json), so every
 * fold folder of a run is a float32 bundle: `fusion-cli predict`, `@fusion/web`'s loadBundle and any tfjs runtime
 * read it without the run's spec. Its evaluation is the run's own on the fold's test subjects.
 */
export async function writeRunModelManifests(out: StagedOutput, folds: RunFoldModels[]): Promise<void> {
  const specSha256 = createHash('sha256').update(fs.readFileSync(out.path('spec.json'))).digest('hex');
  for (const f of folds) {
    const foldDir = out.path('models', `fold-${f.fold}`);
    if (!fs.existsSync(foldDir)) continue;
    const members: BundleManifest['members'] = [];
    const names = fs
      .readdirSync(foldDir)
      .filter((d) => /^member-\d+$/.test(d) && fs.existsSync(path.join(foldDir, d, 'model.json')))
      .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
    for (const m of names) {
      const model = await loadModel(path.join(foldDir, m));
      try {
        members.push(await describeMember(path.join(foldDir, m), `${m}/model.json`, f.fold, Number(m.slice(7)), model));
      } finally {
        model.dispose();
      }
    }
    if (!members.length) continue;
    const asEvaluation = (m: { balancedAccuracy: number; auroc: number | null }): BundleEvaluation => {
      const scores = { balancedAccuracy: m.balancedAccuracy, auroc: m.auroc };
      return { windows: f.testWindows, before: scores, after: scores, maxAbsProbDiff: 0 };
    };
    const evaluation = { ...asEvaluation(f.model), ...(f.outputs ? { outputs: Object.fromEntries(Object.entries(f.outputs).map(([name, m]) => [name, asEvaluation(m)])) } : {}) };
    const manifest = describeBundle({
      spec: f.spec,
      specSha256,
      precision: 'float32',
      members,
      trainStats: f.spec.preprocessing.normalize === 'train' && f.normalization ? { [String(f.fold)]: f.normalization } : undefined,
      evaluation: { folds: [{ fold: f.fold, testSubjects: f.testSubjects, ...evaluation }], pooled: evaluation },
    });
    out.writeJson(path.join('models', `fold-${f.fold}`, 'fusion.json'), manifest);
  }
}
