import { multiRateInputs } from './preprocess/multirate';
import type { SpecIssue } from './errors';
import type { GraphSpec } from './spec';

/**
 * Hyper-parameter sweeps: a spec's top-level `sweep` maps dotted JSON paths to lists of values, e.g.
 * `{"training.learningRate": [0.001, 0.003], "head.units": [16, 32]}`. The run trains the full grid (every
 * combination, first path varying slowest) on every outer fold and, per fold, keeps the point whose models score the
 * best balanced accuracy on the fold's *validation* subjects (held out of training inside the fold); the test
 * subjects never take part in the choice.
 *
 * This module only expands and checks sweeps (no runtime import of the schema: `SpecValidator.check` calls it).
 */
export type SweepSpec = Record<string, unknown[]>;

export interface SweepPoint {
  /** 0-based index in the grid. */
  index: number;
  /** The value of every swept path at this point. */
  values: Record<string, unknown>;
}

/** The most points a sweep may expand to (each point trains folds x ensemble models). */
export const MAX_SWEEP_POINTS = 256;

/**
 * Paths a sweep may not change, and why: they change what is evaluated (the data, its labels, the subjects, the folds
 * or the validation subjects the selection is made on), not how a model is trained.
 */
const FORBIDDEN: { prefix: string; why: string }[] = [
  { prefix: 'name', why: 'the run name is not a hyper-parameter' },
  { prefix: 'description', why: 'the description is not a hyper-parameter' },
  { prefix: '$schema', why: 'not a hyper-parameter' },
  { prefix: 'plugins', why: 'plugins are loaded once, before validation' },
  { prefix: 'seed', why: 'the seed fixes the folds and the validation subjects; sweep points must share them' },
  { prefix: 'dataset', why: 'every point must be evaluated on the same data' },
  { prefix: 'sensors', why: 'every point must be evaluated on the same data' },
  { prefix: 'evaluation', why: 'every point must be evaluated on the same folds' },
  { prefix: 'output', why: 'a run has one output folder' },
  { prefix: 'sweep', why: 'sweeps do not nest' },
  { prefix: 'training.validationFraction', why: 'the validation subjects are what the points are compared on; they must be the same for every point' },
  { prefix: 'preprocessing.label', why: 'every point must predict the same labels' },
];

/** The spec's sweep, if it has a non-empty one. */
export function sweepOf(spec: GraphSpec | Record<string, unknown>): SweepSpec | undefined {
  const s = (spec as { sweep?: SweepSpec }).sweep;
  return s && Object.keys(s).length ? s : undefined;
}

export function splitPath(p: string): string[] {
  return p.split('.');
}

/** The value at a dotted path (`encoder.channels.0` indexes arrays), or undefined where the path does not exist. */
export function getPath(root: unknown, p: string): unknown {
  let cur: unknown = root;
  for (const key of splitPath(p)) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function setPath(root: Record<string, unknown>, p: string, value: unknown): void {
  const keys = splitPath(p);
  let cur: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) cur = cur[key] as Record<string, unknown>;
  cur[keys[keys.length - 1]] = structuredClone(value);
}

/** The grid: every combination of the listed values, the first path varying slowest. */
export function sweepPoints(sweep: SweepSpec): SweepPoint[] {
  const paths = Object.keys(sweep);
  let combos: Record<string, unknown>[] = [{}];
  for (const p of paths) combos = combos.flatMap((c) => sweep[p].map((v) => ({ ...c, [p]: v })));
  return combos.map((values, index) => ({ index, values }));
}

/** A copy of the spec without its sweep, with the point's values set (not validated: see `pointSpecs`). */
export function applyPoint(spec: GraphSpec | Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(spec) as Record<string, unknown>;
  delete copy.sweep;
  for (const [p, v] of Object.entries(values)) setPath(copy, p, v);
  return copy;
}

/** Whether a point differs from another in how its windows are made (it then needs its own prepared data). */
export function preprocessingKey(spec: GraphSpec): string {
  // Inputs at their own rates window the data by their rates and missing-data rules too.
  const rates = multiRateInputs(spec);
  return JSON.stringify(rates ? { preprocessing: spec.preprocessing, inputs: rates } : spec.preprocessing);
}

function pointer(p: string, i?: number): string {
  return `/sweep/${p.replace(/~/g, '~0').replace(/\//g, '~1')}${i === undefined ? '' : `/${i}`}`;
}

/**
 * Checks a validated spec's sweep: every path names an option the spec has (defaults included) and may be swept,
 * and every value, and every point of the grid, gives a valid spec under the same validator (`check`).
 */
export function sweepIssues(spec: GraphSpec, check: (raw: unknown) => GraphSpec): SpecIssue[] {
  const sweep = sweepOf(spec);
  if (!sweep) return [];
  const issues: SpecIssue[] = [];
  const problems = (raw: unknown): string | undefined => {
    try {
      check(raw);
      return undefined;
    } catch (e) {
      const list = (e as { issues?: SpecIssue[] }).issues;
      return list ? list.map((i) => `at ${i.path || '/'}: ${i.message}`).join('; ') : (e as Error).message;
    }
  };
  for (const [p, values] of Object.entries(sweep)) {
    const bad = FORBIDDEN.find((f) => p === f.prefix || p.startsWith(f.prefix + '.'));
    if (bad) {
      issues.push({ path: pointer(p), message: `"${p}" cannot be swept: ${bad.why}. Sweep training, model or preprocessing options instead.` });
      continue;
    }
    if (!p || splitPath(p).some((k) => !k)) {
      issues.push({ path: pointer(p), message: `"${p}" is not a dotted path to an option, e.g. "training.learningRate".` });
      continue;
    }
    if (getPath(spec, p) === undefined) {
      issues.push({ path: pointer(p), message: `"${p}" does not exist in the spec (after defaults). Set the option in the spec first, then sweep it.` });
      continue;
    }
    values.forEach((v, i) => {
      const why = problems(applyPoint(spec, { [p]: v }));
      if (why) issues.push({ path: pointer(p, i), message: `the value ${JSON.stringify(v)} gives an invalid spec: ${why}` });
    });
  }
  if (issues.length) return issues;
  const points = sweepPoints(sweep);
  if (points.length > MAX_SWEEP_POINTS) return [{ path: '/sweep', message: `the grid has ${points.length} points; at most ${MAX_SWEEP_POINTS} are allowed. Sweep fewer values.` }];
  for (const pt of points) {
    const why = problems(applyPoint(spec, pt.values));
    if (why) issues.push({ path: '/sweep', message: `the combination ${JSON.stringify(pt.values)} gives an invalid spec: ${why}` });
  }
  return issues;
}

/** The validated spec of every point of the spec's sweep (defaults filled in by `check`). */
export function pointSpecs(spec: GraphSpec, check: (raw: unknown) => GraphSpec): { point: SweepPoint; spec: GraphSpec }[] {
  const sweep = sweepOf(spec);
  if (!sweep) return [];
  return sweepPoints(sweep).map((point) => ({ point, spec: check(applyPoint(spec, point.values)) }));
}
