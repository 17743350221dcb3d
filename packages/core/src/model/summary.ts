import * as tf from '@tensorflow/tfjs';
import { parameterCounts } from './build-model';

export interface ModelSummary {
  parameters: number;
  parametersPerBlock: Record<string, number>;
  /** Multiply-accumulates of one window's forward pass, counted from the matMul/conv kernels tfjs actually runs. */
  macsPerWindow: number;
  macsPerBlock?: Record<string, number>;
  /** Bytes of the stored weights: float32, float16, and int8 with a per-tensor scale and offset (tfjs uint8 format). */
  bytes: { float32: number; float16: number; int8: number };
  layers: { name: string; className: string; parameters: number; outputShape: (number | null)[] }[];
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** MACs of one kernel from its shapes; only the kernels that do multiply-accumulate work count. */
function kernelMacs(name: string, inputs: number[][], outputs: number[][]): number {
  if (!outputs.length || inputs.length < 2) return 0;
  const out = outputs[0];
  if (/MatMul/.test(name)) {
    const a = inputs[0];
    const b = inputs[1];
    const batch = size(out.slice(0, -2));
    const k2 = (size(a) * size(b)) / (size(out) * Math.max(1, batch));
    return size(out) * Math.round(Math.sqrt(k2));
  }
  if (/Conv2D$|Conv1D$|Conv2d$/.test(name) || name === 'FusedConv2D') {
    const f = inputs[1]; // [kh, kw, cin, cout]
    return size(out) * f[0] * f[1] * f[2];
  }
  if (name === 'DepthwiseConv2dNative' || name === 'FusedDepthwiseConv2D') {
    const f = inputs[1];
    return size(out) * f[0] * f[1];
  }
  return 0;
}

/** Parameters, MACs per window (by profiling one forward pass) and weight sizes. */
export async function summarizeModel(model: tf.LayersModel): Promise<ModelSummary> {
  const counts = parameterCounts(model);
  const inShape = model.inputs[0].shape.map((d) => d ?? 1);
  const x = tf.zeros(inShape);
  const profile = await tf.profile(() => {
    const y = model.predict(x) as tf.Tensor;
    y.dispose();
  });
  x.dispose();
  let macs = 0;
  for (const k of profile.kernels) macs += kernelMacs(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
  const tensors = model.getWeights().length;
  return {
    parameters: counts.total,
    parametersPerBlock: counts.blocks,
    macsPerWindow: macs,
    bytes: { float32: counts.total * 4, float16: counts.total * 2, int8: counts.total + tensors * 8 },
    layers: model.layers.map((l) => ({
      name: l.name,
      className: l.getClassName(),
      parameters: l.countParams(),
      outputShape: (Array.isArray(l.outputShape[0]) ? l.outputShape[0] : l.outputShape) as (number | null)[],
    })),
  };
}
