import { Observable, OperatorFunction } from 'rxjs';
import type { StreamCounters } from './counters';
import type { Sample, SampleChunk } from './types';

export interface ReorderOptions {
  /**
   * How late (in stream seconds, behind the newest sample seen) a sample may arrive and still be put in its place.
   * A sample is released once the stream has advanced `tolerance` s past it, so this is also the delay it adds.
   */
  tolerance: number;
  /** Most samples held back at once (default 200000); beyond it the oldest are released early. */
  maxBuffered?: number;
  /** Two samples of one sensor closer than this (s) are the same sample (default 1e-5). */
  epsilon?: number;
  counters?: Pick<StreamCounters, 'duplicates' | 'late'>;
}

/** Released sample times remembered per sensor for duplicate detection. */
const RECENT = 1024;

/**
 * Puts the samples of one stream in time order across all its sensors (sorted insertion into a bounded buffer) and
 * drops duplicates (same sensor, same time) and samples that arrive after their place was released; both are counted.
 */
export function reorderDedupe(options: ReorderOptions): OperatorFunction<SampleChunk, Sample> {
  const { tolerance } = options;
  const maxBuffered = options.maxBuffered ?? 200000;
  const eps = options.epsilon ?? 1e-5;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new RangeError(`reorderDedupe: tolerance must be a finite number >= 0 (seconds), received ${tolerance}`);
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) throw new RangeError(`reorderDedupe: maxBuffered must be an integer >= 1, received ${maxBuffered}`);
  return (source) =>
    new Observable<Sample>((subscriber) => {
      let buf: Sample[] = [];
      let head = 0;
      let newest = -Infinity;
      const lastOut = new Map<string, number>();
      // the most recent released times per sensor (increasing), to tell a late duplicate from a late new sample
      const recent = new Map<string, number[]>();
      const release = (s: Sample): void => {
        lastOut.set(s.sensor, s.t);
        let r = recent.get(s.sensor);
        if (!r) recent.set(s.sensor, (r = []));
        r.push(s.t);
        if (r.length > 2 * RECENT) r.splice(0, r.length - RECENT);
        subscriber.next(s);
      };
      const seen = (sensor: string, t: number): boolean => {
        const r = recent.get(sensor) ?? [];
        let lo = 0;
        let hi = r.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (r[mid] < t - eps) lo = mid + 1;
          else hi = mid;
        }
        return lo < r.length && Math.abs(r[lo] - t) <= eps;
      };
      const insert = (s: Sample): void => {
        const last = lastOut.get(s.sensor);
        if (last !== undefined && s.t <= last + eps) {
          if (seen(s.sensor, s.t)) {
            if (options.counters) options.counters.duplicates++;
          } else if (options.counters) options.counters.late++;
          return;
        }
        // upper bound: first index whose t is greater than s.t (usually the end: samples mostly come in order)
        let lo = head;
        let hi = buf.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (buf[mid].t <= s.t) lo = mid + 1;
          else hi = mid;
        }
        for (let j = lo - 1; j >= head && buf[j].t >= s.t - eps; j--) {
          if (buf[j].sensor === s.sensor) {
            if (options.counters) options.counters.duplicates++;
            return;
          }
        }
        for (let j = lo; j < buf.length && buf[j].t <= s.t + eps; j++) {
          if (buf[j].sensor === s.sensor) {
            if (options.counters) options.counters.duplicates++;
            return;
          }
        }
        if (lo === buf.length) buf.push(s);
        else buf.splice(lo, 0, s);
        if (s.t > newest) newest = s.t;
      };
      const drain = (all: boolean): void => {
        const limit = newest - tolerance;
        while (head < buf.length && (all || buf[head].t <= limit || buf.length - head > maxBuffered)) release(buf[head++]);
        if (head > 4096 && head * 2 > buf.length) {
          buf = buf.slice(head);
          head = 0;
        }
      };
      const sub = source.subscribe({
        next(chunk) {
          const C = chunk.channels;
          for (let i = 0; i < chunk.times.length; i++) {
            insert({ sensor: chunk.sensor, t: chunk.times[i], values: chunk.values.subarray(i * C, (i + 1) * C), fs: chunk.fs });
          }
          drain(false);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          drain(true);
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        buf = [];
      };
    });
}
