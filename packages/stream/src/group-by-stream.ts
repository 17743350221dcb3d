import { debounceTime, filter, finalize, groupBy, mergeMap, NEVER, Observable, OperatorFunction, pipe } from 'rxjs';
import type { StreamCounters } from './counters';
import type { SampleChunk } from './types';

export interface GroupByStreamOptions {
  /** Most streams processed at once; chunks of further new streams are refused and counted. */
  maxStreams: number;
  /** A stream silent for this long (wall ms) is closed (flushed, its state freed); a later chunk starts it afresh. */
  idleMs?: number;
  counters?: Pick<StreamCounters, 'streams' | 'refusedStreams'>;
}

/**
 * Splits chunks by `stream` id and runs `perStream(id)` on each stream's own chunks, so every device keeps its own
 * buffers, statistics and windows; outputs of all streams are merged. A device that disconnects and reconnects under
 * the same id continues its stream (unless it stayed away longer than `idleMs`).
 */
export function groupByStream<R>(perStream: (id: string) => OperatorFunction<SampleChunk, R>, options: GroupByStreamOptions): OperatorFunction<SampleChunk, R> {
  const { maxStreams, idleMs } = options;
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError(`groupByStream: maxStreams must be an integer >= 1, received ${maxStreams}`);
  if (idleMs !== undefined && !(idleMs > 0)) throw new RangeError(`groupByStream: idleMs must be > 0, received ${idleMs}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const active = new Set<string>();
      const c = options.counters;
      const sub = source
        .pipe(
          filter((chunk) => {
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
          mergeMap((g) => g.pipe(pipe(perStream(g.key)), finalize(() => active.delete(g.key))))
        )
        .subscribe(subscriber);
      return () => sub.unsubscribe();
    });
}
