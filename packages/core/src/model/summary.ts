import * as tf from '@tensorflow/tfjs';
import { parameterCounts } from './build-model';
import { MacSource, modelCost } from './macs';

export interface ModelSummary {
  parameters: number;
  parametersPerBlock: Record<string, number>;
  /** Multiply-accumulates of one window's forward pass (batch 1), counted per layer from shapes (see macs.ts). */
  macsPerWindow: number;
  /** Peak float32 bytes of layer outputs alive at once during one window's forward pass (see macs.ts). */
  peakActivationBytes: number;
  macsPerBlock?: Record<string, number>;
  /** Bytes of the stored weights: float32, float16, and int8 with a per-tensor scale and offset (tfjs uint8 format). */
  bytes: { float32: number; float16: number; int8: number };
  layers: { name: string; className: string; parameters: number; outputShape: (number | null)[]; macs: number; macSource: MacSource }[];
}

/** Parameters, MACs per window and peak activation memory (from layer shapes) and weight sizes. */
export async function summarizeModel(model: tf.LayersModel): Promise<ModelSummary> {
  const counts = parameterCounts(model);
  const cost = await modelCost(model);
  const tensors = model.getWeights().length;
  return {
    parameters: counts.total,
    parametersPerBlock: counts.blocks,
    macsPerWindow: cost.macsPerWindow,
    peakActivationBytes: cost.peakActivationBytes,
    bytes: { float32: counts.total * 4, float16: counts.total * 2, int8: counts.total + tensors * 8 },
    layers: model.layers.map((l, i) => ({
      name: l.name,
      className: l.getClassName(),
      parameters: l.countParams(),
      outputShape: (Array.isArray(l.outputShape[0]) ? l.outputShape[0] : l.outputShape) as (number | null)[],
      macs: cost.layers[i].macs,
      macSource: cost.layers[i].source,
    })),
  };
}
