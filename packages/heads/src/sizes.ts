import type { EstimateInput, ShapeEstimate, SpecIssue } from '@fusion/core';

/** Upper bounds shared by the head schemas: past these a spec is a typo, not a model. */
export const HEAD_BOUNDS = { units: 4096, heads: 64, ff: 16384 } as const;

/** `heads` must divide the width (each head gets width / heads features); paths relative to the config. */
export function headsDivide(width: number, heads: number, widthName: string): SpecIssue[] {
  if (width % heads === 0) return [];
  const divisors = [1, 2, 4, 8, 16].filter((d) => width % d === 0 && d <= width).join(', ');
  return [{ path: '/heads', message: `heads ${heads} does not divide ${widthName} ${width} (each head gets ${widthName} / heads features). Use heads among ${divisors}, or a ${widthName} divisible by ${heads}.` }];
}

/** Input projection to `d` and the positional code (a learned table is one row per step). */
function embedding(input: EstimateInput, d: number, positional: string | undefined): { parameters: number; activations: number } {
  return { parameters: input.features * d + d + (positional === 'learned' ? input.length * d : 0), activations: 3 * input.length * d };
}

/** One self-attention sublayer: q/k/v and output projections, score and softmax maps per head, dropout and residual. */
function attention(length: number, d: number, heads: number): { parameters: number; activations: number } {
  return { parameters: 3 * d * d + 3 * d + d * d + d, activations: length * (3 * d + 3 * heads * length + 3 * d) };
}

const layerNorm = (length: number, d: number): { parameters: number; activations: number } => ({ parameters: 2 * d, activations: 2 * length * d });

function sum(parts: { parameters: number; activations: number }[], features: number): ShapeEstimate {
  return { length: 1, features, parameters: parts.reduce((a, p) => a + p.parameters, 0), activations: parts.reduce((a, p) => a + p.activations, 0) };
}

export function transformerEstimate(input: EstimateInput, c: { dModel?: number; heads?: number; layers?: number; ff?: number; positional?: string; norm?: string }): ShapeEstimate {
  const d = c.dModel ?? 64;
  const L = input.length;
  const ff = c.ff ?? 128;
  const parts = [embedding(input, d, c.positional ?? 'sinusoidal')];
  for (let i = 0; i < (c.layers ?? 2); i++) {
    parts.push(attention(L, d, c.heads ?? 4), layerNorm(L, d), layerNorm(L, d));
    parts.push({ parameters: 2 * d * ff + ff + d, activations: L * (3 * ff + 2 * d) });
  }
  if ((c.norm ?? 'pre') === 'pre') parts.push(layerNorm(L, d));
  return sum(parts, d);
}

export function mhaEstimate(input: EstimateInput, c: { dModel?: number; heads?: number; positional?: string }): ShapeEstimate {
  const d = c.dModel ?? 64;
  return sum([embedding(input, d, c.positional ?? 'sinusoidal'), attention(input.length, d, c.heads ?? 4), layerNorm(input.length, d)], d);
}

/** GRU gates per direction: input kernel [d, 3h], recurrent [h, 3h], two biases; per step the gates and states. */
export function bigruEstimate(input: EstimateInput, c: { units?: number; layers?: number }): ShapeEstimate {
  const h = c.units ?? 64;
  const parts = [];
  let d = input.features;
  for (let i = 0; i < (c.layers ?? 1); i++) {
    parts.push({ parameters: 2 * (3 * h * d + 3 * h * h + 6 * h), activations: input.length * (d + 2 * 10 * h) });
    d = 2 * h;
  }
  return sum(parts, 2 * h);
}

/** Each stack: input projection, per block a layer norm, the cell (the mLSTM's dh x dh memory per head and step), a projection and the residual. */
export function xlstmEstimate(input: EstimateInput, c: { units?: number; heads?: number; blocks?: string[]; bidirectional?: boolean }): ShapeEstimate {
  const u = c.units ?? 64;
  const nh = c.heads ?? 4;
  const dh = u / nh;
  const L = input.length;
  const parts = [{ parameters: input.features * u + u, activations: L * u }];
  for (const kind of c.blocks ?? ['m', 's']) {
    parts.push(layerNorm(L, u), { parameters: u * u + u, activations: 2 * L * u });
    if (kind === 'm') parts.push({ parameters: u * (4 * u + 2 * nh) + 4 * u + 2 * nh + u, activations: L * (4 * u + 2 * nh + nh * dh * dh + 3 * u) });
    else parts.push({ parameters: u * 4 * u + 4 * u + nh * dh * 4 * dh + u, activations: L * 12 * u });
  }
  parts.push(layerNorm(L, u));
  const one = sum(parts, u);
  if (!c.bidirectional) return one;
  return { length: 1, features: 2 * u, parameters: 2 * one.parameters, activations: 2 * one.activations + L * input.features };
}
