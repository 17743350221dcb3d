import { Observable, OperatorFunction } from 'rxjs';

/**
 * Groups a stream of frames (one value per sensor) into sliding windows of `length` frames every `hop` frames,
 * emitting each window as a [length * sensors] row-major Float32Array: the same layout `makeWindows` produces, so
 * live inference and batch evaluation feed the model identically.
 */
export function slidingWindow(length: number, hop: number, sensors: number): OperatorFunction<Float32Array, Float32Array> {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`slidingWindow: length must be an integer >= 1, received ${length}`);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`slidingWindow: hop must be an integer >= 1, received ${hop}`);
  return (source) =>
    new Observable<Float32Array>((subscriber) => {
      const ring: Float32Array[] = [];
      let sinceLast = hop - length; // the first window is due once `length` frames have arrived
      const sub = source.subscribe({
        next(frame) {
          if (frame.length !== sensors) {
            subscriber.error(new RangeError(`slidingWindow: frame has ${frame.length} values, expected ${sensors}`));
            return;
          }
          ring.push(frame);
          if (ring.length > length) ring.shift();
          sinceLast++;
          if (ring.length === length && sinceLast >= hop) {
            sinceLast = 0;
            const w = new Float32Array(length * sensors);
            ring.forEach((f, t) => w.set(f, t * sensors));
            subscriber.next(w);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
}
