import { describeThrown, describeValue, FusionError, PluginError } from './errors';
import type { Dataset, Recording } from './data';
import type { PluginBase } from './plugins';
import { pluginUnion, specAjv } from './schema';

/** The four plugin kinds, by the name their registries use. */
export type PluginKind = 'dataset adapter' | 'encoder' | 'fusion' | 'head';

/**
 * Checks an object a plugin module bound to a contribution token: a `type`, a `description`, a JSON Schema that
 * compiles as a branch of the spec schema (with `properties.type.const` naming the type), and its method. Throws a
 * `PluginError` naming `file` and what is wrong.
 */
export function checkPluginObject(kind: PluginKind, p: unknown, file: string): PluginBase {
  const o = p as Record<string, unknown> | null;
  const bad = (what: string): PluginError => new PluginError(file, `binds an invalid ${kind} plugin: ${what}.`);
  if (o === null || typeof o !== 'object') throw bad(`found ${describeValue(p)}, expected an object`);
  if (typeof o.type !== 'string' || !o.type) throw bad(`"type" is ${JSON.stringify(o.type) ?? 'undefined'}, expected a non-empty string`);
  const method = kind === 'dataset adapter' ? 'load' : 'apply';
  if (typeof o[method] !== 'function') throw bad(`${kind} "${o.type}" has no ${method}() function`);
  if (typeof o.description !== 'string') throw bad(`${kind} "${o.type}" has no "description" string`);
  if (kind === 'dataset adapter' && !(Array.isArray(o.sensors) && o.sensors.every((s) => typeof s === 'string')))
    throw bad(`dataset adapter "${o.type}" has no "sensors" array of names`);
  if (kind === 'dataset adapter' && o.readRecording !== undefined && typeof o.readRecording !== 'function')
    throw bad(`dataset adapter "${o.type}" has a "readRecording" that is ${describeValue(o.readRecording)}, expected a function (or none)`);
  const schema = o.schema as Record<string, unknown> | undefined;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw bad(`${kind} "${o.type}" has no "schema" object (its options' JSON Schema)`);
  try {
    specAjv().compile(pluginUnion(kind, [o as unknown as PluginBase]));
  } catch (e) {
    throw new PluginError(
      file,
      `the JSON Schema of ${kind} "${o.type}" is invalid: ${describeThrown(e).replace(/data\/oneOf\/0/g, 'schema')}. Fix its "schema": a JSON Schema object with ` +
        `\`properties: { type: { const: "${o.type}" } }\` and "required": ["type"], using only standard keywords.`
    );
  }
  return o as unknown as PluginBase;
}

/**
 * Calls a third-party plugin (`origin` is its module file; built-ins, with no origin, are called as they are): a
 * named error it throws passes through, anything else (a TypeError, `throw 42`) becomes a `PluginError`.
 */
export async function callPluginAsync<T>(origin: string | undefined, what: string, fn: () => Promise<T>): Promise<T> {
  if (!origin) return fn();
  try {
    return await fn();
  } catch (e) {
    throw wrapThrown(origin, what, e);
  }
}

export function callPlugin<T>(origin: string | undefined, what: string, fn: () => T): T {
  if (!origin) return fn();
  try {
    return fn();
  } catch (e) {
    throw wrapThrown(origin, what, e);
  }
}

function wrapThrown(origin: string, what: string, e: unknown): Error {
  if (e instanceof FusionError) return e;
  return new PluginError(origin, `${what} failed: ${describeThrown(e)}. This is a fault of the plugin; fix it or report it to its authors.`);
}

function badRecording(r: unknown): boolean {
  const x = r as Record<string, unknown> | null;
  return x === null || typeof x !== 'object' || typeof x.subject !== 'string' || !x.signals || typeof x.signals !== 'object' || !Array.isArray(x.labels);
}

/** Checks what a dataset adapter's `readRecording` returned: undefined (not its layout) or one recording. */
export function checkReadRecording(origin: string | undefined, type: string, r: unknown): Recording | undefined {
  if (r === undefined || !badRecording(r)) return r as Recording | undefined;
  const detail = `dataset adapter "${type}" readRecording() returned ${describeValue(r)}; expected undefined (not its layout) or a recording { subject, signals, labels }.`;
  if (origin) throw new PluginError(origin, detail);
  throw new Error(detail);
}

/** Checks what a dataset adapter's `load` returned (its top level: the readers check their own data). */
export function checkLoadedDataset(origin: string | undefined, type: string, d: unknown): Dataset {
  const o = d as Partial<Dataset> | null;
  let problem: string | undefined;
  if (o === null || typeof o !== 'object') problem = `returned ${describeValue(d)}`;
  else if (!Array.isArray(o.recordings)) problem = `returned an object whose "recordings" is ${JSON.stringify(o.recordings) ?? 'undefined'}`;
  else if (!Array.isArray(o.warnings)) problem = `returned an object whose "warnings" is ${JSON.stringify(o.warnings) ?? 'undefined'}`;
  else if (o.recordings.some(badRecording)) problem = `returned recording ${o.recordings.findIndex(badRecording)} without a "subject" string, a "signals" object and a "labels" array`;
  if (!problem) return o as Dataset;
  const detail = `dataset adapter "${type}" load() ${problem}; expected a Promise of { name, recordings: [{ subject, signals, labels }], warnings: [] }.`;
  if (origin) throw new PluginError(origin, detail);
  throw new Error(detail);
}
