import type { EventSeries } from '../data';

/**
 * Event series (e.g. `ibi`: one inter-beat interval in seconds at each detected beat) as a regular signal, for graph
 * inputs that name one. The rule is "last event held": grid sample k stands for the bin [t_k, t_k + 1/rate) and takes
 * the value of the last event at or before the bin's centre t_k + 0.5/rate. It is missing (NaN) before the first event
 * and when that event is more than `maxGap` seconds before the centre (the wristband dropped beats: movement, a loose
 * strap); the window's `maxMissing` rule then applies to those samples as to any other input's. Holding (rather than
 * interpolating between beats) needs no future event, so a live stream can emit a sample as soon as its centre has
 * passed, and the beat-to-beat changes stay visible as steps (the `features` node's RMSSD and pNN50 read them).
 * Values stay in the events' own unit (seconds for IBI): event inputs are never z-scored.
 */

/** Largest rate (Hz) of an event input: beats come at most ~3.3 per second (200 bpm); finer grids only repeat values. */
export const MAX_EVENT_RATE = 8;
/** Default `missing.maxGap` (s): about two to three missed beats at rest. */
export const DEFAULT_MAX_GAP = 3;
/** Largest `missing.maxGap` (s) the schema allows. */
export const MAX_GAP_LIMIT = 60;

/**
 * Samples k0 .. k0 + n - 1 of `ev` on the grid t_k = start + k / rate, each the last event at or before its bin centre
 * (see above). A live stream passes its grid origin as `start` and the first new index as `k0`, so each centre is
 * computed by the same expression as in training.
 */
export function eventsToGrid(ev: Pick<EventSeries, 'times' | 'values'>, start: number, rate: number, n: number, maxGap: number, k0 = 0): Float32Array {
  const out = new Float32Array(n).fill(NaN);
  const { times, values } = ev;
  const binW = 1 / rate;
  // j: one past the last event at or before the current centre (centres increase, so j only moves forward)
  let j = 0;
  for (let k = 0; k < n; k++) {
    const c = start + (k0 + k + 0.5) * binW;
    while (j < times.length && times[j] <= c) j++;
    if (j === 0) continue;
    if (c - times[j - 1] > maxGap) continue;
    out[k] = values[j - 1];
  }
  return out;
}
