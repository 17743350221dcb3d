/** The counts a stream keeps and reports under the same names. */
export interface StreamCounts {
  streams: number;
  samples: number;
  windows: number;
  predicted: number;
  /** Windows dropped by the bounded queue (inference could not keep up). */
  dropped: number;
  malformed: number;
  duplicates: number;
  /** Samples older than the reorder tolerance allows (arrived after their place was released). */
  late: number;
  /** Samples of sensors the model does not use. */
  ignored: number;
  /** Samples evicted from a full reorder buffer or a full sensor buffer before they could be used. */
  overflow: number;
  /** Streams refused because `maxStreams` were active. */
  refusedStreams: number;
  /** Streams ended by an error in their own processing (the others went on). */
  failedStreams: number;
}

/** Counts kept while streaming; every stage increments its own fields. Reported as the final summary. */
export interface StreamCounters extends StreamCounts {
  skipped: { missing: number; warmup: number };
}

export function createCounters(): StreamCounters {
  return {
    streams: 0,
    samples: 0,
    windows: 0,
    predicted: 0,
    skipped: { missing: 0, warmup: 0 },
    dropped: 0,
    malformed: 0,
    duplicates: 0,
    late: 0,
    ignored: 0,
    overflow: 0,
    refusedStreams: 0,
    failedStreams: 0,
  };
}

/**
 * Latencies in a fixed-size ring (the most recent `capacity`), so a long soak keeps bounded memory; percentiles are
 * over that ring.
 */
export class LatencyRecorder {
  private readonly ring: Float64Array;
  private count = 0;

  constructor(readonly capacity = 10000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LatencyRecorder: capacity must be an integer >= 1, received ${capacity}`);
    this.ring = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.ring[this.count % this.capacity] = ms;
    this.count++;
  }

  /** The q-quantile (0..1) by nearest rank, undefined when nothing was recorded. */
  quantile(q: number): number | undefined {
    const n = Math.min(this.count, this.capacity);
    if (n === 0) return undefined;
    const sorted = Float64Array.from(this.ring.subarray(0, n)).sort();
    return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  }
}

export interface StreamSummary extends StreamCounts {
  skipped: number;
  skippedBy: { missing: number; warmup: number };
  latencyMs: { p50: number | undefined; p95: number | undefined };
}

export function summarize(c: StreamCounters, lat: LatencyRecorder): StreamSummary {
  const r = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v * 100) / 100);
  return {
    streams: c.streams,
    samples: c.samples,
    windows: c.windows,
    predicted: c.predicted,
    skipped: c.skipped.missing + c.skipped.warmup,
    skippedBy: { ...c.skipped },
    dropped: c.dropped,
    malformed: c.malformed,
    duplicates: c.duplicates,
    late: c.late,
    ignored: c.ignored,
    overflow: c.overflow,
    refusedStreams: c.refusedStreams,
    failedStreams: c.failedStreams,
    latencyMs: { p50: r(lat.quantile(0.5)), p95: r(lat.quantile(0.95)) },
  };
}
