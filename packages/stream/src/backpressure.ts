/**
 * Lets a producer that can pause (a replay at full speed) wait while the queue of pending windows is above a
 * high-water mark, instead of overrunning it. Producers that cannot pause (network devices) are not slowed down:
 * the bounded queue drops for them.
 */
export class Backpressure {
  private waiting = 0;
  private resolvers: (() => void)[] = [];

  constructor(readonly highWater: number) {
    if (!Number.isInteger(highWater) || highWater < 1) throw new RangeError(`Backpressure: highWater must be an integer >= 1, received ${highWater}`);
  }

  /** Reports the current queue length (from `boundedQueue`'s onSize). */
  setSize(n: number): void {
    this.waiting = n;
    if (n < this.highWater && this.resolvers.length) {
      const r = this.resolvers;
      this.resolvers = [];
      r.forEach((f) => f());
    }
  }

  /** Resolves at once when there is room, else when the queue falls below the high-water mark. */
  room(): Promise<void> {
    if (this.waiting < this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.resolvers.push(resolve));
  }
}
