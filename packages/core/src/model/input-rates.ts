import type { SpecIssue } from '../errors';
import type { DatasetAdapter } from '../plugins';
import type { GraphSpec } from '../spec';
import { DEFAULT_MAX_GAP, MAX_EVENT_RATE } from '../preprocess/events';

/**
 * Event inputs, before any data is read: an input naming one of the adapter's `events` (e.g. `ibi`) gets
 * `missing: { maxGap }` (default `DEFAULT_MAX_GAP`), which marks it as an event input from then on (windowing,
 * streaming); `missing` on a regular signal is refused. Fills the default into `s`.
 */
export function eventInputIssues(s: GraphSpec, adapter: DatasetAdapter | undefined): SpecIssue[] {
  if (!s.inputs || !adapter) return [];
  const issues: SpecIssue[] = [];
  const events = adapter.events ?? [];
  for (const [name, i] of Object.entries(s.inputs)) {
    if (events.includes(i.sensor)) i.missing = { maxGap: i.missing?.maxGap ?? DEFAULT_MAX_GAP };
    else if (i.missing !== undefined)
      issues.push({
        path: `/inputs/${name}/missing`,
        message: `"missing" (maxGap) is for event inputs (${events.length ? `dataset "${adapter.type}" has ${events.join(', ')}` : `dataset "${adapter.type}" has none`}); "${i.sensor}" is a regular signal. Remove "missing" (use "maxMissing" for the fraction of samples a window may miss).`,
      });
  }
  return issues;
}

/**
 * Checks of the graph inputs' own rates, before any data is read. The rule: an input's `rate` must be the sensor's
 * native rate (as its dataset adapter declares it in `rates`) or an integer divisor of it, so every sample is the
 * box average of the same whole number of native samples; inputs are never upsampled (interpolation would invent
 * detail the sensor never measured). An adapter that declares no rates is checked when its data is read. Each
 * input's samples per window (`rate x window`) and per hop (`rate x hop`) must be whole, so the k-th window of
 * every input ends at the same time. An event input (`missing` set by `eventInputIssues`) has no native rate: its
 * rate (default `preprocessing.sampleRate`) is at most `MAX_EVENT_RATE`.
 */
export function inputRateIssues(s: GraphSpec, adapter: DatasetAdapter | undefined): SpecIssue[] {
  if (!s.inputs) return [];
  const issues: SpecIssue[] = [];
  const p = s.preprocessing;
  const whole = (v: number): boolean => Math.abs(v - Math.round(v)) < 1e-6;
  for (const [name, i] of Object.entries(s.inputs)) {
    if (i.missing !== undefined && (i.rate ?? p.sampleRate) > MAX_EVENT_RATE) {
      const given = i.rate !== undefined ? `rate ${i.rate} Hz` : `no "rate", so preprocessing.sampleRate ${p.sampleRate} Hz`;
      issues.push({ path: i.rate !== undefined ? `/inputs/${name}/rate` : `/inputs/${name}`, message: `event input "${name}" (${i.sensor}, irregular times) has ${given}; expected at most ${MAX_EVENT_RATE} Hz (beats come at most ~3 per second, a finer grid only repeats values). Set "rate" to 4, for example.` });
      continue;
    }
    if (i.rate === undefined) continue;
    const path = `/inputs/${name}/rate`;
    const native = adapter?.rates?.[i.sensor];
    if (native !== undefined) {
      if (i.rate > native + 1e-9) {
        issues.push({ path, message: `rate ${i.rate} Hz is above the native ${native} Hz of "${i.sensor}" in dataset "${adapter!.type}" (inputs are never upsampled). Use ${divisors(native).join(', ')} Hz.` });
        continue;
      }
      if (!whole(native / i.rate)) {
        issues.push({ path, message: `rate ${i.rate} Hz does not divide the native ${native} Hz of "${i.sensor}" in dataset "${adapter!.type}" into whole samples. Use one of ${divisors(native).join(', ')} Hz.` });
        continue;
      }
    }
    if (!whole(i.rate * p.window) || Math.round(i.rate * p.window) < 1)
      issues.push({ path, message: `rate ${i.rate} Hz x window ${p.window} s = ${i.rate * p.window} samples; each input needs a whole number of samples per window. Change the rate or preprocessing.window.` });
    else if (!whole(i.rate * p.hop))
      issues.push({ path, message: `rate ${i.rate} Hz x hop ${p.hop} s = ${i.rate * p.hop} samples; each input needs a whole number of samples per hop so its windows end with the others'. Change the rate or preprocessing.hop.` });
  }
  return issues;
}

/** Rates an input may take from a sensor at `native` Hz (divisors of integer rates; the native rate otherwise). */
function divisors(native: number): number[] {
  if (!Number.isInteger(native)) return [native];
  const out: number[] = [];
  for (let d = native; d >= 1; d--) if (native % d === 0) out.push(native / d);
  return out.filter((v, k, a) => a.indexOf(v) === k).sort((a, b) => b - a);
}
