import * as tf from '@tensorflow/tfjs';
import { describeValue, PluginError, ShapeMismatchError } from '../errors';
import { callPlugin } from '../plugin-guard';
import type { ModelContext, PluginBase } from '../plugins';
import type { PluginRegistry, Registries } from '../registry';
import { Rng } from '../random';
import type { GraphSpec, PluginConfig } from '../spec';
import { SelectSensor } from './select-sensor';

export interface ModelShape {
  sensors: readonly string[];
  length: number;
  classes: number;
}

/** Layer-name prefixes: `summary` groups parameters by them. */
export const BLOCKS = ['encoder', 'fusion', 'head', 'classifier'] as const;

function context(shape: ModelShape, rng: Rng, scope: string, counters: Map<string, number>): ModelContext {
  return {
    sensors: shape.sensors,
    length: shape.length,
    classes: shape.classes,
    nextSeed: () => rng.seed31(),
    name(prefix: string): string {
      const key = `${scope}_${prefix}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      return `${key}_${n}`;
    },
  };
}

function applyPlugin(
  registry: PluginRegistry<PluginBase & { apply(x: tf.SymbolicTensor, c: PluginConfig, ctx: ModelContext): tf.SymbolicTensor }>,
  x: tf.SymbolicTensor,
  cfg: PluginConfig,
  ctx: ModelContext,
  rank: number,
  where: string
): tf.SymbolicTensor {
  const plugin = registry.get(cfg.type);
  const origin = registry.originOf(cfg.type);
  const y = callPlugin(origin, `${where} "${cfg.type}" apply()`, () => plugin.apply(x, cfg, ctx));
  if (origin && (y === null || typeof y !== 'object' || !Array.isArray((y as { shape?: unknown }).shape) || !('sourceLayer' in y)))
    throw new PluginError(origin, `${where} "${cfg.type}" apply() returned ${describeValue(y)}; expected the tf.SymbolicTensor of a layer applied to its input.`);
  if (y.shape.length !== rank) throw new ShapeMismatchError(`${where} "${cfg.type}" output`, y.shape, `rank ${rank}`);
  return y;
}

/**
 * Composes a model from the spec: input [batch, length, sensors] -> encoder(s) -> fusion -> head -> softmax.
 * The same spec and seed give the same initial weights.
 */
export function buildModel(spec: Pick<GraphSpec, 'encoder' | 'encoders' | 'fusion' | 'head'>, reg: Registries, shape: ModelShape, seed: number): tf.LayersModel {
  const rng = new Rng(`${seed}/model`);
  const counters = new Map<string, number>();
  const S = shape.sensors.length;
  const input = tf.input({ shape: [shape.length, S], name: 'windows' });
  const x4 = tf.layers.reshape({ targetShape: [shape.length, S, 1], name: 'encoder_input' }).apply(input) as tf.SymbolicTensor;
  let enc: tf.SymbolicTensor;
  if (spec.encoder) {
    const ctx = context(shape, rng, 'encoder', counters);
    enc = applyPlugin(reg.encoders, x4, spec.encoder, ctx, 4, 'encoder');
  } else {
    const outs = shape.sensors.map((sensor, i) => {
      const cfg = spec.encoders![sensor];
      const ctx = context({ ...shape, sensors: [sensor] }, rng, `encoder_${sensor}`, counters);
      const xi = new SelectSensor({ index: i, name: `encoder_select_${sensor}` }).apply(x4) as tf.SymbolicTensor;
      return applyPlugin(reg.encoders, xi, cfg, ctx, 4, `encoders.${sensor}`);
    });
    const ref = outs[0].shape;
    outs.forEach((o, i) => {
      if (o.shape[1] !== ref[1] || o.shape[3] !== ref[3])
        throw new ShapeMismatchError(`encoders.${shape.sensors[i]} output`, o.shape, `[batch, ${ref[1]}, 1, ${ref[3]}] like encoders.${shape.sensors[0]}; per-sensor encoders must agree on time steps and features`);
    });
    enc = outs.length === 1 ? outs[0] : (tf.layers.concatenate({ axis: 2, name: 'encoder_stack' }).apply(outs) as tf.SymbolicTensor);
  }
  const fused = applyPlugin(reg.fusions, enc, spec.fusion, context(shape, rng, 'fusion', counters), 3, 'fusion');
  const feat = applyPlugin(reg.heads, fused, spec.head, context(shape, rng, 'head', counters), 2, 'head');
  const out = tf.layers
    .dense({ units: shape.classes, activation: 'softmax', name: 'classifier', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed31() }) })
    .apply(feat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'fusion' });
}

/** Parameters per block (encoder, fusion, head, classifier) and in total. */
export function parameterCounts(model: tf.LayersModel): { blocks: Record<string, number>; total: number } {
  const blocks: Record<string, number> = {};
  let total = 0;
  for (const layer of model.layers) {
    const n = layer.countParams();
    if (!n) continue;
    const block = BLOCKS.find((b) => layer.name === b || layer.name.startsWith(`${b}_`)) ?? 'other';
    blocks[block] = (blocks[block] ?? 0) + n;
    total += n;
  }
  return { blocks, total };
}
