import { connect, filter, merge, Observable, OperatorFunction, Subject, Subscription, tap } from 'rxjs';
import { partsSize } from '@fusion/core/live';
import type { WindowPart } from '@fusion/core/live';
import { alignResample } from './align-resample';
import { eventGrid } from './event-grid';
import type { StreamCounters } from './counters';
import { normalizeWindows, WindowNormalization } from './normalize-windows';
import { RunningStats } from './running-stats';
import type { Frame, Sample, SensorStats, Window } from './types';
import { windowStream } from './window-stream';

export interface MultiRateWindowOptions {
  stream: string;
  /** The model's inputs in its input order, each with its rate and the fraction of missing samples it allows. */
  parts: readonly (WindowPart & { maxMissing: number })[];
  window: number;
  /** Hop in seconds. */
  hop: number;
  /** Raw values (`none`, or the model normalises itself), `fixed` statistics per part (replay), or `running`. */
  norm: { kind: 'none' } | { kind: 'fixed'; stats: readonly SensorStats[] } | { kind: 'running'; warmupSeconds: number };
  /** Grid origin (replay: the recording's); by default the whole second of the first sample, on every input's grid. */
  origin?: number;
  rates: Readonly<Record<string, number>>;
  bufferSeconds?: number;
  counters?: Pick<StreamCounters, 'ignored' | 'overflow'>;
  now?: () => number;
}

/**
 * Windows of inputs at their own rates from the ordered samples of one stream, as `makeMultiRateWindows` cuts them
 * from a recording: the inputs of each rate are aligned and resampled onto their own grid (`alignResample`) from one
 * common origin and windowed every hop (`windowStream`), z-scored per input, and the windows of all rates that end at
 * the same time are joined into one row (the parts one after the other). A window where an input misses more than its
 * `maxMissing` is marked `skipped: 'missing'`. An event input (`maxGap`, e.g. `ibi`) is a group of its own, put on its
 * grid by `eventGrid` (the training code, `eventsToGrid`) and never z-scored, as in training.
 */
export function multiRateWindows(o: MultiRateWindowOptions): OperatorFunction<Sample, Window> {
  const regular = o.parts.filter((q) => q.maxGap === undefined);
  const rates = [...new Set(regular.map((q) => q.rate))];
  const groups: { rate: number; parts: typeof o.parts; sensors: string[]; maxGap?: number }[] = rates.map((rate) => {
    const parts = regular.filter((q) => q.rate === rate);
    return { rate, parts, sensors: [...new Set(parts.map((q) => q.sensor))] };
  });
  for (const q of o.parts) if (q.maxGap !== undefined) groups.push({ rate: q.rate, parts: [q], sensors: [q.sensor], maxGap: q.maxGap });
  const row = partsSize(o.parts);
  const now = o.now ?? Date.now;
  return (source) =>
    new Observable<Window>((subscriber) => {
      let origin = o.origin;
      const pending = new Map<number, (Window | undefined)[]>();
      const join = (g: number, w: Window): void => {
        const key = Math.round(w.windowEnd * 1e6);
        const got = pending.get(key) ?? new Array<Window | undefined>(groups.length).fill(undefined);
        got[g] = w;
        pending.set(key, got);
        // windows every group has moved past can never complete (a gap restarted one group's windows)
        for (const k of [...pending.keys()]) if (k < key && pending.get(k)![g] === undefined) pending.delete(k);
        if (got.some((x) => x === undefined)) return;
        pending.delete(key);
        const x = new Float32Array(row);
        const missing: Record<string, number> = {};
        let skipped: Window['skipped'];
        groups.forEach((gr, gi) => {
          const gw = got[gi]!;
          if (gw.skipped && !skipped) skipped = gw.skipped;
          for (const q of gr.parts) {
            const s = gr.sensors.indexOf(q.sensor);
            const S = gr.sensors.length;
            for (let t = 0; t < q.length; t++) x[q.offset + t] = gw.x[t * S + s];
            missing[q.name] = gw.missing[q.sensor];
            if (gw.missing[q.sensor] > q.maxMissing) skipped = 'missing';
          }
        });
        const w0 = got[0]!;
        subscriber.next({ stream: o.stream, k0: w0.k0, windowEnd: w0.windowEnd, x, missing, cutAt: now(), ...(skipped ? { skipped } : {}) });
      };
      const branch = (shared: Observable<Sample>, gi: number): Observable<unknown> => {
        const gr = groups[gi];
        const S = gr.sensors.length;
        const running = new RunningStats(S);
        let norm: WindowNormalization;
        if (o.norm.kind === 'none' || gr.maxGap !== undefined) norm = { kind: 'none' };
        else if (o.norm.kind === 'fixed') {
          const st = o.norm.stats;
          norm = { kind: 'fixed', stats: gr.sensors.map((s) => st[o.parts.findIndex((q) => q.rate === gr.rate && q.sensor === s && q.maxGap === undefined)]) };
        } else norm = { kind: 'running', stats: running, warmupFrames: Math.round(o.norm.warmupSeconds * gr.rate) };
        const grid: OperatorFunction<Sample, Frame> =
          gr.maxGap !== undefined
            ? eventGrid({ sensor: gr.sensors[0], rate: gr.rate, maxGap: gr.maxGap, origin })
            : (s) => s.pipe(filter((smp) => gr.sensors.includes(smp.sensor)), alignResample({ sensors: gr.sensors, sampleRate: gr.rate, rates: o.rates, origin, bufferSeconds: o.bufferSeconds, counters: o.counters }));
        return shared.pipe(
          grid,
          tap((f) => running.update(f.values)),
          // missing data is judged per input when the rates are joined
          windowStream({ stream: o.stream, sensors: gr.sensors, length: Math.round(o.window * gr.rate), hop: Math.max(1, Math.round(o.hop * gr.rate)), window: o.window, maxMissing: 1, now }),
          normalizeWindows(norm, S),
          tap((w) => join(gi, w))
        );
      };
      // The origin must lie on every input's grid: known in advance (replay), or the first sample's whole second.
      const feed = new Subject<Sample>();
      let inner: Subscription | undefined;
      const startBranches = (): void => {
        inner = feed.pipe(connect((shared) => merge(...groups.map((_, gi) => branch(shared, gi))))).subscribe({ error: (e) => subscriber.error(e), complete: () => subscriber.complete() });
      };
      if (origin !== undefined) startBranches();
      const sub = source.subscribe({
        next(s) {
          if (!inner) {
            origin = Math.floor(s.t);
            startBranches();
          }
          feed.next(s);
        },
        error: (e) => feed.error(e),
        complete: () => feed.complete(),
      });
      return () => {
        sub.unsubscribe();
        inner?.unsubscribe();
      };
    });
}
