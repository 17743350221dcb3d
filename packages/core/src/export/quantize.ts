import type * as tf from '@tensorflow/tfjs';

/** How an export stores its weights: as trained, as IEEE half floats, or as 8-bit affine codes per weight tensor. */
export type WeightPrecision = 'float32' | 'float16' | 'uint8';

export const WEIGHT_PRECISIONS: readonly WeightPrecision[] = ['float32', 'float16', 'uint8'];

/**
 * Re-encodes a layers model's weights in tfjs's own weight-manifest quantisation: each quantised entry carries
 * `quantization: {dtype, scale, min}` (uint8) or `{dtype: 'float16'}`, which `tf.io.decodeWeights` (every stock
 * `tf.loadLayersModel`) dequantises on load. uint8 follows tfjs-converter's affine scheme: the range is widened to
 * include 0 and nudged so that 0 is exactly representable (zero padding and zero biases stay exact).
 * Only float32 entries are quantised; others are copied as they are.
 */
export function quantizeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  precision: WeightPrecision
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new RangeError(`weight ${spec.name} is already quantised (${spec.quantization.dtype}); export from the run's float32 models.`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = size * (spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : NaN);
    if (!Number.isFinite(bytes)) throw new RangeError(`weight ${spec.name} has dtype ${spec.dtype}; only float32, int32 and bool weights can be exported.`);
    if (offset + bytes > data.byteLength) throw new RangeError(`the weight data ends at byte ${data.byteLength} but weight ${spec.name} needs bytes ${offset}..${offset + bytes}.`);
    const raw = data.slice(offset, offset + bytes);
    offset += bytes;
    if (precision === 'float32' || spec.dtype !== 'float32') {
      outSpecs.push({ ...spec });
      parts.push(new Uint8Array(raw));
    } else if (precision === 'float16') {
      const v = new Float32Array(raw);
      const h = new Uint16Array(v.length);
      for (let i = 0; i < v.length; i++) h[i] = float32ToFloat16Bits(v[i]);
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
      parts.push(new Uint8Array(h.buffer));
    } else {
      const { codes, scale, min } = affineUint8(new Float32Array(raw));
      outSpecs.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
      parts.push(codes);
    }
  }
  if (offset !== data.byteLength) throw new RangeError(`the manifest describes ${offset} bytes of weights but the weight data has ${data.byteLength}.`);
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return { specs: outSpecs, data: out.buffer };
}

/** 8-bit affine codes of one tensor with tfjs-converter's nudged range (0 maps to an exact code). */
export function affineUint8(v: Float32Array): { codes: Uint8Array; scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  const codes = new Uint8Array(v.length);
  if (hi === lo) return { codes, scale: 1, min: 0 };
  const scale = (hi - lo) / 255;
  const zero = Math.round(-lo / scale);
  const min = -zero * scale;
  const max = (255 - zero) * scale;
  for (let i = 0; i < v.length; i++) codes[i] = Math.round((Math.min(max, Math.max(min, v[i])) - min) / scale);
  return { codes, scale, min };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float32, rounded to nearest even (subnormals, infinities and NaN kept). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
