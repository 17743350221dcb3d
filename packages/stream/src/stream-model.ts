import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DatasetError, ensembleProbs, GraphSpec, loadModel, multiRateInputs, refuseSeveralOutputs, WindowPart, windowParts } from '@fusion/core';
import { multiRateProbs } from './multirate-predict';

export { outputEvents, Predictor, PredictorOutput, predictorWidth } from './predictor';
import type { Predictor, PredictorOutput } from './predictor';

export interface StreamModelOptions {
  /** Use only this fold's ensemble members (1-based, as in models/fold-K); default every fold's members averaged. */
  fold?: number;
  /**
   * Serve a run with several outputs (`predict` then gives every output's probabilities, see `Predictor.outputs`);
   * without it such a run is refused with `MultiOutputRunError` naming `refuseAs`.
   */
  severalOutputs?: boolean;
  refuseAs?: string;
}

/**
 * The models of a `fusion-cli run` output folder with its validated spec: predicts batches of windows with the
 * active backend, averaging the ensemble's probabilities as evaluation does. Custom layer classes must be registered
 * before `load` (import the plugin packages). Owns its models: `dispose` frees them.
 */
export class StreamModel implements Predictor {
  private constructor(
    readonly runDir: string,
    readonly spec: GraphSpec,
    readonly members: tf.LayersModel[],
    readonly memberDirs: string[],
    /** Per member, with `normalize: "train"`: its fold's training statistics per sensor. */
    readonly memberStats?: { mean: number; sd: number }[][]
  ) {}

  get normalizesInput(): boolean {
    return this.memberStats !== undefined;
  }

  get sensors(): readonly string[] {
    return this.spec.sensors;
  }
  get classes(): readonly string[] {
    return this.outputs?.[0].classes ?? this.spec.preprocessing.label.classes;
  }
  get outputs(): readonly PredictorOutput[] | undefined {
    const outs = Object.entries(this.spec.outputs ?? {});
    return outs.length > 1 ? outs.map(([name, o]) => ({ name, classes: o.classes ?? this.spec.preprocessing.label.classes })) : undefined;
  }
  get length(): number {
    return Math.round(this.spec.preprocessing.window * this.spec.preprocessing.sampleRate);
  }
  get parts(): (WindowPart & { maxMissing: number })[] | undefined {
    const inputs = multiRateInputs(this.spec);
    return inputs && windowParts(inputs, this.spec.preprocessing.window).map((q, k) => ({ ...q, maxMissing: inputs[k].maxMissing }));
  }

  static async load(runDir: string, options: StreamModelOptions = {}): Promise<StreamModel> {
    const specFile = path.join(runDir, 'spec.json');
    if (!fs.existsSync(specFile)) throw new DatasetError(`${specFile} not found; --model must be a folder written by \`fusion-cli run\` (spec.json, models/).`);
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as GraphSpec;
    if (!options.severalOutputs) refuseSeveralOutputs(spec, runDir, options.refuseAs ?? 'serving (this command)');
    const modelsDir = path.join(runDir, 'models');
    const folds = fs.existsSync(modelsDir)
      ? fs.readdirSync(modelsDir).filter((d) => /^fold-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
      : [];
    if (!folds.length) throw new DatasetError(`no models in ${modelsDir}; expected models/fold-K/member-M/model.json from \`fusion-cli run\`.`);
    let chosen = folds;
    if (options.fold !== undefined) {
      chosen = folds.filter((f) => f === `fold-${options.fold}`);
      if (!chosen.length) throw new DatasetError(`--fold ${options.fold}: no models/fold-${options.fold} in ${runDir}; available folds: ${folds.map((f) => f.slice(5)).join(', ')}.`);
    }
    const dirs = chosen.flatMap((f) =>
      fs
        .readdirSync(path.join(modelsDir, f))
        .filter((d) => /^member-\d+$/.test(d))
        .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)))
        .map((d) => path.join(modelsDir, f, d))
    );
    if (!dirs.length) throw new DatasetError(`no ensemble members under ${chosen.map((f) => path.join(modelsDir, f)).join(', ')}.`);
    const members: tf.LayersModel[] = [];
    try {
      for (const d of dirs) members.push(await loadModel(d));
    } catch (e) {
      members.forEach((m) => m.dispose());
      throw e;
    }
    let memberStats: { mean: number; sd: number }[][] | undefined;
    if (spec.preprocessing.normalize === 'train') {
      memberStats = dirs.map((d) => {
        const file = path.join(path.dirname(d), 'normalization.json');
        if (!fs.existsSync(file)) {
          members.forEach((mm) => mm.dispose());
          throw new DatasetError(`${file} not found: the run normalised with training-fold statistics and its folder must keep them (written by fusion-cli run since this version; re-run it).`);
        }
        const st = (JSON.parse(fs.readFileSync(file, 'utf8')) as { stats: { mean: number; sd: number }[] }).stats;
        const names = multiRateInputs(spec)?.map((i) => i.name) ?? spec.sensors;
        if (st.length !== names.length) throw new DatasetError(`${file}: ${st.length} sensor statistics, expected ${names.length} (${names.join(', ')}).`);
        return st;
      });
    }
    const m = new StreamModel(runDir, spec, members, dirs, memberStats);
    const shape = members[0].inputs[0].shape;
    if (!m.parts && shape[1] !== null && shape[1] !== m.length) throw new DatasetError(`${dirs[0]}: input length ${shape[1]} does not match the spec's window (${m.length} points).`);
    return m;
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    const parts = this.parts;
    if (parts) return multiRateProbs(this.members, x, n, parts, this.memberStats);
    const S = this.sensors.length;
    const L = this.length;
    if (x.length !== n * L * S) throw new RangeError(`StreamModel.predict: received ${x.length} values for ${n} windows, expected ${n * L * S} (${n} x ${L} x ${S}).`);
    // As evaluation did: (x - training mean) / training sd, per sensor, with each member's fold statistics.
    const out = tf.tidy(() => ensembleProbs(this.members, tf.tensor3d(x, [n, L, S]), this.memberStats));
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.members.forEach((m) => m.dispose());
  }
}
