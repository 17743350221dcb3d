import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { affineUint8, float32ToFloat16Bits, quantizeWeights } from '../src';

/** The values a stock tfjs loader reads back from a quantised manifest (tf.io.decodeWeights). */
function decoded(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): Record<string, Float32Array> {
  const named = tf.io.decodeWeights(data, specs);
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(named)) {
    out[k] = t.dataSync() as Float32Array;
    t.dispose();
  }
  return out;
}

describe('export weight quantisation (tfjs manifest format)', () => {
  const a = Float32Array.from([-0.75, -0.1, 0, 0.2, 0.5, 1.25]);
  const b = Float32Array.from([3, 3, 3]);
  const specs: tf.io.WeightsManifestEntry[] = [
    { name: 'a', shape: [2, 3], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  const data = new Uint8Array([...new Uint8Array(a.buffer), ...new Uint8Array(b.buffer)]).buffer;

  it('float16 bits of exact, rounded, subnormal, huge and special values', () => {
    expect(float32ToFloat16Bits(1)).to.equal(0x3c00);
    expect(float32ToFloat16Bits(-2)).to.equal(0xc000);
    expect(float32ToFloat16Bits(0.5)).to.equal(0x3800);
    expect(float32ToFloat16Bits(65504)).to.equal(0x7bff);
    expect(float32ToFloat16Bits(1e6)).to.equal(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).to.equal(0x0001);
    expect(float32ToFloat16Bits(2 ** -14)).to.equal(0x0400);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).to.equal(0x3c00); // a tie rounds to even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).to.equal(0x3c02);
    expect(float32ToFloat16Bits(NaN) & 0x7e00).to.equal(0x7e00);
  });

  it('uint8 keeps zero exact and every value within half a step', () => {
    const q = affineUint8(a);
    const back = Array.from(q.codes, (c) => c * q.scale + q.min);
    expect(back[2]).to.equal(0);
    back.forEach((v, i) => expect(Math.abs(v - a[i])).to.be.at.most(q.scale / 2 + 1e-7));
  });

  it('float16 and uint8 manifests are read back by tf.io.decodeWeights, 2 and 4 times smaller', () => {
    const f16 = quantizeWeights(specs, data, 'float16');
    expect(f16.data.byteLength).to.equal(data.byteLength / 2);
    expect(f16.specs[0].quantization).to.deep.equal({ dtype: 'float16' });
    const h = decoded(f16.specs, f16.data);
    h.a.forEach((v, i) => expect(v).to.be.closeTo(a[i], 1e-3));
    expect(Array.from(h.b)).to.deep.equal([3, 3, 3]);

    const u8 = quantizeWeights(specs, data, 'uint8');
    expect(u8.data.byteLength).to.equal(data.byteLength / 4);
    expect(u8.specs[0].quantization?.dtype).to.equal('uint8');
    const u = decoded(u8.specs, u8.data);
    const step = 2 / 255;
    u.a.forEach((v, i) => expect(v).to.be.closeTo(a[i], step / 2 + 1e-6));
    u.b.forEach((v) => expect(v).to.be.closeTo(3, 3 / 255));
  });

  it('float32 copies the weights as they are', () => {
    const same = quantizeWeights(specs, data, 'float32');
    expect(Array.from(new Uint8Array(same.data))).to.deep.equal(Array.from(new Uint8Array(data)));
    expect(same.specs.every((s) => s.quantization === undefined)).to.equal(true);
  });

  it('refuses a manifest that does not match its weight data', () => {
    expect(() => quantizeWeights(specs, data.slice(0, 20), 'uint8')).to.throw(RangeError, /weight a needs bytes|weight b needs bytes/);
    expect(() => quantizeWeights(specs.slice(0, 1), data, 'uint8')).to.throw(RangeError, /describes 24 bytes/);
  });
});
