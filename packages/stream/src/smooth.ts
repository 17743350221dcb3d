import { Observable, OperatorFunction } from 'rxjs';

export interface Scored {
  stream: string;
  probs: Float32Array;
}

/**
 * Replaces each item's class probabilities by their moving average over the stream's last `n` items (itself
 * included); n = 1 passes items through. State is kept for at most `maxStreams` streams (least recently seen evicted).
 */
export function smooth<T extends Scored>(n: number, maxStreams = 10000): OperatorFunction<T, T> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`smooth: n must be an integer >= 1, received ${n}`);
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError(`smooth: maxStreams must be an integer >= 1, received ${maxStreams}`);
  return (source) =>
    new Observable<T>((subscriber) => {
      const history = new Map<string, Float32Array[]>();
      const sub = source.subscribe({
        next(item) {
          if (n === 1) {
            subscriber.next(item);
            return;
          }
          let h = history.get(item.stream);
          if (h) history.delete(item.stream);
          else h = [];
          history.set(item.stream, h);
          if (history.size > maxStreams) history.delete(history.keys().next().value as string);
          h.push(item.probs);
          if (h.length > n) h.shift();
          const avg = new Float32Array(item.probs.length);
          for (const p of h) for (let c = 0; c < avg.length; c++) avg[c] += p[c] / h.length;
          subscriber.next({ ...item, probs: avg });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        history.clear();
      };
    });
}
