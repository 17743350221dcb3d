import type { SpecIssue } from '../errors';
import type { DatasetAdapter } from '../plugins';
import type { GraphSpec } from '../spec';

/**
 * Checks of the graph inputs' own rates, before any data is read. The rule: an input's `rate` must be the sensor's
 * native rate (as its dataset adapter declares it in `rates`) or an integer divisor of it, so every sample is the
 * box average of the same whole number of native samples; inputs are never upsampled (interpolation would invent
 * detail the sensor never measured). An adapter that declares no rates is checked when its data is read. Each
 * input's samples per window (`rate x window`) and per hop (`rate x hop`) must be whole, so the k-th window of
 * every input ends at the same time.
 */
export function inputRateIssues(s: GraphSpec, adapter: DatasetAdapter | undefined): SpecIssue[] {
  if (!s.inputs) return [];
  const issues: SpecIssue[] = [];
  const p = s.preprocessing;
  const whole = (v: number): boolean => Math.abs(v - Math.round(v)) < 1e-6;
  for (const [name, i] of Object.entries(s.inputs)) {
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
