import { Observable, OperatorFunction } from 'rxjs';
import { eventsToGrid } from '@fusion/core/live';
import type { Frame, Sample } from './types';

export interface EventGridOptions {
  /** The event sensor (e.g. `ibi`): its samples are events, `values[0]` the event's value (seconds for IBI). */
  sensor: string;
  /** The input's grid rate (Hz). */
  rate: number;
  /** Seconds after the last event a grid sample stays valid (the input's `missing.maxGap`). */
  maxGap: number;
  /** Time of grid point 0; by default the first sample's time floored to the grid. */
  origin?: number;
}

/**
 * An event input of one stream on its grid, by the training code (`eventsToGrid`: the last event at or before each
 * bin centre, missing more than `maxGap` s after it). It takes every sample of the stream, time-ordered: the other
 * sensors' samples only move time on, so grid points keep coming through a pause in the beats (missing then) and the
 * windows end with the other inputs'. A grid point is emitted once the stream is past its centre: no event at or
 * before the centre can still come. Only the events the next grid points can use are kept.
 */
export function eventGrid(o: EventGridOptions): OperatorFunction<Sample, Frame> {
  const F = o.rate;
  if (!(F > 0) || !Number.isFinite(F)) throw new RangeError(`eventGrid: rate must be a positive number, received ${F}`);
  if (!(o.maxGap > 0)) throw new RangeError(`eventGrid: maxGap must be > 0 seconds, received ${o.maxGap}`);
  return (source) =>
    new Observable<Frame>((subscriber) => {
      let origin = o.origin;
      let kNext: number | undefined;
      let watermark = -Infinity;
      let times: number[] = [];
      let values: number[] = [];
      const emit = (kEnd: number): void => {
        if (kNext === undefined || origin === undefined || kEnd < kNext) return;
        const n = kEnd - kNext + 1;
        const v = eventsToGrid({ times: Float64Array.from(times), values: Float32Array.from(values) }, origin, F, n, o.maxGap, kNext);
        for (let j = 0; j < n; j++) subscriber.next({ k: kNext + j, t: origin + (kNext + j) / F, values: Float32Array.of(v[j]) });
        kNext += n;
        // keep the last event at or before the next centre, and the later ones
        const c = origin + (kNext + 0.5) / F;
        let drop = 0;
        while (drop + 1 < times.length && times[drop + 1] <= c) drop++;
        if (drop) {
          times = times.slice(drop);
          values = values.slice(drop);
        }
      };
      const sub = source.subscribe({
        next(s) {
          if (origin === undefined) origin = Math.floor(s.t * F) / F;
          if (kNext === undefined) kNext = Math.floor((s.t - origin) * F);
          if (s.sensor === o.sensor && Number.isFinite(s.values[0])) {
            times.push(s.t);
            values.push(s.values[0]);
          }
          if (s.t > watermark) watermark = s.t;
          // centres strictly before the watermark are final (samples come in time order)
          emit(Math.ceil((watermark - origin) * F - 0.5) - 1);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          // as alignResample ends: up to the last grid point that starts before the last sample
          if (origin !== undefined) emit(Math.ceil((watermark - origin) * F - 1e-9) - 1);
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
