import type { LabelSpec } from '../spec';

/** Maps a raw label value to a class index, or undefined when the value is missing or out of range. */
export function mapLabel(value: number | undefined, spec: LabelSpec): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  if (spec.mapping === 'threshold') return value >= spec.threshold ? 1 : 0;
  const c = Math.round(value);
  return c === value && c >= 0 && c < spec.classes.length ? c : undefined;
}
