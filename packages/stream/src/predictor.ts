import type { WindowPart } from '@fusion/core/live';

// What the streaming pipeline needs from a model, free of Node modules (the browser bundle's live path uses it).

/** What the streaming pipeline needs from a model: its input layout and a batch predictor. */
export interface Predictor {
  sensors: readonly string[];
  classes: readonly string[];
  /** Window length in grid points. */
  length: number;
  /**
   * With several outputs (multi-task runs), each output's name and classes in the spec's order; `classes` are the
   * first output's. Undefined with one output.
   */
  readonly outputs?: readonly PredictorOutput[];
  /**
   * Class probabilities of `n` windows ([n, length, sensors] row-major), [n * classes]; with several `outputs`,
   * [n * (classes of every output)]: per window, each output's probabilities side by side.
   */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /**
   * True when the model normalises its raw input itself (runs with `normalize: "train"`: each fold's training
   * statistics, stored with its models); the pipeline then leaves windows unnormalised.
   */
  readonly normalizesInput?: boolean;
  /** Inputs at their own rates: windows are rows of these parts (`predict` takes [n, row]), one model input each. */
  readonly parts?: readonly (WindowPart & { maxMissing: number })[];
}

export interface PredictorOutput {
  name: string;
  classes: readonly string[];
}

/** Probabilities per window across every output (`Predictor.predict`'s row width). */
export function predictorWidth(p: Pick<Predictor, 'classes' | 'outputs'>): number {
  return p.outputs ? p.outputs.reduce((a, o) => a + o.classes.length, 0) : p.classes.length;
}

/** One window's probabilities of every output (a row of `predict`'s result) by output name: probabilities by class and the argmax class. */
export function outputEvents(outputs: readonly PredictorOutput[], row: ArrayLike<number>): Record<string, { probs: Record<string, number>; pred: string }> {
  const out: Record<string, { probs: Record<string, number>; pred: string }> = {};
  let at = 0;
  for (const o of outputs) {
    const probs: Record<string, number> = {};
    let best = 0;
    o.classes.forEach((c, k) => {
      probs[c] = row[at + k];
      if (row[at + k] > row[at + best]) best = k;
    });
    out[o.name] = { probs, pred: o.classes[best] };
    at += o.classes.length;
  }
  return out;
}
