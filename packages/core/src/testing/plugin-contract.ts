import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { interfaces } from 'inversify';
import { createContainer, getRegistries } from '../container';
import { maxAbsDiff, roundTrip, testContext, useBackend } from '../layers/testing';
import type { DatasetAdapter, EncoderPlugin, FusionPlugin, HeadPlugin, LoadContext, PluginBase } from '../plugins';
import type { Registries } from '../registry';
import { specAjv } from '../schema';
import type { PluginConfig } from '../spec';

/** The plugin kinds, as in `fusion-cli new-plugin <kind>`. */
export type ContractKind = 'dataset' | 'encoder' | 'fusion' | 'head';
export type ContractBackend = 'cpu' | 'wasm';

interface ContractBase {
  /** The plugin's `type` (what a spec names). */
  type: string;
  /** The module a spec's `plugins` entry or the package exports: it must register the plugin. */
  module: interfaces.ContainerModule;
  /** A valid config; default `{ type }` (the schema fills the rest). */
  config?: PluginConfig;
}

/** An encoder, fusion or head: a part of the model graph. */
export interface ModelPluginContract extends ContractBase {
  kind: 'encoder' | 'fusion' | 'head';
  /**
   * The input shape without the batch: [time, sensors, channels] (encoder), [time, sensors, features] (fusion),
   * [time, features] (head), [inputs, classes] (decision fusion).
   */
  inputShape: number[];
  /** Inputs are class probabilities (a decision fusion): positive, summing to 1 over the last axis. */
  probabilities?: boolean;
  /** Set false when no initial weight is a seeded draw (then another seed may give the same weights). Default true. */
  seededWeights?: boolean;
  /** Backends the plugin must build, run, differentiate and release its tensors on. Default cpu and wasm. */
  backends?: ContractBackend[];
}

/** A dataset adapter. */
export interface DatasetPluginContract extends ContractBase {
  kind: 'dataset';
  /** When given, the adapter loads `config` twice from this folder (relative paths; a temp cache) with the same recordings. */
  loadFrom?: string;
}

export type PluginContract = ModelPluginContract | DatasetPluginContract;

const REGISTRY: Record<ContractKind, keyof Registries> = { dataset: 'datasets', encoder: 'encoders', fusion: 'fusions', head: 'heads' };

/** The plugin `module` registers as `type` in the registry of `kind` (throws the registry's error if none). */
export function registeredPlugin(kind: ContractKind, type: string, module: interfaces.ContainerModule): PluginBase {
  return getRegistries(createContainer(module))[REGISTRY[kind]].get(type);
}

/**
 * Checks a config against a plugin's option schema the way specs are checked (ajv strict mode, defaults filled in
 * place): the errors, or [] when valid.
 */
export function checkOptions(schema: PluginBase['schema'], config: Record<string, unknown>): string[] {
  const validate = specAjv().compile(schema);
  return validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** The name an unknown option gets in the strictness check. */
const UNKNOWN_OPTION = 'notAnOptionOfThisPlugin';

function describeSchema(c: PluginContract, plugin: () => PluginBase): void {
  it('its option schema is strict: compiles in ajv strict mode, fills the defaults and refuses an unknown option', () => {
    const p = plugin();
    const config: Record<string, unknown> = structuredClone(c.config ?? { type: c.type });
    assert.deepEqual(checkOptions(p.schema, config), [], 'the contract config is refused by the schema');
    const properties = (p.schema.properties ?? {}) as Record<string, { default?: unknown }>;
    for (const [key, prop] of Object.entries(properties)) {
      if (prop.default !== undefined) assert.ok(key in config, `the schema did not fill the default of "${key}"`);
    }
    const errors = checkOptions(p.schema, { ...structuredClone(c.config ?? { type: c.type }), [UNKNOWN_OPTION]: 1 });
    assert.notDeepEqual(errors, [], `an unknown option "${UNKNOWN_OPTION}" was accepted: give the schema additionalProperties: false`);
  });
}

/**
 * The contract every plugin keeps, as a mocha `describe` block: call it at the top level of a spec file.
 *
 * - registration: its module registers it under `type` in the registry of its kind;
 * - strict options: the schema compiles in ajv strict mode, fills every default and refuses an unknown option;
 * - model plugins: config round trip (every layer's getConfig -> fromConfig, save -> load predicts the same),
 *   seeded determinism (same seed: same initial weights and the same outputs, dropout included; another seed: other
 *   weights), and on every backend (cpu and wasm unless narrowed) it builds, predicts finite values of the declared
 *   shape, differentiates, and leaves tf.memory().numTensors as it found it once disposed;
 * - dataset adapters (with `loadFrom`): two loads give the same recordings.
 */
export function describePluginContract(c: PluginContract): void {
  describe(`plugin contract: ${c.kind} "${c.type}"`, function () {
    this.timeout(120000);
    let found: PluginBase | undefined;
    const plugin = (): PluginBase => found ?? (found = registeredPlugin(c.kind, c.type, c.module));

    it(`its module registers it as ${c.kind} "${c.type}"`, () => {
      const p = registeredPlugin(c.kind, c.type, c.module);
      assert.equal(p.type, c.type);
      assert.equal(typeof p.description, 'string');
    });

    describeSchema(c, plugin);
    if (c.kind === 'dataset') describeDatasetContract(c, () => plugin() as DatasetAdapter);
    else describeModelContract(c, () => plugin() as EncoderPlugin | FusionPlugin | HeadPlugin);
  });
}

function describeDatasetContract(c: DatasetPluginContract, plugin: () => DatasetAdapter): void {
  const dir = c.loadFrom;
  if (dir === undefined) return;
  it('loads the same recordings twice', async () => {
    const config = structuredClone(c.config ?? { type: c.type });
    checkOptions(plugin().schema, config);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-contract-'));
    try {
      const ctx: LoadContext = { baseDir: dir, cacheDir, sensors: plugin().sensors, warn: () => undefined };
      const a = await plugin().load(config, ctx);
      const b = await plugin().load(structuredClone(config), ctx);
      assert.ok(a.recordings.length > 0, 'no recordings loaded');
      assert.deepEqual(b, a, 'two loads of the same config gave other recordings');
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
}

function describeModelContract(c: ModelPluginContract, plugin: () => EncoderPlugin | FusionPlugin | HeadPlugin): void {
  const sensors = c.kind === 'head' || c.probabilities ? 1 : c.inputShape[1];
  const config = (): PluginConfig => {
    const cfg = structuredClone(c.config ?? { type: c.type });
    checkOptions(plugin().schema, cfg); // defaults filled as in a spec
    return cfg;
  };
  const build = (seed: number): tf.LayersModel => {
    const input = tf.input({ shape: c.inputShape });
    const output = plugin().apply(input, config(), testContext(sensors, c.inputShape[0], seed));
    return tf.model({ inputs: input, outputs: output });
  };
  const inputs = (batch = 3): tf.Tensor =>
    tf.tidy(() => {
      const x = tf.randomNormal([batch, ...c.inputShape], 0, 1, 'float32', 17);
      return c.probabilities ? tf.softmax(x) : x;
    });
  const predict = (m: tf.LayersModel, x: tf.Tensor, training = false): Float32Array =>
    tf.tidy(() => (training ? (m.apply(x, { training: true }) as tf.Tensor) : (m.predict(x) as tf.Tensor)).dataSync() as Float32Array);
  const backends = c.backends ?? ['cpu', 'wasm'];

  before(() => useBackend('cpu'));

  it('config round trip: each layer rebuilds from its config, and save -> load predicts the same', async () => {
    const m = build(1);
    const x = inputs();
    const registered = tf.serialization.SerializationMap.getMap().classNameMap;
    for (const layer of m.layers) {
      const entry = registered[layer.getClassName()];
      assert.ok(entry, `layer class ${layer.getClassName()} is not registered (tf.serialization.registerClass)`);
      const again = entry[1](entry[0], layer.getConfig()) as tf.layers.Layer;
      assert.deepEqual(again.getConfig(), layer.getConfig(), `${layer.getClassName()}: fromConfig(getConfig()) has another config`);
    }
    const loaded = await roundTrip(m);
    m.layers.forEach((l, i) => assert.deepEqual(loaded.layers[i].getConfig(), l.getConfig(), `${l.getClassName()}: the config changed in save -> load`));
    assert.deepEqual(predict(loaded, x), predict(m, x), 'the loaded model predicts other values');
    x.dispose();
    m.dispose();
    loaded.dispose();
  });

  it('seeded: the same seed gives the same initial weights and outputs (training mode too), another seed other weights', () => {
    const [a, b, other] = [build(1), build(1), build(2)];
    const x = inputs();
    const wa = a.getWeights();
    const wb = b.getWeights();
    assert.equal(wb.length, wa.length);
    wa.forEach((w, i) => assert.equal(maxAbsDiff(w, wb[i]), 0, `initial weight ${a.weights[i].originalName} differs for the same seed`));
    // getWeights() gives the live variables (a training call updates BN statistics): compare before any call
    if (c.seededWeights !== false && wa.length > 0) {
      const wo = other.getWeights();
      assert.ok(
        wa.some((w, i) => maxAbsDiff(w, wo[i]) > 0),
        'another seed gives the same initial weights: seed every initialiser from ctx.nextSeed()'
      );
    }
    assert.deepEqual(predict(b, x), predict(a, x), 'outputs differ for the same seed');
    for (let step = 0; step < 2; step++) assert.deepEqual(predict(b, x, true), predict(a, x, true), `training-mode outputs (call ${step + 1}) differ for the same seed`);
    x.dispose();
    for (const m of [a, b, other]) m.dispose();
  });

  for (const backend of backends) {
    it(`on ${backend}: builds, predicts finite values of the declared shape, differentiates, and leaves no tensors behind`, async () => {
      await useBackend(backend);
      try {
        assert.equal(tf.getBackend(), backend);
        build(3).dispose(); // first use of the backend: kernels and caches are set up outside the count
        const before = tf.memory().numTensors;
        const m = build(3);
        const x = inputs();
        const y = m.predict(x) as tf.Tensor;
        assert.deepEqual(y.shape.slice(1), m.outputs[0].shape.slice(1), 'the output does not have the declared shape');
        const declared = plugin().outputShape?.([c.inputShape], config());
        if (declared) assert.deepEqual(m.outputs[0].shape.slice(1), declared, 'outputShape() disagrees with the built model');
        assert.ok((y.dataSync() as Float32Array).every(Number.isFinite), 'non-finite outputs');
        y.dispose();
        tf.tidy(() => {
          const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.square(m.apply(input, { training: true }) as tf.Tensor));
          const finite = (g: tf.Tensor, what: string) => assert.ok((g.dataSync() as Float32Array).every(Number.isFinite), `non-finite gradient of ${what}`);
          finite(tf.grad(loss)(x), 'the input');
          if (m.trainableWeights.length === 0) return;
          for (const [name, g] of Object.entries(tf.variableGrads(() => loss(x)).grads)) finite(g, name);
        });
        x.dispose();
        m.dispose();
        assert.equal(tf.memory().numTensors, before, 'tensors left behind by build + predict + a gradient + dispose');
      } finally {
        await useBackend('cpu');
      }
    });
  }
}
