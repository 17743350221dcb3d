import { map, OperatorFunction } from 'rxjs';
import type { SensorStats, Window } from './types';

/** Where a window's statistics come from. */
export type WindowNormalization =
  | { kind: 'none' }
  /** Fixed statistics per sensor (e.g. over a whole replayed recording, as batch evaluation does). */
  | { kind: 'fixed'; stats: readonly SensorStats[] }
  /** Running statistics; windows are marked `skipped: 'warmup'` until `warmupFrames` grid points were seen. */
  | { kind: 'running'; stats: { frames: number; get(s: number): SensorStats }; warmupFrames: number };

/**
 * z-scores each window's values per sensor with the chosen statistics and fills missing points with 0 (the mean after
 * z-scoring), exactly as `makeWindows` fills them; with `none` the values stay raw and gaps become 0 as in training.
 */
export function normalizeWindows(norm: WindowNormalization, sensors: number): OperatorFunction<Window, Window> {
  if (!Number.isInteger(sensors) || sensors < 1) throw new RangeError(`normalizeWindows: sensors must be an integer >= 1, received ${sensors}`);
  if (norm.kind === 'fixed' && norm.stats.length !== sensors) throw new RangeError(`normalizeWindows: ${norm.stats.length} fixed statistics for ${sensors} sensors`);
  if (norm.kind === 'running' && !(norm.warmupFrames >= 0)) throw new RangeError(`normalizeWindows: warmupFrames must be >= 0, received ${norm.warmupFrames}`);
  return map((w: Window): Window => {
    if (w.skipped) return w;
    if (norm.kind === 'running' && norm.stats.frames < norm.warmupFrames) return { ...w, skipped: 'warmup' };
    const st: SensorStats[] | undefined =
      norm.kind === 'none' ? undefined : norm.kind === 'fixed' ? [...norm.stats] : Array.from({ length: sensors }, (_, s) => norm.stats.get(s));
    const x = new Float32Array(w.x.length);
    for (let i = 0; i < x.length; i++) {
      const v = w.x[i];
      if (!Number.isFinite(v)) continue;
      if (!st) x[i] = v;
      else {
        const s = st[i % sensors];
        // as core's zscore on a Float32Array: the difference and quotient are rounded to float32 the same way
        x[i] = (v - s.mean) / s.sd;
      }
    }
    return { ...w, x };
  });
}
