import { connect, filter, from, map, merge, Observable, OperatorFunction, pipe, tap } from 'rxjs';
import type { PreprocessingSpec } from '@fusion/core';
import { partsSize } from '@fusion/core/live';
import { alignResample } from './align-resample';
import type { Backpressure } from './backpressure';
import { boundedQueue } from './bounded-queue';
import { LatencyRecorder, StreamCounters } from './counters';
import { groupByStream } from './group-by-stream';
import { multiRateWindows, MultiRateWindowOptions } from './multirate-windows';
import { normalizeWindows, WindowNormalization } from './normalize-windows';
import { reorderDedupe } from './reorder-dedupe';
import { RunningStats } from './running-stats';
import { smooth } from './smooth';
import { outputEvents, Predictor, predictorWidth } from './predictor';
import type { PredictionEvent, SampleChunk, SensorStats, SkippedEvent, StreamEvent, Window } from './types';
import { windowStream } from './window-stream';

export interface PipelineOptions {
  model: Predictor;
  /** The run's preprocessing (sampleRate, window, hop, normalize, maxMissing). */
  preprocessing: PreprocessingSpec;
  /** Hop in seconds (default the spec's). */
  hop?: number;
  /** `running` (default) or `recording` (fixed statistics per stream from `fixed`). Ignored when the run used `none`. */
  norm?: 'running' | 'recording';
  /** Seconds of grid seen before running statistics are trusted (default 60). */
  warmupSeconds?: number;
  /** Per-stream settings known in advance (replay): grid origin and, for `recording`, the statistics. */
  known?: (stream: string) => { origin?: number; stats?: SensorStats[] } | undefined;
  /** Nominal sensor rates (Hz) for samples without a declared `fs`. */
  rates: Readonly<Record<string, number>>;
  /** Reorder tolerance in seconds (default 2). */
  reorderSeconds?: number;
  /** Raw samples kept per sensor, seconds (default 60). */
  bufferSeconds?: number;
  /** Pending windows at most (default 256) and windows per inference call (default 64). */
  queue?: number;
  batch?: number;
  /** Moving average of probabilities over this many windows (default 1: none). */
  smooth?: number;
  maxStreams?: number;
  idleMs?: number;
  /** Told when one stream fails (it ends; the others go on). */
  onStreamError?: (stream: string, error: Error) => void;
  backpressure?: Backpressure;
  counters: StreamCounters;
  latency: LatencyRecorder;
  now?: () => number;
}

/**
 * Sample chunks of any number of streams in, one event per window out: per stream reorder/de-duplicate, align and
 * resample onto the model's grid, window, normalise; then all streams share a bounded queue in front of the model,
 * optional smoothing, and events with their latency (window cut -> event, wall ms).
 */
export function streamPipeline(o: PipelineOptions): OperatorFunction<SampleChunk, StreamEvent> {
  const p = o.preprocessing;
  const sensors = o.model.sensors;
  const S = sensors.length;
  const length = Math.round(p.window * p.sampleRate);
  const parts = o.model.parts;
  if (!parts && length !== o.model.length) throw new RangeError(`streamPipeline: the spec's window is ${length} points but the model takes ${o.model.length}`);
  const hopS = o.hop ?? p.hop;
  if (!(hopS > 0)) throw new RangeError(`streamPipeline: hop must be > 0 seconds, received ${hopS}`);
  const hop = Math.max(1, Math.round(hopS * p.sampleRate));
  const warmupFrames = Math.round((o.warmupSeconds ?? 60) * p.sampleRate);
  const now = o.now ?? Date.now;
  const c = o.counters;
  const classes = o.model.classes;
  const width = predictorWidth(o.model);
  const wanted = new Set(sensors);

  const perStream = (id: string): OperatorFunction<SampleChunk, Window> => {
    const known = o.known?.(id);
    if (parts) return multiRateStream(id, parts, known);
    let norm: WindowNormalization;
    const running = new RunningStats(S);
    if (p.normalize === 'none' || o.model.normalizesInput) norm = { kind: 'none' };
    else if (o.norm === 'recording') {
      if (!known?.stats) throw new RangeError(`--norm recording needs the whole recording of stream "${id}" in advance (replay only).`);
      norm = { kind: 'fixed', stats: known.stats };
    } else norm = { kind: 'running', stats: running, warmupFrames };
    return pipe(
      reorderDedupe({ tolerance: o.reorderSeconds ?? 2, counters: c }),
      alignResample({ sensors, sampleRate: p.sampleRate, rates: o.rates, origin: known?.origin, bufferSeconds: o.bufferSeconds, counters: c }),
      tap((f) => running.update(f.values)),
      windowStream({ stream: id, sensors, length, hop, window: p.window, maxMissing: p.maxMissing, now }),
      normalizeWindows(norm, S),
      tap((w) => {
        c.windows++;
        if (w.skipped) c.skipped[w.skipped]++;
      })
    );
  };

  // Inputs at their own rates: each window is one row of the inputs' parts (multirate-windows.ts).
  const multiRateStream = (id: string, q: NonNullable<typeof parts>, known: ReturnType<NonNullable<PipelineOptions['known']>>): OperatorFunction<SampleChunk, Window> => {
    let norm: MultiRateWindowOptions['norm'];
    if (p.normalize === 'none' || o.model.normalizesInput) norm = { kind: 'none' };
    else if (o.norm === 'recording') {
      if (!known?.stats) throw new RangeError(`--norm recording needs the whole recording of stream "${id}" in advance (replay only).`);
      norm = { kind: 'fixed', stats: known.stats };
    } else norm = { kind: 'running', warmupSeconds: o.warmupSeconds ?? 60 };
    return pipe(
      reorderDedupe({ tolerance: o.reorderSeconds ?? 2, counters: c }),
      multiRateWindows({ stream: id, parts: q, window: p.window, hop: hopS, norm, origin: known?.origin, rates: o.rates, bufferSeconds: o.bufferSeconds, counters: c, now }),
      tap((w) => {
        c.windows++;
        if (w.skipped) c.skipped[w.skipped]++;
      })
    );
  };

  const predictBatch = (batch: Window[]): Observable<{ window: Window; stream: string; probs: Float32Array }[]> => {
    const per = parts ? partsSize(parts) : length * S;
    const x = new Float32Array(batch.length * per);
    batch.forEach((w, i) => x.set(w.x, i * per));
    return from(o.model.predict(x, batch.length)).pipe(
      map((probs) => batch.map((w, i) => ({ window: w, stream: w.stream, probs: probs.slice(i * width, (i + 1) * width) })))
    );
  };

  return pipe(
    filter((chunk: SampleChunk) => {
      if (!wanted.has(chunk.sensor)) {
        c.ignored += chunk.times.length;
        return false;
      }
      c.samples += chunk.times.length;
      return true;
    }),
    groupByStream(perStream, { maxStreams: o.maxStreams ?? 1000, idleMs: o.idleMs, counters: c, onStreamError: o.onStreamError }),
    connect((windows) =>
      merge(
        windows.pipe(
          filter((w) => w.skipped !== undefined),
          map((w): SkippedEvent => ({ stream: w.stream, windowEnd: w.windowEnd, skipped: w.skipped as SkippedEvent['skipped'], missing: w.missing }))
        ),
        windows.pipe(
          filter((w) => w.skipped === undefined),
          boundedQueue<Window, { window: Window; stream: string; probs: Float32Array }>(
            {
              capacity: o.queue ?? 256,
              batchSize: o.batch ?? 64,
              onDrop: () => c.dropped++,
              onSize: (n) => o.backpressure?.setSize(n),
            },
            predictBatch
          ),
          smooth(o.smooth ?? 1),
          map(({ window: w, probs }): PredictionEvent => {
            let best = 0;
            const pr: Record<string, number> = {};
            classes.forEach((name, k) => {
              pr[name] = probs[k];
              if (probs[k] > probs[best]) best = k;
            });
            const latencyMs = now() - w.cutAt;
            o.latency.record(latencyMs);
            c.predicted++;
            const outputs = o.model.outputs ? { outputs: outputEvents(o.model.outputs, probs) } : {};
            return { stream: w.stream, windowEnd: w.windowEnd, probs: pr, label: classes[best], latencyMs, missing: w.missing, ...outputs };
          })
        )
      )
    )
  );
}

