import * as fs from 'fs';
import * as path from 'path';
import type { Terminal } from '../terminal';
import { UsageError } from '../usage-error';

export const PLUGIN_KINDS = ['dataset', 'encoder', 'fusion', 'head'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

const HEADER = (kind: string, name: string): string => `// A fusion ${kind} plugin: "${name}". Named in a spec's "plugins": ["./${name}/index.js"] (path relative to the spec).
// @fusion/core and inversify are the framework's own (never install a copy of them or of @tensorflow/*): build
// layers with the \`tf\` fusion exports. See docs/plugins.md of the fusion repository.
const { ContainerModule } = require('inversify');
`;

/** The plugin module's source for each kind: a small working example to edit. */
function pluginSource(kind: PluginKind, name: string): string {
  const schema = (props: string, required: string[]): string =>
    `{ type: 'object', additionalProperties: false, required: ${JSON.stringify(['type', ...required])}, properties: { type: { const: '${name}' }, ${props} } }`;
  /** The dense layer of the encoder, fusion and head examples, `units` from the config (else the schema's default). */
  const dense = (units: number): string =>
    `tf.layers.dense({ units: config.units ?? ${units}, activation: 'relu', name: ctx.name('${name}'), kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }) })`;
  /** An encoder, fusion or head module: `body` of apply() builds its layers; `extra` adds members (estimate). */
  const modelPlugin = (k: Exclude<PluginKind, 'dataset'>, shapes: string, description: string, units: number, body: string, extra = ''): string => {
    const contribution = `${k[0].toUpperCase()}${k.slice(1)}Contribution`;
    return `${HEADER(k, name)}const { ${contribution}, tf } = require('@fusion/core');

// ${shapes}
const ${k} = {
  type: '${name}',
  description: '${description}',
  schema: ${schema(`units: { type: 'integer', minimum: 1, maximum: 512, default: ${units} }`, [])},
  apply(input, config, ctx) {
${body}
  },${extra}
};

module.exports.default = new ContainerModule((bind) => bind(${contribution}).toConstantValue(${k}));
`;
  };
  switch (kind) {
    case 'dataset':
      return `${HEADER(kind, name)}const { DatasetAdapterContribution, Rng } = require('@fusion/core');

// Makes "subjects" recordings of hr (1 Hz) and eda (4 Hz) with a "stress" label alternating every minute.
// Replace load() with reading your files; throw DataFormatError(file, line, message) on a bad row.
const adapter = {
  type: '${name}',
  description: 'example dataset adapter (synthetic hr and eda with a stress label); edit to read your files',
  sensors: ['hr', 'eda'],
  schema: ${schema(`subjects: { type: 'integer', minimum: 2, maximum: 100, default: 4 }, minutes: { type: 'integer', minimum: 2, maximum: 600, default: 4 }`, [])},
  async load(config, ctx) {
    const rng = new Rng('${name}');
    const recordings = [];
    for (let s = 1; s <= (config.subjects ?? 4); s++) {
      const seconds = (config.minutes ?? 4) * 60;
      const labels = [];
      for (let m = 0; m * 60 < seconds; m++) labels.push({ start: m * 60, end: (m + 1) * 60, values: { stress: m % 2 } });
      const signal = (fs, level) => ({ t0: 0, fs, channels: 1, data: Float32Array.from({ length: seconds * fs }, (_, i) => level(i / fs) + rng.normal() * 0.3) });
      const stressAt = (t) => Math.floor(t / 60) % 2;
      recordings.push({
        subject: 'S' + s,
        signals: { hr: signal(1, (t) => 70 + 8 * stressAt(t)), eda: signal(4, (t) => 2 + stressAt(t)) },
        labels,
      });
    }
    return { name: '${name}', recordings, warnings: [] };
  },
};

module.exports.default = new ContainerModule((bind) => bind(DatasetAdapterContribution).toConstantValue(adapter));
`;
    case 'encoder':
      return modelPlugin(
        'encoder',
        'Per-sensor encoder: [batch, time, sensors, channels] -> [batch, time, sensors, units].',
        'example encoder: a dense layer on each sample of each sensor',
        8,
        `    const dense = ${dense(8)};
    return dense.apply(input);`,
        `
  // Optional: sizes for the memory estimate made before anything is built.
  estimate(input, config) {
    const units = config.units ?? 8;
    return { length: input.length, features: units, parameters: (input.features + 1) * units, activations: input.length * input.sensors * units };
  },`
      );
    case 'fusion':
      return modelPlugin(
        'fusion',
        'Fusion: [batch, time, sensors, features] -> [batch, time, fused features].',
        'example fusion: concatenates the sensors per time step, then a dense layer',
        16,
        `    const [, time, sensors, features] = input.shape;
    const flat = tf.layers.reshape({ targetShape: [time, sensors * features], name: ctx.name('${name}-concat') }).apply(input);
    return ${dense(16)}.apply(flat);`
      );
    case 'head':
      return modelPlugin(
        'head',
        "Temporal head: [batch, time, features] -> [batch, features'] (core adds the classifier).",
        'example head: average over time, then a dense layer',
        16,
        `    const pooled = tf.layers.globalAveragePooling1d({ name: ctx.name('${name}-pool') }).apply(input);
    return ${dense(16)}.apply(pooled);`
      );
  }
}

/** A tiny spec that uses the plugin (the other blocks built in), to check it with validate, summary and run. */
function exampleSpec(kind: PluginKind, name: string): Record<string, unknown> {
  const dataset = kind === 'dataset';
  return {
    name: `${name}-example`,
    plugins: ['./index.js'],
    seed: 1,
    dataset: dataset ? { type: name, subjects: 4, minutes: 4 } : { type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 3 },
    sensors: dataset ? ['hr', 'eda'] : ['hr', 'eda', 'bvp'],
    preprocessing: dataset
      ? { sampleRate: 1, window: 10, hop: 10, label: { target: 'stress', mapping: 'identity', classes: ['calm', 'stress'] } }
      : { sampleRate: 4, window: 5, hop: 5 },
    encoder: kind === 'encoder' ? { type: name, units: 8 } : { type: 'tcn', channels: [8, 8], kernelSize: 2, dropout: 0.1 },
    fusion: kind === 'fusion' ? { type: name, units: 16 } : { type: 'concat' },
    head: kind === 'head' ? { type: name, units: 16 } : { type: 'bigru', units: 8 },
    training: { epochs: 2, batchSize: 32, learningRate: 0.01, patience: 2, ensemble: 1 },
    evaluation: { type: 'group-kfold', k: 2 },
    output: { dir: 'runs/${name}' },
  };
}

/** The contract options for each kind: a small config and an input shape (batch excluded). */
function contractOptions(kind: PluginKind, name: string): string {
  switch (kind) {
    case 'dataset':
      return `config: { type: '${name}', subjects: 2, minutes: 2 }, loadFrom: path.join(__dirname, '..')`;
    case 'encoder':
      return `config: { type: '${name}', units: 4 }, inputShape: [8, 2, 1] /* [time, sensors, channels] */`;
    case 'fusion':
      return `config: { type: '${name}', units: 4 }, inputShape: [8, 2, 3] /* [time, sensors, features] */`;
    case 'head':
      return `config: { type: '${name}', units: 4 }, inputShape: [8, 3] /* [time, features] */`;
  }
}

/** test/contract.spec.js: the shared plugin contract test (describePluginContract) for the scaffolded plugin. */
function contractTest(kind: PluginKind, name: string): string {
  return `// The shared plugin contract for "${name}" (describePluginContract of @fusion/core/testing): registered by the module,
// a strict options schema with its defaults${kind === 'dataset' ? ', the same recordings from two loads' : ', the config round trip (save -> load predicts the same), the same initial\n// weights and outputs for the same seed, and on cpu and wasm no tensor left behind'}. Run it with \`npm test\`.
${kind === 'dataset' ? "const path = require('path');\n" : ''}const { describePluginContract } = require('@fusion/core/testing');
const plugin = require('../index.js');

describePluginContract({ kind: '${kind}', type: '${name}', module: plugin.default, ${contractOptions(kind, name)} });
`;
}

/**
 * The \`npm test\` script: \`fusion-cli test-plugin\` runs test/*.spec.js with the framework's own mocha, the folder's
 * modules resolving the framework's packages (no machine paths, so the folder and the framework may move).
 */
const TEST_SCRIPT = 'fusion-cli test-plugin';

/** `fusion-cli new-plugin <kind> <name>`: a folder with a working plugin of that kind, its package.json and a spec using it. */
export function newPluginCommand(kind: string, name: string, o: { dir?: string; json?: boolean }, term: Terminal): void {
  if (!(PLUGIN_KINDS as readonly string[]).includes(kind)) throw new UsageError(`kind must be one of ${PLUGIN_KINDS.join(', ')}, received "${kind}".`);
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new UsageError(`plugin name "${name}": use lower-case letters, digits and "-", starting with a letter (it becomes the "type" in specs and the folder name).`);
  const target = path.resolve(o.dir ?? name);
  if (fs.existsSync(target) && fs.readdirSync(target).length) throw new UsageError(`${target} exists and is not empty; nothing was written. Choose another name or --dir.`);
  const k = kind as PluginKind;
  const core = (() => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('@fusion/core/package.json') as { version: string }).version;
    } catch {
      return '0.1.0';
    }
  })();
  const files: Record<string, string> = {
    'index.js': pluginSource(k, name),
    'test/contract.spec.js': contractTest(k, name),
    'spec.json': JSON.stringify(exampleSpec(k, name), null, 2).replace('"dir": "runs/' + name + '"', '"dir": "runs/${name}"') + '\n',
    'package.json':
      JSON.stringify(
        {
          name: `fusion-plugin-${name}`,
          version: '0.1.0',
          description: `a fusion ${kind} plugin`,
          main: 'index.js',
          scripts: { test: TEST_SCRIPT },
          // The framework's own copies are used: a second @fusion/core, inversify or @tensorflow/* cannot work.
          peerDependencies: { '@fusion/core': `^${core}`, inversify: '^6.2.2' },
        },
        null,
        2
      ) + '\n',
    'README.md': `# ${name}: a fusion ${kind} plugin\n\nCheck it and try it (from this folder):\n\n    fusion-cli validate spec.json\n    fusion-cli summary spec.json\n    fusion-cli run spec.json --workers 1\n    npm test    # = fusion-cli test-plugin: the shared plugin contract (test/contract.spec.js) with the framework's mocha\n\nWhere fusion-cli is not on PATH (installed in a project, not globally), run \`npx fusion-cli test-plugin <this folder>\` from that project.\n\nDo not install @fusion/core, inversify or @tensorflow/* here: the framework's copies are used (list them under peerDependencies).\n`,
  };
  fs.mkdirSync(target, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(target, f)), { recursive: true });
    fs.writeFileSync(path.join(target, f), text);
  }
  if (o.json) return term.printJson({ dir: target, kind, type: name, files: Object.keys(files) });
  term.result(`a ${kind} plugin "${name}" in ${path.relative(process.cwd(), target) || '.'}/ (${Object.keys(files).join(', ')})\nnext: cd ${path.relative(process.cwd(), target) || '.'} && fusion-cli validate spec.json && fusion-cli run spec.json --workers 1`);
}
