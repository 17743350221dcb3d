import * as tf from '@tensorflow/tfjs';

/**
 * Multiply-accumulates of one layer's forward pass from its input shape (batch 1), whatever backend or code path
 * (fused kernels, a host-side recurrence) computes it. A layer class can say its own count with a
 * `macs(inputShape)` method; the tfjs classes below are counted from their configuration; any other layer is
 * profiled (its matMul/conv kernels on a zero input), which is right for layers that run tfjs kernels only.
 */
export interface MacCounting {
  macs(inputShape: tf.Shape | tf.Shape[]): number;
}

/** How a layer's count was obtained: its own `macs` method, its tfjs class's formula, or a kernel profile. */
export type MacSource = 'method' | 'shape' | 'profiled';

export interface LayerCost {
  name: string;
  className: string;
  macs: number;
  source: MacSource;
  /** Float32 bytes of the layer's output for one window. */
  outputBytes: number;
}

export interface ModelCost {
  /** Multiply-accumulates of one window's forward pass (batch 1), the sum over layers. */
  macsPerWindow: number;
  /**
   * Largest float32 bytes of layer outputs alive at once during one window's forward pass (batch 1): a layer's
   * output lives from the layer until its last consumer has run, as tfjs' executor frees it. Buffers inside a
   * layer (e.g. a recurrence's gates) and the weights are not included.
   */
  peakActivationBytes: number;
  layers: LayerCost[];
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const concrete = (s: tf.Shape): number[] => s.map((d) => d ?? 1);

function firstShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
  return Array.isArray(shape[0]) ? (shape as tf.Shape[])[0] : (shape as tf.Shape);
}

/** Product of the dimensions between batch and the last (time steps and the like). */
function steps(shape: tf.Shape): number {
  return size(concrete(shape.slice(1, -1)));
}

function hasMacs(layer: tf.layers.Layer): layer is tf.layers.Layer & MacCounting {
  return typeof (layer as Partial<MacCounting>).macs === 'function';
}

type Config = Record<string, unknown>;
const num = (v: unknown): number => (Array.isArray(v) ? (v as number[]).reduce((a, b) => a * b, 1) : Number(v));

/** MACs of a tfjs built-in layer from its config and shapes; undefined for a class not known here. */
export function builtinLayerMacs(className: string, config: Config, inputShape: tf.Shape, outputShape: tf.Shape): number | undefined {
  const last = (s: tf.Shape): number => Number(s[s.length - 1]);
  switch (className) {
    case 'Dense':
      return last(inputShape) * Number(config.units) * steps(inputShape);
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
      // k x cin x cout per output position
      return num(config.kernelSize) * last(inputShape) * Number(config.filters) * steps(outputShape);
    case 'DepthwiseConv2D':
      return num(config.kernelSize) * last(outputShape) * steps(outputShape);
    case 'SeparableConv1D':
    case 'SeparableConv2D': {
      const mid = last(inputShape) * Number(config.depthMultiplier ?? 1);
      return (num(config.kernelSize) * mid + mid * Number(config.filters)) * steps(outputShape);
    }
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM': {
      const gates = className === 'GRU' ? 3 : className === 'LSTM' ? 4 : 1;
      const units = Number(config.units);
      return gates * (last(inputShape) + units) * units * Number(inputShape[1] ?? 1);
    }
    case 'Bidirectional': {
      const inner = (config.layer as { className: string; config: Config }) ?? undefined;
      if (!inner) return undefined;
      const one = builtinLayerMacs(inner.className, inner.config, inputShape, outputShape);
      return one === undefined ? undefined : 2 * one;
    }
    case 'InputLayer':
    case 'Reshape':
    case 'Flatten':
    case 'Permute':
    case 'RepeatVector':
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
    case 'ELU':
    case 'Softmax':
    case 'ThresholdedReLU':
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
    case 'Concatenate':
    case 'BatchNormalization':
    case 'LayerNormalization':
    case 'ZeroPadding2D':
    case 'Cropping2D':
    case 'UpSampling2D':
    case 'MaxPooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling1D':
    case 'AveragePooling2D':
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling1D':
    case 'GlobalMaxPooling2D':
      // data movement, elementwise work and reductions: no multiply-accumulates
      return 0;
    default:
      return undefined;
  }
}

/** MACs of one kernel from its shapes (the profile fallback); only matMul and convolutions count. */
export function kernelMacs(name: string, inputs: number[][], outputs: number[][]): number {
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

async function profiledMacs(layer: tf.layers.Layer, inputShape: tf.Shape | tf.Shape[]): Promise<number> {
  const shapes = Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[]) : [inputShape as tf.Shape];
  const xs = shapes.map((s) => tf.zeros(concrete(s)));
  try {
    const profile = await tf.profile(() => {
      const y = layer.apply(xs.length === 1 ? xs[0] : xs, { training: false });
      tf.dispose(y as tf.Tensor | tf.Tensor[]);
    });
    let macs = 0;
    for (const k of profile.kernels) macs += kernelMacs(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
    return macs;
  } finally {
    tf.dispose(xs);
  }
}

/** MACs of one layer of a built model for one window (batch 1). */
export async function layerMacs(layer: tf.layers.Layer): Promise<{ macs: number; source: MacSource }> {
  const node = layer.inboundNodes[0];
  // an InputLayer's node has its own shape as input
  const inputShape = node ? node.inputShapes : layer.outputShape;
  if (hasMacs(layer)) return { macs: layer.macs(inputShape), source: 'method' };
  const known = builtinLayerMacs(layer.getClassName(), layer.getConfig() as Config, firstShape(inputShape), firstShape(layer.outputShape));
  if (known !== undefined) return { macs: known, source: 'shape' };
  return { macs: await profiledMacs(layer, inputShape), source: 'profiled' };
}

/** MACs per window, per layer, and the peak of live layer outputs (see ModelCost). */
export async function modelCost(model: tf.LayersModel): Promise<ModelCost> {
  const layers: LayerCost[] = [];
  const index = new Map(model.layers.map((l, i) => [l.name, i]));
  // the last layer (by position) that reads each layer's output; model outputs live to the end
  const lastUse = model.layers.map((_, i) => i);
  model.layers.forEach((l, i) => {
    for (const node of l.inboundNodes) for (const src of node.inboundLayers) {
      const j = index.get(src.name);
      if (j !== undefined) lastUse[j] = Math.max(lastUse[j], i);
    }
  });
  for (const out of model.outputLayers) lastUse[index.get(out.name) as number] = model.layers.length;
  let peak = 0;
  for (let i = 0; i < model.layers.length; i++) {
    const l = model.layers[i];
    const shapes = Array.isArray(l.outputShape[0]) ? (l.outputShape as tf.Shape[]) : [l.outputShape as tf.Shape];
    const outputBytes = shapes.reduce((a, s) => a + 4 * size(concrete(s)), 0);
    const { macs, source } = await layerMacs(l);
    layers.push({ name: l.name, className: l.getClassName(), macs, source, outputBytes });
    // alive while layer i runs: its inputs (outputs of earlier layers read at i or later) and its own output
    let live = outputBytes;
    for (let j = 0; j < i; j++) if (lastUse[j] >= i) live += layers[j].outputBytes;
    peak = Math.max(peak, live);
  }
  return { macsPerWindow: layers.reduce((a, l) => a + l.macs, 0), peakActivationBytes: peak, layers };
}
