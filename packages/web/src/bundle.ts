import * as tf from '@tensorflow/tfjs';
import type { BundleManifest } from '@fusion/core/layers';
import { ensembleProbs } from '@fusion/core/layers';
import './layers';

export type { BundleManifest } from '@fusion/core/layers';

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
export class FusionBundle {
  constructor(
    readonly manifest: BundleManifest,
    readonly models: tf.LayersModel[]
  ) {}

  get sensors(): readonly string[] {
    return this.manifest.sensors;
  }
  get classes(): readonly string[] {
    return this.manifest.classes;
  }
  /** Grid points per window. */
  get windowLength(): number {
    return this.manifest.windowLength;
  }

  /**
   * Class probabilities of `n` windows, averaged over the ensemble members as evaluation did: [n * classes],
   * row-major. `windows` is [n, windowLength, sensors] as a flat array (row-major) or nested arrays. With
   * `normalization.mode: "train"` give raw resampled windows (each member applies its fold's statistics); with
   * "subject", windows z-scored per subject (see `manifest.normalization.rule`).
   */
  async predict(windows: Float32Array | number[] | number[][][], n?: number): Promise<Float32Array> {
    const L = this.windowLength;
    const S = this.sensors.length;
    const flat = Array.isArray(windows) && Array.isArray(windows[0]) ? Float32Array.from((windows as number[][][]).flat(2)) : Float32Array.from(windows as ArrayLike<number>);
    const count = n ?? flat.length / (L * S);
    if (!Number.isInteger(count) || flat.length !== count * L * S)
      throw new RangeError(`predict: received ${flat.length} values, expected n x ${L} x ${S} (n windows of ${L} points of ${S} sensors: ${this.sensors.join(', ')}).`);
    const norm = this.manifest.normalization;
    const stats = norm.mode === 'train' ? this.manifest.members.map((m) => norm.folds[String(m.fold)]) : undefined;
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
    const shape = models[0].inputs[0].shape;
    if (shape[1] !== manifest.windowLength || shape[2] !== manifest.sensors.length)
      throw mismatchError(`the models take [${shape.join(', ')}] but fusion.json says windows of ${manifest.windowLength} points x ${manifest.sensors.length} sensors.`);
  } catch (e) {
    models.forEach((m) => m.dispose());
    throw e;
  }
  return models;
}
