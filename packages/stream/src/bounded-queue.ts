import { from, Observable, ObservableInput, OperatorFunction, Subscription } from 'rxjs';

export interface BoundedQueueOptions<T> {
  /** Most items waiting at once; when a new one arrives at a full queue the oldest is dropped. */
  capacity: number;
  /** Most items handed to the worker in one call. */
  batchSize: number;
  /** Called for every dropped item (count them). */
  onDrop?: (item: T) => void;
  /** Called whenever the number of waiting items changes (for producers that can pause). */
  onSize?: (waiting: number) => void;
}

/**
 * Runs `worker` on batches of items, one batch at a time; items that arrive while it is busy wait in a queue of at most
 * `capacity` items. A full queue drops its oldest item (live data: the newest windows matter most), so memory stays
 * bounded however slow the worker is. On completion of the source the queue is drained before completing.
 */
export function boundedQueue<T, R>(options: BoundedQueueOptions<T>, worker: (batch: T[]) => ObservableInput<R[]>): OperatorFunction<T, R> {
  const { capacity, batchSize } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`boundedQueue: capacity must be an integer >= 1, received ${capacity}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`boundedQueue: batchSize must be an integer >= 1, received ${batchSize}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      let queue: T[] = [];
      let busy = false;
      let done = false;
      let pumping = false;
      let inner: Subscription | undefined;
      const size = (): void => options.onSize?.(queue.length);
      const pump = (): void => {
        if (pumping) return;
        pumping = true;
        // a loop, not recursion: a synchronous worker would otherwise nest one call per batch
        while (!busy && queue.length && !subscriber.closed) {
          const batch = queue.splice(0, batchSize);
          size();
          busy = true;
          let finished = false;
          inner = from(worker(batch)).subscribe({
            next: (results) => results.forEach((r) => subscriber.next(r)),
            error: (e) => subscriber.error(e),
            complete: () => {
              finished = true;
              busy = false;
              if (!pumping) pump();
            },
          });
          if (!finished) break;
        }
        pumping = false;
        if (!busy && done && !queue.length) subscriber.complete();
      };
      const sub = source.subscribe({
        next(item) {
          queue.push(item);
          if (queue.length > capacity) options.onDrop?.(queue.shift() as T);
          size();
          if (!busy) pump();
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          done = true;
          if (!busy) pump();
        },
      });
      return () => {
        sub.unsubscribe();
        inner?.unsubscribe();
        queue = [];
      };
    });
}
