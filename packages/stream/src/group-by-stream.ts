import { catchError, debounceTime, defer, EMPTY, filter, finalize, groupBy, mergeMap, NEVER, Observable, OperatorFunction } from 'rxjs';
import type { StreamCounters } from './counters';
import type { SampleChunk } from './types';

export interface GroupByStreamOptions {
  /** Most streams processed at once; chunks of further new streams are refused and counted. */
  maxStreams: number;
  /** A stream silent for this long (wall ms) is closed (flushed, its state freed); a later chunk starts it afresh. */
  idleMs?: number;
  counters?: Pick<StreamCounters, 'streams' | 'refusedStreams' | 'failedStreams'>;
  /** Told when one stream's processing fails; that stream ends (counted in `failedStreams`), the others go on. */
  onStreamError?: (stream: string, error: Error) => void;
}

/**
 * Splits chunks by `stream` id and runs `perStream(id)` on each stream's own chunks, so every device keeps its own
 * buffers, statistics and windows; outputs of all streams are merged. A device that disconnects and reconnects under
 * the same id continues its stream (unless it stayed away longer than `idleMs`). An error inside one stream's pipeline
 * ends that stream only (its later chunks are dropped): one client's data can never stop the others or the server.
 */
export function groupByStream<R>(perStream: (id: string) => OperatorFunction<SampleChunk, R>, options: GroupByStreamOptions): OperatorFunction<SampleChunk, R> {
  const { maxStreams, idleMs } = options;
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError(`groupByStream: maxStreams must be an integer >= 1, received ${maxStreams}`);
  if (idleMs !== undefined && !(idleMs > 0)) throw new RangeError(`groupByStream: idleMs must be > 0, received ${idleMs}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const active = new Set<string>();
      // a failed stream's later chunks are dropped: its state is gone and they would only fail again
      const failed = new Set<string>();
      const c = options.counters;
      const sub = source
        .pipe(
          filter((chunk) => {
            if (failed.has(chunk.stream)) return false;
            if (active.has(chunk.stream)) return true;
            if (active.size >= maxStreams) {
              if (c) c.refusedStreams++;
              return false;
            }
            active.add(chunk.stream);
            if (c) c.streams++;
            return true;
          }),
          groupBy((chunk) => chunk.stream, { duration: (g) => (idleMs === undefined ? NEVER : g.pipe(debounceTime(idleMs))) }),
          mergeMap((g) =>
            defer(() => g.pipe(perStream(g.key))).pipe(
              catchError((e: unknown) => {
                failed.add(g.key);
                if (c) c.failedStreams++;
                options.onStreamError?.(g.key, e instanceof Error ? e : new Error(String(e)));
                return EMPTY;
              }),
              finalize(() => active.delete(g.key))
            )
          )
        )
        .subscribe(subscriber);
      return () => sub.unsubscribe();
    });
}
