import Ajv, { ErrorObject } from 'ajv';
import { SpecIssue, SpecValidationError, UnknownPluginError } from './errors';
import type { CheckContext, PluginBase } from './plugins';
import { checkMemory } from './model/memory';
import { inferGraph, kindRegistry, nodeCheckContext, specGraph } from './model/graph';
import { outputIssues } from './model/outputs';
import { eventInputIssues, inputRateIssues } from './model/input-rates';
import { DEFAULT_MAX_GAP, MAX_GAP_LIMIT } from './preprocess/events';
import type { PluginRegistry, Registries } from './registry';
import { evaluationSchema, GraphSpec, PluginConfig, preprocessingSchema, trainingSchema } from './spec';
import { sweepIssues } from './sweep';

/** The spec schema's union of one kind's plugins (a discriminator on `type`). */
export function pluginUnion(kind: string, plugins: PluginBase[]): Record<string, unknown> {
  if (plugins.length === 0) return { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, description: kind };
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string' } },
    discriminator: { propertyName: 'type' },
    oneOf: plugins.map((p) => p.schema),
    description: `${kind}: one of ${plugins.map((p) => p.type).join(', ')}`,
  };
}

/** Names of graph inputs, nodes and outputs (they become parts of layer names). */
const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';

/** The graph-spec JSON Schema, assembled from the registered plugins' own schemas. */
export function assembleSpecSchema(reg: Registries): Record<string, unknown> {
  const sensors = [...new Set(reg.datasets.all().flatMap((d) => [...d.sensors, ...(d.events ?? [])]))].sort();
  const encoder = pluginUnion('encoder', reg.encoders.all());
  return {
    $id: 'https://fusion.dev/schema/graph-spec.json',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'dataset'],
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1, pattern: '^(?!\\.\\.?$)[A-Za-z0-9._-]+$' },
      description: { type: 'string' },
      plugins: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 42 },
      dataset: pluginUnion('dataset adapter', reg.datasets.all()),
      sensors: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: sensors.length ? { enum: sensors } : { type: 'string' },
      },
      preprocessing: preprocessingSchema,
      encoder,
      encoders: { type: 'object', minProperties: 1, additionalProperties: encoder },
      fusion: pluginUnion('fusion', reg.fusions.all()),
      head: pluginUnion('head', reg.heads.all()),
      inputs: {
        type: 'object',
        description: 'graph form: named sensor inputs',
        minProperties: 1,
        maxProperties: 64,
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['sensor'],
          properties: {
            sensor: sensors.length ? { enum: sensors } : { type: 'string', minLength: 1 },
            rate: { type: 'number', exclusiveMinimum: 0, maximum: 1024, description: 'samples per second (default: preprocessing.sampleRate); the sensor native rate or an integer divisor of it' },
            maxMissing: { type: 'number', minimum: 0, maximum: 1, description: "fraction of this input's samples a window may miss (default: preprocessing.maxMissing)" },
            missing: {
              type: 'object',
              additionalProperties: false,
              required: ['maxGap'],
              description: 'event inputs only (e.g. ibi): the rule that makes a resampled sample missing',
              properties: {
                maxGap: { type: 'number', exclusiveMinimum: 0, maximum: MAX_GAP_LIMIT, description: `a sample more than this many seconds after the last event is missing (default ${DEFAULT_MAX_GAP})` },
              },
            },
          },
        },
      },
      nodes: {
        type: 'object',
        description: 'graph form: named nodes, each a model plugin ("type" and its options) with the inputs it takes',
        minProperties: 1,
        maxProperties: 256,
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: {
          type: 'object',
          required: ['type', 'inputs'],
          properties: {
            type: { type: 'string', minLength: 1 },
            inputs: { type: 'array', minItems: 1, maxItems: 256, uniqueItems: true, items: { type: 'string', minLength: 1 } },
          },
        },
      },
      outputs: {
        type: 'object',
        description: 'graph form: the outputs, each naming its node and label',
        minProperties: 1,
        maxProperties: 16,
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['node'],
          properties: {
            node: { type: 'string', minLength: 1 },
            label: { type: 'string', minLength: 1 },
            classes: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, maxItems: 1000, uniqueItems: true },
            lossWeight: { type: 'number', maximum: 1000, default: 1, description: 'weight of this output in the training loss (> 0)' },
          },
        },
      },
      training: trainingSchema,
      evaluation: evaluationSchema,
      sweep: {
        type: 'object',
        description: 'hyper-parameter sweep: dotted option paths mapped to lists of values (the grid is trained; each fold keeps the point best on its validation subjects)',
        maxProperties: 16,
        additionalProperties: { type: 'array', minItems: 1, maxItems: 100 },
      },
      output: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: { dir: { type: 'string', minLength: 1, default: 'runs/${name}' } },
      },
    },
  };
}

function pointerGet(root: unknown, pointer: string): unknown {
  if (!pointer) return root;
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = brief(v, 0);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

/**
 * JSON text of a value, cut short: at most 3 levels deep and about 80 characters. `JSON.stringify` of the whole value
 * would overflow the stack on a deeply nested value (e.g. 5000 nested arrays, which JSON.parse accepts).
 */
function brief(v: unknown, depth: number): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const isArray = Array.isArray(v);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (depth >= 3) return `${open}...${close}`;
  const parts: string[] = [];
  let length = 0;
  const entries = isArray ? (v as unknown[]).map((x) => ['', x] as const) : Object.entries(v as object);
  for (const [k, x] of entries) {
    if (length > 80) {
      parts.push('...');
      break;
    }
    if (!isArray && x === undefined) continue;
    const part = (isArray ? '' : `${JSON.stringify(k)}:`) + brief(x, depth + 1);
    parts.push(part);
    length += part.length + 1;
  }
  return open + parts.join(',') + close;
}

function kindFor(path: string): string | undefined {
  if (/^\/dataset$/.test(path)) return 'dataset adapter';
  if (/^\/(encoder|encoders\/[^/]+)$/.test(path)) return 'encoder';
  if (/^\/fusion$/.test(path)) return 'fusion';
  if (/^\/head$/.test(path)) return 'head';
  if (/^\/nodes\/[^/]+$/.test(path)) return 'model node';
  return undefined;
}

function describe(e: ErrorObject, spec: unknown, reg: Registries): SpecIssue {
  const found = pointerGet(spec, e.instancePath);
  const p = e.params as Record<string, unknown>;
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties':
      // `parentSchema` is filled because the validator is compiled with `verbose`.
      message = `unknown option "${p.additionalProperty}"; allowed options here: ${Object.keys(
        ((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {}
      ).join(', ')}. Remove or rename it.`;
      break;
    case 'uniqueItems': {
      const items = found as unknown[];
      const [first, again] = [Math.min(p.i as number, p.j as number), Math.max(p.i as number, p.j as number)];
      return {
        path: `${e.instancePath}/${again}`,
        message: `${show(items[again])} appears twice (first at ${e.instancePath}/${first}); each entry must be unique. Remove or rename the duplicate.`,
      };
    }
    case 'required':
      message = `missing required option "${p.missingProperty}". Add it.`;
      break;
    case 'enum':
      message = `found ${show(found)}, expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`;
      break;
    case 'const':
      message = `found ${show(found)}, expected ${JSON.stringify(p.allowedValue)}.`;
      break;
    case 'type':
      message = `found ${show(found)} (${Array.isArray(found) ? 'array' : found === null ? 'null' : typeof found}), expected ${p.type}.`;
      break;
    case 'discriminator': {
      const kind = kindFor(e.instancePath) ?? 'plugin';
      const known =
        kind === 'dataset adapter' ? reg.datasets.types() : kind === 'encoder' ? reg.encoders.types() : kind === 'fusion' ? reg.fusions.types() : kind === 'head' ? reg.heads.types() : [];
      if (p.error === 'mapping') {
        message = new UnknownPluginError(kind, String((found as Record<string, unknown>)?.type), known).message;
      } else {
        message = `"type" must be a string naming a ${kind}; known: ${known.join(', ')}.`;
      }
      break;
    }
    default:
      message = `found ${show(found)}: ${e.message ?? e.keyword}.`;
  }
  return { path: e.instancePath, message };
}

/** The Ajv settings specs are validated with (plugin schemas are checked with the same). */
export function specAjv(): Ajv {
  return new Ajv({ strict: true, allErrors: true, useDefaults: true, discriminator: true, allowUnionTypes: true, verbose: true });
}

/** Compiles the assembled schema once per set of registries and validates specs against it. */
export class SpecValidator {
  private readonly validate: ReturnType<Ajv['compile']>;
  readonly schema: Record<string, unknown>;

  constructor(private readonly registries: Registries) {
    this.schema = assembleSpecSchema(registries);
    const ajv = specAjv();
    this.validate = ajv.compile(this.schema);
  }

  /** Validates in place (filling defaults) and returns the typed spec, or throws `SpecValidationError`. */
  check(spec: unknown, file?: string): GraphSpec {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new SpecValidationError(file, [{ path: '', message: `found ${show(spec)}, expected a JSON object.` }]);
    }
    const ok = this.validate(spec);
    const issues: SpecIssue[] = [];
    if (!ok) {
      const errs = this.validate.errors ?? [];
      const seen = new Set<string>();
      for (const e of errs) {
        // `oneOf` failures restate their branches' errors; keep the specific ones.
        if (e.keyword === 'oneOf' && errs.some((o) => o !== e && o.instancePath.startsWith(e.instancePath))) continue;
        const issue = describe(e, spec, this.registries);
        const key = issue.path + issue.message;
        if (!seen.has(key)) {
          seen.add(key);
          issues.push(issue);
        }
      }
    }
    const s = spec as GraphSpec;
    const sensorsGiven = ok && (spec as GraphSpec).sensors !== undefined;
    if (ok) {
      const graphForm = s.nodes !== undefined || s.inputs !== undefined || s.outputs !== undefined;
      if (graphForm) issues.push(...this.graphFormIssues(s));
      else {
        for (const k of ['sensors', 'fusion', 'head'] as const) {
          if (s[k] === undefined) issues.push({ path: '', message: `missing required option "${k}". Add it (or give the model as a graph: "inputs", "nodes", "outputs").` });
        }
        if (!s.encoder && !s.encoders) issues.push({ path: '', message: 'missing "encoder" (one for all sensors) or "encoders" (one per sensor). Add one.' });
        const events = this.registries.datasets.has(s.dataset.type) ? this.registries.datasets.get(s.dataset.type).events ?? [] : [];
        (s.sensors ?? []).forEach((name, i) => {
          if (events.includes(name))
            issues.push({ path: `/sensors/${i}`, message: `"${name}" is an event series (irregular times), not a regular signal; the slot form stacks regular signals only. Give the model as a graph with an input {"sensor": "${name}", "rate": 4} (resampled onto that grid), or remove "${name}".` });
        });
      }
      if (s.encoder && s.encoders) issues.push({ path: '/encoders', message: 'give either "encoder" or "encoders", not both.' });
      if (s.encoders && s.sensors) {
        for (const k of Object.keys(s.encoders)) {
          if (!s.sensors.includes(k)) issues.push({ path: `/encoders/${k}`, message: `"${k}" is not in "sensors" (${s.sensors.join(', ')}).` });
        }
        for (const k of s.sensors) {
          if (!(k in s.encoders)) issues.push({ path: '/encoders', message: `sensor "${k}" has no encoder; add "encoders.${k}".` });
        }
      }
      const adapter = this.registries.datasets.get(s.dataset.type);
      // A graph-form spec without "sensors" names them in its inputs: point there.
      const inputOf = (name: string): string | undefined => (sensorsGiven ? undefined : Object.keys(s.inputs ?? {}).find((k) => s.inputs![k].sensor === name));
      (s.sensors ?? []).forEach((name, i) => {
        const at = inputOf(name);
        if (!adapter.sensors.includes(name) && !adapter.events?.includes(name))
          issues.push({ path: at ? `/inputs/${at}/sensor` : `/sensors/${i}`, message: `dataset "${adapter.type}" has no sensor "${name}"; it provides ${[...adapter.sensors, ...(adapter.events ?? [])].join(', ')}.` });
      });
      const p = s.preprocessing;
      const len = p.window * p.sampleRate;
      if (Math.abs(len - Math.round(len)) > 1e-6 || len < 2)
        issues.push({ path: '/preprocessing/window', message: `window x sampleRate = ${len} samples; expected a whole number >= 2. Adjust window or sampleRate.` });
      else if (len > MAX_WINDOW_SAMPLES)
        issues.push({ path: '/preprocessing/window', message: `window x sampleRate = ${len} samples; expected at most ${MAX_WINDOW_SAMPLES}. Shorten the window or lower sampleRate.` });
      if (p.hop * p.sampleRate < 1 - 1e-9)
        issues.push({ path: '/preprocessing/hop', message: `hop x sampleRate = ${p.hop * p.sampleRate} samples; expected at least 1 sample between windows. Make hop >= ${1 / p.sampleRate} s or raise sampleRate.` });
      if (p.label.mapping === 'threshold' && p.label.classes.length !== 2)
        issues.push({ path: '/preprocessing/label/classes', message: `threshold mapping gives 2 classes, found ${p.label.classes.length} names.` });
      if (!issues.length) issues.push(...this.pluginIssues(s));
    }
    if (ok && !issues.length) issues.push(...sweepIssues(s, (raw) => this.check(raw, file)));
    // Only a spec that is otherwise valid has sizes worth estimating; throws ModelTooLargeError.
    if (ok && !issues.length) checkMemory(s, this.registries, file);
    if (issues.length) throw new SpecValidationError(file, issues);
    return s;
  }

  /** The plugins' own `check`s (paths prefixed with their config's), and the per-sensor encoders' agreement. */
  private pluginIssues(s: GraphSpec): SpecIssue[] {
    const p = s.preprocessing;
    const events = Object.values(s.inputs ?? {}).filter((i) => i.missing !== undefined).map((i) => i.sensor);
    const ctx: CheckContext = { sensors: s.sensors, length: Math.round(p.window * p.sampleRate), classes: p.label.classes.length, sampleRate: p.sampleRate, window: p.window, ...(events.length ? { events } : {}) };
    const issues: SpecIssue[] = [];
    // A kind with no plugin registered accepts any "type" (see pluginUnion): nothing to check then.
    const run = (registry: PluginRegistry<PluginBase>, cfg: PluginConfig, pointer: string, c: CheckContext = ctx): void => {
      if (!registry.has(cfg.type)) return;
      for (const i of registry.get(cfg.type).check?.(cfg, c) ?? []) issues.push({ path: pointer + i.path, message: i.message });
    };
    const reg = this.registries;
    run(reg.datasets, s.dataset, '/dataset');
    if (s.nodes) {
      const g = specGraph(s);
      const inf = inferGraph(g, reg, ctx.length, p.window);
      if (inf.issues.length) return [...issues, ...inf.issues];
      for (const name of inf.order) {
        const info = inf.nodes[name];
        if (info?.kind) run(kindRegistry(reg, info.kind), g.nodes[name].config, g.nodes[name].pointer, nodeCheckContext(ctx, info));
      }
      return issues;
    }
    if (s.encoder) run(reg.encoders, s.encoder, '/encoder');
    else {
      for (const name of s.sensors) run(reg.encoders, s.encoders![name], `/encoders/${name}`, { ...ctx, sensors: [name] });
      if (!issues.length) issues.push(...encoderAgreement(s, reg, ctx.length));
    }
    run(reg.fusions, s.fusion!, '/fusion');
    run(reg.heads, s.head!, '/head');
    return issues;
  }

  private nodeValidator?: ReturnType<Ajv['compile']>;

  /**
   * The graph form's own checks before the plugins': no slot keys beside it, each node's options against its plugin's
   * schema (defaults filled), inputs' rates (`inputRateIssues`), and the outputs (`outputIssues`: the first one's label and classes drive the windows).
   * Fills `sensors` from the inputs when it is not given.
   */
  private graphFormIssues(s: GraphSpec): SpecIssue[] {
    const issues: SpecIssue[] = [];
    for (const k of ['encoder', 'encoders', 'fusion', 'head'] as const) {
      if (s[k] !== undefined) issues.push({ path: `/${k}`, message: `the graph form ("inputs", "nodes", "outputs") replaces "${k}": make it a node or remove it.` });
    }
    for (const k of ['inputs', 'nodes', 'outputs'] as const) {
      if (s[k] === undefined) issues.push({ path: '', message: `the graph form needs "inputs", "nodes" and "outputs"; "${k}" is missing. Add it.` });
    }
    if (issues.length) return issues;
    const reg = this.registries;
    if (!this.nodeValidator) {
      const seen = new Set<string>();
      const plugins = [...reg.encoders.all(), ...reg.fusions.all(), ...reg.heads.all()].filter((p) => !seen.has(p.type) && seen.add(p.type));
      const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true, discriminator: true, allowUnionTypes: true, verbose: true });
      this.nodeValidator = ajv.compile(pluginUnion('model node', plugins));
    }
    const known = [...reg.encoders.types(), ...reg.fusions.types(), ...reg.heads.types()];
    for (const [name, node] of Object.entries(s.nodes!)) {
      const { inputs, ...config } = node;
      const pointer = `/nodes/${name}`;
      if (!known.includes(config.type)) {
        issues.push({ path: `${pointer}/type`, message: `unknown node type "${config.type}"; known: ${known.join(', ')}. Fix the type, or add the module that provides it to "plugins".` });
        continue;
      }
      if (!this.nodeValidator(config)) {
        for (const e of this.nodeValidator.errors ?? []) {
          if (e.keyword === 'oneOf' || e.keyword === 'discriminator') continue;
          const i = describe(e, config, reg);
          issues.push({ path: pointer + i.path, message: i.message });
        }
        continue;
      }
      Object.assign(node, config, { inputs });
    }
    const adapter = reg.datasets.has(s.dataset.type) ? reg.datasets.get(s.dataset.type) : undefined;
    issues.push(...eventInputIssues(s, adapter));
    issues.push(...inputRateIssues(s, adapter));
    const sensors = [...new Set(Object.values(s.inputs!).map((i) => i.sensor))];
    if (s.sensors === undefined) s.sensors = sensors;
    else {
      for (const [name, i] of Object.entries(s.inputs!)) {
        if (!s.sensors.includes(i.sensor)) issues.push({ path: `/inputs/${name}/sensor`, message: `sensor "${i.sensor}" is not in "sensors" (${s.sensors.join(', ')}). Add it there, or leave "sensors" out (the inputs' sensors are used).` });
      }
    }
    issues.push(...outputIssues(s, reg.datasets.get(s.dataset.type)));
    return issues;
  }
}

/** Per-sensor encoders are stacked: they must give the same time steps and features (checked where they can say). */
function encoderAgreement(s: GraphSpec, reg: Registries, length: number): SpecIssue[] {
  const out = s.sensors.map((name) => {
    const cfg = s.encoders![name];
    const e = reg.encoders.has(cfg.type) ? reg.encoders.get(cfg.type).estimate?.({ length, sensors: 1, features: 1 }, cfg) : undefined;
    return { name, e };
  });
  const ref = out.find((o) => o.e);
  if (!ref) return [];
  return out
    .filter((o) => o.e && (o.e.length !== ref.e!.length || o.e.features !== ref.e!.features))
    .map((o) => ({
      path: `/encoders/${o.name}`,
      message:
        `gives ${o.e!.length} time steps x ${o.e!.features} features, but encoders.${ref.name} gives ${ref.e!.length} x ${ref.e!.features}; ` +
        `per-sensor encoders are stacked and must agree. Match their last channel count and stride.`,
    }));
}

/** Parses JSON text, turning syntax errors into a `SpecValidationError` with line and column. */
export function parseSpecText(text: string, file: string): unknown {
  // A UTF-8 byte-order mark (written by some editors) is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    // Some V8 messages ("Unexpected token ...", "Unexpected end of JSON input") carry no position: find it ourselves.
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    let where = '';
    if (pos >= 0) {
      const before = text.slice(0, pos).split('\n');
      where = ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
    }
    throw new SpecValidationError(file, [{ path: '', message: `not valid JSON${where}: ${msg}. Fix the JSON syntax.` }]);
  }
  // JSON.parse keeps the last of two equal keys without a word; a spec with both is ambiguous.
  const dups = duplicateKeys(text);
  if (dups.length) {
    throw new SpecValidationError(
      file,
      dups.map((d) => ({ path: d.path, message: `duplicate key ${JSON.stringify(d.key)} (line ${d.line}; first at line ${d.firstLine}); JSON keeps only the last. Remove one.` }))
    );
  }
  return value;
}

/** Most samples in one window: beyond this even a small model's activations do not fit a batch. */
export const MAX_WINDOW_SAMPLES = 65536;

export interface DuplicateKey {
  /** JSON pointer of the repeated key. */
  path: string;
  key: string;
  /** 1-based lines of the repeat and of the first occurrence. */
  line: number;
  firstLine: number;
}

/**
 * Keys that appear twice in one object of valid JSON `text`, found on the token stream (iterative: deep nesting
 * cannot overflow the stack). JSON.parse itself gives no way to see them.
 */
export function duplicateKeys(text: string): DuplicateKey[] {
  type Frame = { kind: '{' | '['; pointer: string; keys: Map<string, number>; index: number; key?: string };
  const out: DuplicateKey[] = [];
  const stack: Frame[] = [];
  const esc = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
  let line = 1;
  let expectKey = false;
  const child = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.kind === '[' ? `${top.pointer}/${top.index}` : `${top.pointer}/${esc(top.key ?? '')}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '{' || c === '[') {
      stack.push({ kind: c, pointer: child(), keys: new Map(), index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top.kind === '[') top.index++;
      else expectKey = true;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const top = stack[stack.length - 1];
        const first = top.keys.get(key);
        top.key = key;
        if (first !== undefined) out.push({ path: child(), key, line, firstLine: first });
        else top.keys.set(key, line);
        expectKey = false;
      }
      i = j;
    }
  }
  return out;
}

/**
 * Offset of the first JSON syntax error in `text` (-1 when none is found). Iterative, so deep nesting cannot overflow
 * the stack; used only to place an error whose message has no position.
 */
function jsonErrorOffset(t: string): number {
  let i = 0;
  const stack: string[] = [];
  const ws = (): void => {
    while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  };
  const str = (): boolean => {
    if (t[i] !== '"') return false;
    i++;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const n = t[i + 1];
        if (n === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (n !== undefined && '"\\/bfnrt'.includes(n)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const key = (): boolean => {
    ws();
    if (!str()) return false;
    ws();
    if (t[i] !== ':') return false;
    i++;
    return true;
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  for (;;) {
    ws();
    const c = t[i];
    if (c === '{' || c === '[') {
      i++;
      ws();
      if (t[i] === (c === '{' ? '}' : ']')) i++;
      else {
        stack.push(c);
        if (c === '{' && !key()) return i;
        continue;
      }
    } else if (c === '"') {
      if (!str()) return i;
    } else {
      literal.lastIndex = i;
      if (!literal.exec(t)) return i;
      i = literal.lastIndex;
    }
    for (;;) {
      ws();
      if (stack.length === 0) return i < t.length ? i : -1;
      const top = stack[stack.length - 1];
      if (t[i] === ',') {
        i++;
        if (top === '{' && !key()) return i;
        break;
      }
      if (t[i] === (top === '{' ? '}' : ']')) {
        i++;
        stack.pop();
        continue;
      }
      return i;
    }
  }
}
