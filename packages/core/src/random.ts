import seedrandom from 'seedrandom';

/** A seeded pseudo-random source: every stochastic choice in the framework draws from one of these. */
export class Rng {
  private readonly prng: seedrandom.prng;
  private spare: number | undefined;

  constructor(readonly seed: number | string) {
    this.prng = seedrandom(String(seed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = this.prng() * 2 - 1;
      v = this.prng() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** A fresh 31-bit seed, for handing to tfjs initialisers and child generators. */
  seed31(): number {
    return Math.floor(this.prng() * 0x7fffffff);
  }

  /** A derived generator, independent of later draws from this one. */
  child(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Fisher-Yates shuffle, in place, returning the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}
