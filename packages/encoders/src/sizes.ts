import type { EstimateInput, ShapeEstimate, SpecIssue } from '@fusion/core';
import type { ResolvedResNet1dConfig } from './resnet1d';
import type { ResolvedTcnConfig } from './tcn';
import type { ResolvedTcnCasaConfig } from './tcn-casa';

/** Upper bounds shared by the encoder schemas: past these a spec is a typo, not a model. */
export const ENCODER_BOUNDS = { channels: 4096, blocks: 64, kernelSize: 1024, dilation: 4096, stride: 1024, blocksPerStage: 32, reduction: 4096 } as const;

/** Issues of the options every temporal encoder has, against the window length (paths relative to the config). */
export function temporalIssues(c: { kernelSize: number; stride: number }, length: number, kernelLabel = 'kernelSize'): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (c.kernelSize > length) issues.push({ path: `/${kernelLabel}`, message: `${kernelLabel} ${c.kernelSize} is longer than the window (${length} samples). Use at most ${length}, or lengthen preprocessing.window.` });
  if (c.stride > length) issues.push({ path: '/stride', message: `stride ${c.stride} is longer than the window (${length} samples); at most ${length}.` });
  return issues;
}

/** Dilations: one per block, and no tap reaching back past the window's start. */
export function dilationIssues(c: { channels: number[]; dilations?: number[]; kernelSize: number }, length: number): SpecIssue[] {
  if (!c.dilations) return [];
  if (c.dilations.length !== c.channels.length) {
    return [{ path: '/dilations', message: `${c.dilations.length} dilations (${c.dilations.join(', ')}) for ${c.channels.length} blocks (channels ${c.channels.join(', ')}); give one per block, or omit "dilations" for 1, 2, 4, ...` }];
  }
  return c.dilations.flatMap((d, i) =>
    (c.kernelSize - 1) * d >= length && c.kernelSize > 1
      ? [{ path: `/dilations/${i}`, message: `dilation ${d} with kernelSize ${c.kernelSize} reaches back ${(c.kernelSize - 1) * d} samples, past the window of ${length}; use a dilation below ${Math.ceil(length / (c.kernelSize - 1))}.` }]
      : []
  );
}

/**
 * Sizes of a stack of temporal conv blocks run on every sensor (weights per sensor unless shared): two convolutions
 * per block (their im2col copies, outputs, ReLU and dropout counted), a 1x1 projection when the width changes.
 * `extra(cin, f)` adds a block's own parameters and activations per step and sensor (batch norm, attention).
 */
export function temporalEstimate(
  input: EstimateInput,
  widths: number[],
  kernelSize: number,
  shared: boolean,
  stride: number,
  extra: (f: number) => { parameters: number; activations: number; projection: number }
): ShapeEstimate {
  const g = shared ? 1 : input.sensors;
  const steps = input.length * input.sensors;
  let cin = input.features;
  let parameters = 0;
  let activations = 0;
  for (const f of widths) {
    const x = extra(f);
    parameters += g * (kernelSize * cin * f + kernelSize * f * f + 2 * f + x.parameters + (cin !== f ? cin * f + x.projection : 0));
    activations += steps * (kernelSize * cin + kernelSize * f + 7 * f + x.activations + (cin !== f ? f : 0));
    cin = f;
  }
  const length = Math.ceil(input.length / stride);
  if (stride > 1) activations += length * input.sensors * cin;
  return { length, features: cin, parameters, activations };
}

export function tcnEstimate(input: EstimateInput, c: ResolvedTcnConfig): ShapeEstimate {
  return temporalEstimate(input, c.channels, c.kernelSize, c.shared, c.stride, (f) => ({ parameters: 0, activations: 0, projection: f }));
}

export function tcnCasaEstimate(input: EstimateInput, c: ResolvedTcnCasaConfig): ShapeEstimate {
  return temporalEstimate(input, c.channels, c.kernelSize, c.shared, c.stride, (f) => {
    const hidden = Math.max(1, Math.floor(f / c.reduction));
    return { parameters: 2 * f * hidden + 2 * c.spatialKernel, activations: 4 * f + 2 * c.spatialKernel + 4, projection: f };
  });
}

export function resnet1dEstimate(input: EstimateInput, c: ResolvedResNet1dConfig): ShapeEstimate {
  const widths = c.channels.flatMap((f) => Array<number>(c.blocksPerStage).fill(f));
  // batch norm: gamma, beta, moving mean and variance per conv (and per projection); its normalised copy per conv
  return temporalEstimate(input, widths, c.kernelSize, c.shared, c.stride, (f) => ({ parameters: 8 * f - 2 * f, activations: 2 * f, projection: 4 * f }));
}
