/**
 * Derives a 31-bit seed from a base seed and labels (weight index, call counter, ...). A 32-bit integer mix
 * (murmur3 finaliser) so that neighbouring labels give unrelated streams, and the same inputs always give the
 * same seed on every machine.
 */
export function mixSeed(seed: number, ...labels: number[]): number {
  let h = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  for (const l of labels) {
    h = Math.imul(h ^ (Math.floor(l) >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return h & 0x7fffffff;
}
