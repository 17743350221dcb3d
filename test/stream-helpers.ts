/** Shared by the end-to-end stream tests: NDJSON sample lines and polling. */

export const T0 = 1700000000;

/** NDJSON batch lines of one stream for stream seconds [from, to): hr 1 Hz, eda 4 Hz, bvp 64 Hz, one line per sensor-second. */
export function lines(stream: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let s = from; s < to; s++) {
    const t0 = T0 + s;
    out.push(JSON.stringify({ stream, sensor: 'hr', t0, fs: 1, values: [70 + Math.sin(s / 3)] }));
    out.push(JSON.stringify({ stream, sensor: 'eda', t0, fs: 4, values: Array.from({ length: 4 }, (_, i) => 1 + 0.1 * Math.sin(s + i / 4)) }));
    out.push(JSON.stringify({ stream, sensor: 'bvp', t0, fs: 64, values: Array.from({ length: 64 }, (_, i) => [Math.sin(2 * Math.PI * (s + i / 64))]) }));
  }
  return out;
}

export function waitFor(check: () => boolean, what: string, ms = 30000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

