import type { EvaluationSpec } from '@fusion/core';
import { FusionError, Rng } from '@fusion/core';

export interface Fold {
  index: number;
  /** Test subjects of this fold. */
  test: string[];
  /** Training subjects (validation subjects are carved out of these later). */
  train: string[];
}

/** Splits subjects into folds: by subject only, never by window. Deterministic for a seed. */
export function makeFolds(subjects: readonly string[], spec: EvaluationSpec, seed: number): Fold[] {
  const all = [...new Set(subjects)].sort(naturalCompare);
  if (all.length < 2) throw new FusionError(`subject-wise evaluation needs at least 2 subjects with windows, found ${all.length} (${all.join(', ') || 'none'}).`);
  let groups: string[][];
  switch (spec.type) {
    case 'loso':
      groups = all.map((s) => [s]);
      break;
    case 'group-kfold': {
      if (spec.k > all.length) throw new FusionError(`evaluation.k = ${spec.k} is larger than the number of subjects (${all.length}); use k <= ${all.length} or "loso".`);
      const order = new Rng(`${seed}/folds`).shuffle([...all]);
      groups = Array.from({ length: spec.k }, () => []);
      order.forEach((s, i) => groups[i % spec.k].push(s));
      groups.forEach((g) => g.sort(naturalCompare));
      break;
    }
    case 'groups': {
      const named = spec.groups.map((g) => g.map(String));
      const seen = new Set<string>();
      for (const g of named) for (const s of g) {
        if (seen.has(s)) throw new FusionError(`evaluation.groups lists subject "${s}" twice; each subject belongs to one group.`);
        seen.add(s);
      }
      groups = named.map((g) => g.filter((s) => all.includes(s))).filter((g) => g.length > 0);
      if (groups.length < 2) throw new FusionError(`evaluation.groups: fewer than 2 groups have subjects with windows (subjects present: ${all.join(', ')}).`);
      break;
    }
  }
  const inTest = new Set(groups.flat());
  return groups.map((test, index) => ({
    index,
    test,
    train: all.filter((s) => !test.includes(s) && (spec.type !== 'groups' || inTest.has(s))),
  }));
}

/** Holds out a fraction of the training subjects (at least one, leaving at least one) for early stopping. */
export function splitValidation(train: readonly string[], fraction: number, rng: Rng): { fit: string[]; validation: string[] } {
  if (fraction <= 0 || train.length < 2) return { fit: [...train], validation: [] };
  const n = Math.min(train.length - 1, Math.max(1, Math.round(train.length * fraction)));
  const order = rng.shuffle([...train]);
  return { fit: order.slice(n).sort(naturalCompare), validation: order.slice(0, n).sort(naturalCompare) };
}

export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
