import * as crypto from 'crypto';
import type { Recording } from '@fusion/core';

/** A digest of a recording's samples: every signal's start, rate, channels and values, by sensor name. */
export function recordingDigest(rec: Recording): string {
  const h = crypto.createHash('sha256');
  for (const name of Object.keys(rec.signals).sort()) {
    const s = rec.signals[name];
    h.update(`${name}:${s.t0}:${s.fs}:${s.channels}:${s.data.length};`);
    h.update(Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength));
  }
  return h.digest('hex');
}

/**
 * A warning naming every group of recordings with identical samples under different subject names (a copied folder
 * would put the same person on both sides of a subject-independent fold and inflate every metric), or undefined.
 */
export function duplicateRecordings(recordings: readonly Recording[]): string | undefined {
  const byDigest = new Map<string, Recording[]>();
  for (const r of recordings) {
    if (!Object.keys(r.signals).length) continue;
    const d = recordingDigest(r);
    byDigest.set(d, [...(byDigest.get(d) ?? []), r]);
  }
  const groups = [...byDigest.values()].filter((g) => g.length > 1);
  if (!groups.length) return undefined;
  const named = groups.map((g) => g.map((r) => `${r.subject} (${r.source ?? '?'})`).join(' = ')).join('; ');
  return (
    `the same recording appears under more than one subject: ${named}. Every sample of every sensor is identical, so it is ` +
    `one person copied and will sit on both sides of a fold, inflating the metrics. Remove the copies (or select one with "subjects"/"participants").`
  );
}
