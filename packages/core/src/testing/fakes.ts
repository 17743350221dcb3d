import * as tf from '@tensorflow/tfjs';
import { ContainerModule } from 'inversify';
import {
  DatasetAdapter,
  DatasetAdapterContribution,
  EncoderContribution,
  EncoderPlugin,
  FusionContribution,
  FusionPlugin,
  HeadContribution,
  HeadPlugin,
  Recording,
  SpecIssue,
  SpecValidationError,
  SpecValidator,
} from '../index';

/** Minimal plugins for testing core in isolation (no other package needed). */
export function fakeRecording(subject: string, seconds: number, labelOf: (t: number) => number, effect = 1, seed = 1): Recording {
  const fs = 4;
  const n = seconds * fs;
  const hr = new Float32Array(n);
  const eda = new Float32Array(n);
  let s = seed;
  const rand = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    hr[i] = 70 + effect * 5 * labelOf(t) + rand() * 4;
    eda[i] = 1 + effect * 0.5 * labelOf(t) + rand() * 0.4;
  }
  const labels = [];
  for (let t = 0; t + 5 <= seconds; t += 5) labels.push({ start: t, end: t + 5, values: { arousal: labelOf(t) ? 4 : 2 } });
  return { subject, signals: { hr: { t0: 0, fs, channels: 1, data: hr }, eda: { t0: 0, fs, channels: 1, data: eda } }, labels };
}

export const fakeAdapter: DatasetAdapter = {
  type: 'fake',
  description: 'in-memory test data',
  sensors: ['hr', 'eda'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { const: 'fake' }, subjects: { type: 'integer', minimum: 2, default: 4 }, effect: { type: 'number', default: 1 }, scale: { type: 'number', default: 1 } },
  },
  async load(config) {
    const c = config as unknown as { subjects: number; effect: number; scale: number };
    const recordings = Array.from({ length: c.subjects }, (_, k) => fakeRecording(`S${k + 1}`, 200, (t) => (Math.floor(t / 25) + k) % 2, c.effect, k + 1));
    recordings.forEach((r) => r.signals.hr.data.forEach((v, i, a) => (a[i] = v * c.scale)));
    return { name: 'fake', recordings, warnings: [] };
  },
};

export const flatEncoder: EncoderPlugin = {
  type: 'flat',
  description: 'a dense layer per time step',
  schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'flat' }, units: { type: 'integer', minimum: 1, default: 4 }, poison: { type: 'boolean', default: false } } },
  apply(x, c, ctx) {
    return tf.layers.dense({ units: (c as { units?: number }).units ?? 4, activation: 'relu', name: ctx.name('dense'), kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }), ...((c as { poison?: boolean }).poison ? { biasInitializer: tf.initializers.constant({ value: NaN }) } : {}) }).apply(x) as tf.SymbolicTensor;
  },
};

export const reshapeFusion: FusionPlugin = {
  type: 'reshape',
  description: 'concat by reshape',
  schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'reshape' } } },
  apply(x, _c, ctx) {
    const [, t, s, f] = x.shape as number[];
    return tf.layers.reshape({ targetShape: [t, s * f], name: ctx.name('reshape') }).apply(x) as tf.SymbolicTensor;
  },
};

export const poolHead: HeadPlugin = {
  type: 'pool',
  description: 'global average pooling over time',
  schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'pool' } } },
  apply(x, _c, ctx) {
    return tf.layers.globalAveragePooling1d({ name: ctx.name('pool') }).apply(x) as tf.SymbolicTensor;
  },
};

export const fakeModule = new ContainerModule((bind) => {
  bind(DatasetAdapterContribution).toConstantValue(fakeAdapter);
  bind(EncoderContribution).toConstantValue(flatEncoder);
  bind(FusionContribution).toConstantValue(reshapeFusion);
  bind(HeadContribution).toConstantValue(poolHead);
});

export function fakeSpec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'fake-run',
    seed: 3,
    dataset: { type: 'fake', subjects: 4 },
    sensors: ['hr', 'eda'],
    preprocessing: { sampleRate: 4, window: 5, hop: 5 },
    encoder: { type: 'flat' },
    fusion: { type: 'reshape' },
    head: { type: 'pool' },
    training: { epochs: 3, batchSize: 16, learningRate: 0.01 },
    evaluation: { type: 'loso' },
    ...over,
  };
}

/** The issues a validator finds in a spec it must reject (fails the test when it accepts it). */
export function rejectedIssues(v: SpecValidator, spec: unknown): SpecIssue[] {
  try {
    v.check(spec, 'x.json');
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.issues;
  }
  throw new Error('expected the spec to be rejected');
}
