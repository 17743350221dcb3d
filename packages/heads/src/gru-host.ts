import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@fusion/core/layers';
import type { BiGruOutput, BiGruWeights } from './bigru-layer';
import { gruMatVec } from './gru-matvec';

/**
 * Backends whose tensors live in host memory, where reading a tensor (`dataSync`) is a copy, not a device stall.
 * 'tensorflow' is tfjs-node (CPU build; the GPU build registers the same name, and a copy from it is one transfer).
 */
const HOST_BACKENDS = new Set(['wasm', 'cpu', 'tensorflow']);

/**
 * Largest batch for which the host recurrence is not slower than the kernel-per-op one. One recurrent step of a
 * batch-1 GRU is a dozen kernels of a few hundred elements, each costing tens of microseconds on wasm whatever its
 * size; the same step in JavaScript is 2 x H x 3H multiply-adds (24,576 for H = 64) with no launch cost, but that
 * cost grows with the batch while the kernels' barely does. Measured on wasm (H = 64, D = 125, median ms, host vs
 * fused): T = 20: B 1 0.62 vs 2.56, B 2 1.70 vs 3.25, B 4 3.22 vs 3.41, B 8 6.83 vs 4.90; T = 160: B 1 6.4 vs 15.6,
 * B 4 24.9 vs 23.0, B 8 60.9 vs 36.9. Break-even at about 4.
 */
export const HOST_RECURRENCE_MAX_BATCH = 4;

/**
 * Units from which the host recurrence's product runs in WebAssembly SIMD (`gru-matvec.ts`, same bits): below, the
 * call costs more than the loop saves (measured on wasm, batch 3: H = 64, T = 160 2.3x faster; H = 8-12 slower).
 */
export const SIMD_MIN_UNITS = 32;

/**
 * Whether `FusionBiGru` answers a batch of this size with `biGruHost` (inference only): small batch, host-memory
 * backend, and no gradient being recorded (a caller may differentiate an inference pass, e.g. for saliency; the
 * host path has no gradient, so under a tape the fused path answers).
 */
export function useHostRecurrence(batch: number): boolean {
  return batch <= HOST_RECURRENCE_MAX_BATCH && HOST_BACKENDS.has(tf.getBackend()) && !tf.engine().isTapeOn();
}

/**
 * The bidirectional GRU of `biGruForward` for inference: the input projections of all steps in one matMul on
 * the backend, then the recurrence of both directions in plain JavaScript on one host copy (float64
 * accumulation, float32 in and out), then one tensor back. Same convention, weights and outputs as
 * `biGruForward` / `biGruFused` to float32 rounding (tests compare them). `simd` false keeps the product g = h U + c
 * in JavaScript even where `GruMatVec` could take it (the same bits; for tests). Not differentiable: the layer uses it
 * only with `training: false`, on host-memory backends, for small batches (`useHostRecurrence`).
 *
 * x: [B, T, D] -> [B, 2H] ('last', 'mean') or [B, T, 2H] ('sequence').
 */
export function biGruHost(x: tf.Tensor3D, w: BiGruWeights, output: BiGruOutput, simd = true): tf.Tensor {
  const [b, t, d] = x.shape;
  const h3 = w.recurrentKernel.shape[2];
  const units = h3 / 3;
  if (w.kernel.shape[0] !== d || w.kernel.shape[1] !== 2 * h3) {
    throw new ShapeMismatchError('biGruHost kernel', w.kernel.shape, `[${d}, ${2 * h3}]`);
  }
  if (t < 1) throw new ShapeMismatchError('biGruHost input', x.shape, '[batch, time >= 1, features]');
  // [B*T, 6H], row (b, t), columns [dir][r | z | n][H]
  const projT = tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [b * t, d]), w.kernel), w.bias));
  const proj = projT.dataSync() as Float32Array;
  projT.dispose();
  // The product g = h U + c in WebAssembly SIMD (same bits, see gru-matvec.ts) when available, else in the loop below.
  const mv = simd && units % 4 === 0 && units >= SIMD_MIN_UNITS ? gruMatVec() : undefined;
  mv?.prepare(units);
  // [2, H, 3H], widened once: the inner loop reads it H times per step, float64 reads skip a conversion each
  const u = mv ? mv.u : new Float64Array(2 * units * h3);
  u.set(w.recurrentKernel.dataSync() as Float32Array);
  const c = w.recurrentBias.dataSync() as Float32Array; // [2, 3H]
  mv?.c.set(c);

  const h2 = 2 * units;
  const out = new Float32Array(output === 'sequence' ? b * t * h2 : b * h2);
  const h = mv ? mv.h : new Float64Array(units);
  const g = mv ? mv.g : new Float64Array(h3);
  const acc = new Float64Array(units);
  for (let row = 0; row < b; row++) {
    for (let dir = 0; dir < 2; dir++) {
      h.fill(0);
      acc.fill(0);
      const uo = dir * units * h3;
      const co = dir * h3;
      for (let s = 0; s < t; s++) {
        const time = dir === 0 ? s : t - 1 - s;
        const po = (row * t + time) * 2 * h3 + dir * h3;
        // g = h U + c
        if (mv) mv.run(dir);
        else matVec(h, u, c, g, units, uo, co);
        for (let j = 0; j < units; j++) {
          const r = 1 / (1 + Math.exp(-(proj[po + j] + g[j])));
          const z = 1 / (1 + Math.exp(-(proj[po + units + j] + g[units + j])));
          const n = Math.tanh(proj[po + 2 * units + j] + r * g[2 * units + j]);
          // float32 state, as the tensor paths keep it
          h[j] = Math.fround(n + z * (h[j] - n));
        }
        if (output === 'sequence') {
          const oo = (row * t + time) * h2 + dir * units;
          for (let j = 0; j < units; j++) out[oo + j] = h[j];
        } else if (output === 'mean') {
          for (let j = 0; j < units; j++) acc[j] += h[j];
        }
      }
      const oo = row * h2 + dir * units;
      if (output === 'last') for (let j = 0; j < units; j++) out[oo + j] = h[j];
      else if (output === 'mean') for (let j = 0; j < units; j++) out[oo + j] = acc[j] / t;
    }
  }
  return output === 'sequence' ? tf.tensor3d(out, [b, t, h2]) : tf.tensor2d(out, [b, h2]);
}

/** g = h U[dir] + c[dir] (U at `uo`, c at `co`) in float64, the order `GruMatVec` keeps. */
function matVec(h: Float64Array, u: Float64Array, c: Float32Array, g: Float64Array, units: number, uo: number, co: number): void {
  const h3 = 3 * units;
  for (let j = 0; j < h3; j++) g[j] = c[co + j];
  let k = 0;
  for (; k + 3 < units; k += 4) {
    const a0 = h[k];
    const a1 = h[k + 1];
    const a2 = h[k + 2];
    const a3 = h[k + 3];
    const r0 = uo + k * h3;
    const r1 = r0 + h3;
    const r2 = r1 + h3;
    const r3 = r2 + h3;
    for (let j = 0; j < h3; j++) g[j] += a0 * u[r0 + j] + a1 * u[r1 + j] + a2 * u[r2 + j] + a3 * u[r3 + j];
  }
  for (; k < units; k++) {
    const a = h[k];
    const r0 = uo + k * h3;
    for (let j = 0; j < h3; j++) g[j] += a * u[r0 + j];
  }
}
