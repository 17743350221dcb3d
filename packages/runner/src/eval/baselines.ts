import { Rng } from '@fusion/core';

/**
 * Baselines evaluated on the same folds as the model. Both use only the fold's training labels.
 * - majority: always the most frequent training class (probabilities = that one-hot; AUROC 0.5 by ties).
 * - classRatio: a random class drawn with the training class frequencies (seeded), probabilities = the frequencies.
 */
export function classPrior(yTrain: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < yTrain.length; i++) counts[yTrain[i]]++;
  const n = yTrain.length || 1;
  return counts.map((c) => c / n);
}

export function majorityBaseline(prior: number[], n: number): { pred: Int32Array; probs: Float32Array } {
  let best = 0;
  prior.forEach((p, c) => {
    if (p > prior[best]) best = c;
  });
  const probs = new Float32Array(n * prior.length);
  for (let i = 0; i < n; i++) probs[i * prior.length + best] = 1;
  return { pred: new Int32Array(n).fill(best), probs };
}

export function classRatioBaseline(prior: number[], n: number, rng: Rng): { pred: Int32Array; probs: Float32Array } {
  const pred = new Int32Array(n);
  const probs = new Float32Array(n * prior.length);
  for (let i = 0; i < n; i++) {
    let u = rng.next();
    let c = 0;
    while (c < prior.length - 1 && u >= prior[c]) {
      u -= prior[c];
      c++;
    }
    pred[i] = c;
    probs.set(prior, i * prior.length);
  }
  return { pred, probs };
}
