import * as tf from '@tensorflow/tfjs';
import type { BundleManifest } from '@fusion/core/layers';
import { ensembleProbs, multiRateProbs } from '@fusion/core/layers';
import type { WindowPart } from '@fusion/core/live';
import type { Predictor, PredictorOutput } from '@fusion/stream/live';
import './layers';

export type { BundleInput, BundleManifest, BundleOutput } from '@fusion/core/layers';

/** A bundle could not be read: a missing or malformed fusion.json, or a member model that does not load. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

export interface LoadBundleOptions {
  /** The fetch to use (default the global one); also handed to tf.io.http for the models. */
  fetchFunc?: typeof fetch;
}

/**
 * An exported fusion bundle: its manifest and its ensemble members, loaded with the page's (or process's) tfjs.
 * Owns its models: `dispose` frees them.
 */
export class FusionBundle implements Predictor {
  constructor(
    readonly manifest: BundleManifest,
    readonly models: tf.LayersModel[]
  ) {}

  get sensors(): readonly string[] {
    return this.manifest.sensors;
  }
  /** The (first) output's classes. */
  get classes(): readonly string[] {
    return this.manifest.classes;
  }
  /** Grid points per window (with `parts`: the spec's common grid, unused by the models). */
  get windowLength(): number {
    return this.manifest.windowLength;
  }
  /** Predictor: grid points per window. */
  get length(): number {
    return this.manifest.windowLength;
  }
  /** Several outputs (multi-task): each output's name and classes; `predict` gives them side by side. */
  get outputs(): readonly PredictorOutput[] | undefined {
    return this.manifest.outputs?.map((o) => ({ name: o.name, classes: o.classes }));
  }
  /** Inputs at their own rates: one model input each, a window row holds them one after the other (`offset`); event inputs carry `maxGap`. */
  get parts(): readonly (WindowPart & { maxMissing: number })[] | undefined {
    let offset = 0;
    return this.manifest.inputs?.map((i) => {
      // an event input (ibi) is put on its grid by the stream package's eventGrid, as in training
      const maxGap = i.kind === 'events' ? i.missing?.maxGap : undefined;
      const q = { name: i.name, sensor: i.sensor, rate: i.rate, length: i.windowLength, offset, maxMissing: i.maxMissing, ...(maxGap !== undefined ? { maxGap } : {}) };
      offset += i.windowLength;
      return q;
    });
  }
  /** The bundle normalises raw windows itself (`normalization.mode: "train"`). */
  get normalizesInput(): boolean {
    return this.manifest.normalization.mode === 'train';
  }

  /**
   * Probabilities of `n` windows by output name (a single-output bundle: its one output, named by its label target):
   * [n * classes] each, row-major. Takes what `predict` takes.
   */
  async predictOutputs(windows: Float32Array | number[] | number[][][] | readonly (Float32Array | number[] | number[][])[], n?: number): Promise<Record<string, Float32Array>> {
    const all = await this.predict(windows, n);
    const outs = this.outputs ?? [{ name: this.manifest.label.target, classes: this.classes }];
    const width = outs.reduce((a, o) => a + o.classes.length, 0);
    const count = all.length / width;
    const result: Record<string, Float32Array> = {};
    let at = 0;
    for (const o of outs) {
      const C = o.classes.length;
      const p = new Float32Array(count * C);
      for (let i = 0; i < count; i++) p.set(all.subarray(i * width + at, i * width + at + C), i * C);
      result[o.name] = p;
      at += C;
    }
    return result;
  }

  /**
   * Class probabilities of `n` windows, averaged over the ensemble members as evaluation did: [n * classes],
   * row-major (several outputs: per window every output's probabilities side by side, see `outputs` and
   * `predictOutputs`). `windows` is [n, windowLength, sensors] as a flat array (row-major) or nested arrays; for a
   * bundle with `parts` (inputs at their own rates), one array per input ([n, part length], flat or nested), or flat
   * rows [n, all parts one after the other]. With `normalization.mode: "train"` give raw resampled windows (each
   * member applies its fold's statistics); with "subject", windows z-scored per subject (see
   * `manifest.normalization.rule`).
   */
  async predict(windows: Float32Array | number[] | number[][][] | readonly (Float32Array | number[] | number[][])[], n?: number): Promise<Float32Array> {
    const norm = this.manifest.normalization;
    const stats = norm.mode === 'train' ? this.manifest.members.map((m) => norm.folds[String(m.fold)]) : undefined;
    const parts = this.parts;
    if (parts) {
      const { rows, count } = partRows(windows as Float32Array | readonly (Float32Array | number[] | number[][])[], parts, n);
      return multiRateProbs(this.models, rows, count, parts, stats);
    }
    const L = this.windowLength;
    const S = this.sensors.length;
    const flat = Array.isArray(windows) && Array.isArray(windows[0]) ? Float32Array.from((windows as number[][][]).flat(2)) : Float32Array.from(windows as ArrayLike<number>);
    const count = n ?? flat.length / (L * S);
    if (!Number.isInteger(count) || flat.length !== count * L * S)
      throw new RangeError(`predict: received ${flat.length} values, expected n x ${L} x ${S} (n windows of ${L} points of ${S} sensors: ${this.sensors.join(', ')}).`);
    const out = tf.tidy(() => ensembleProbs(this.models, tf.tensor3d(flat, [count, L, S]), stats));
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.models.forEach((m) => m.dispose());
  }
}

/** Reads `fusion.json` at `url` (or the folder URL holding it) and loads every member model it lists. */
export async function loadBundle(url: string, opts: LoadBundleOptions = {}): Promise<FusionBundle> {
  const fetchFunc = opts.fetchFunc ?? globalThis.fetch.bind(globalThis);
  const manifestUrl = url.endsWith('.json') ? url : `${url.replace(/\/?$/, '/')}fusion.json`;
  const base = typeof location !== 'undefined' ? new URL(manifestUrl, location.href) : new URL(manifestUrl);
  const res = await fetchFunc(base.href);
  if (!res.ok) throw new BundleError(`${base.href}: HTTP ${res.status}; expected the fusion.json written by \`fusion-cli export\`.`);
  let manifest: BundleManifest;
  try {
    manifest = (await res.json()) as BundleManifest;
  } catch (e) {
    throw new BundleError(`${base.href}: not valid JSON (${(e as Error).message}); expected the fusion.json written by \`fusion-cli export\`.`);
  }
  if (manifest.format !== 'fusion-bundle' || manifest.formatVersion !== 1 || !Array.isArray(manifest.members) || !manifest.members.length)
    throw new BundleError(`${base.href}: not a fusion bundle manifest (format "${manifest.format}", version ${manifest.formatVersion}); expected format "fusion-bundle" version 1 with members.`);
  const models = await loadMembers(
    manifest,
    async (m) => {
      const modelUrl = new URL(m.path, base).href;
      try {
        return await tf.loadLayersModel(tf.io.http(modelUrl, { fetchFunc }));
      } catch (e) {
        throw new BundleError(`${modelUrl}: the member model does not load (${(e as Error).message}).`);
      }
    },
    (mismatch) => new BundleError(`${base.href}: ${mismatch}`)
  );
  return new FusionBundle(manifest, models);
}

/**
 * Loads every member of `manifest` with `load` (all or none: a failure disposes those loaded) and checks that they
 * take the windows fusion.json describes, throwing `mismatchError(why)` when not.
 */
export async function loadMembers(
  manifest: BundleManifest,
  load: (member: BundleManifest['members'][number]) => Promise<tf.LayersModel>,
  mismatchError: (why: string) => Error
): Promise<tf.LayersModel[]> {
  const models: tf.LayersModel[] = [];
  try {
    for (const m of manifest.members) models.push(await load(m));
    const inputs = manifest.inputs;
    if (inputs) {
      const shapes = models[0].inputs.map((i) => i.shape);
      if (shapes.length !== inputs.length || shapes.some((sh, k) => sh[1] !== inputs[k].windowLength || sh[2] !== 1))
        throw mismatchError(`the models take ${shapes.map((sh) => `[${sh.join(', ')}]`).join(', ')} but fusion.json says inputs ${inputs.map((i) => `${i.name} [${i.windowLength}, 1]`).join(', ')}.`);
    } else {
      const shape = models[0].inputs[0].shape;
      if (shape[1] !== manifest.windowLength || shape[2] !== manifest.sensors.length)
        throw mismatchError(`the models take [${shape.join(', ')}] but fusion.json says windows of ${manifest.windowLength} points x ${manifest.sensors.length} sensors.`);
    }
  } catch (e) {
    models.forEach((m) => m.dispose());
    throw e;
  }
  return models;
}

/**
 * Multi-input windows as flat rows [n, all parts]: from flat rows, or from one array per input ([n, part length],
 * flat or nested [n][part length]).
 */
function partRows(windows: Float32Array | readonly (Float32Array | number[] | number[][])[], parts: readonly WindowPart[], n?: number): { rows: Float32Array; count: number } {
  const row = parts.reduce((a, q) => a + q.length, 0);
  const perInput = Array.isArray(windows) && windows.length === parts.length && typeof windows[0] !== 'number';
  const layout = parts.map((q) => `${q.name} ${q.length}`).join(', ');
  if (!perInput) {
    const rows = Float32Array.from(windows as ArrayLike<number>);
    const count = n ?? rows.length / row;
    if (!Number.isInteger(count) || rows.length !== count * row)
      throw new RangeError(`predict: received ${rows.length} values, expected one array per input (${layout} samples per window) or n rows of ${row} values.`);
    return { rows, count };
  }
  const cols = (windows as readonly (Float32Array | number[] | number[][])[]).map((w) => (Array.isArray(w) && Array.isArray(w[0]) ? Float32Array.from((w as number[][]).flat()) : Float32Array.from(w as ArrayLike<number>)));
  const count = n ?? cols[0].length / parts[0].length;
  cols.forEach((c, k) => {
    if (!Number.isInteger(count) || c.length !== count * parts[k].length)
      throw new RangeError(`predict: input ${parts[k].name} has ${c.length} values, expected ${count} windows x ${parts[k].length} samples (inputs: ${layout}).`);
  });
  const rows = new Float32Array(count * row);
  for (let i = 0; i < count; i++) parts.forEach((q, k) => rows.set(cols[k].subarray(i * q.length, (i + 1) * q.length), i * row + q.offset));
  return { rows, count };
}
