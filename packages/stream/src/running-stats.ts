import type { SensorStats } from './types';

/** Floors a standard deviation exactly as core's `stats` does, so constant signals do not divide by zero. */
export function flooredStats(mean: number, sd: number, n: number): SensorStats {
  if (n === 0) return { mean: 0, sd: 1, n: 0 };
  return { mean, sd: sd > 1e-6 * Math.max(1, Math.abs(mean)) ? sd : 1, n };
}

/**
 * Per-sensor running mean and (population) standard deviation over every finite grid value seen so far (Welford's
 * algorithm: constant memory, numerically stable), the live stand-in for per-recording z-scoring.
 */
export class RunningStats {
  private readonly n: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  /** Frames seen (finite or not). */
  frames = 0;

  constructor(readonly sensors: number) {
    this.n = new Float64Array(sensors);
    this.mean = new Float64Array(sensors);
    this.m2 = new Float64Array(sensors);
  }

  update(values: ArrayLike<number>): void {
    this.frames++;
    for (let s = 0; s < this.sensors; s++) {
      const v = values[s];
      if (!Number.isFinite(v)) continue;
      const n = ++this.n[s];
      const d = v - this.mean[s];
      this.mean[s] += d / n;
      this.m2[s] += d * (v - this.mean[s]);
    }
  }

  get(s: number): SensorStats {
    const n = this.n[s];
    return flooredStats(this.mean[s], n ? Math.sqrt(this.m2[s] / n) : 0, n);
  }
}
