import * as fs from 'fs';
import * as path from 'path';
import type { Container } from 'inversify';
import { getRegistries, loadPluginModules } from './container';
import { SpecValidationError } from './errors';
import { notRegularFile } from './file-kind';
import { parseSpecText, SpecValidator } from './schema';
import type { GraphSpec } from './spec';

export interface LoadOptions {
  /** Overrides the spec's `training.maxMemoryMB` (written into the spec, so worker processes get the same limit). */
  maxMemoryMB?: number;
}

export interface LoadedSpec {
  spec: GraphSpec;
  file: string;
  baseDir: string;
  plugins: string[];
}

/**
 * Reads a spec file, loads the plugin modules it names into the container, then validates it against the schema
 * assembled from every registered plugin (filling defaults).
 */
export function loadSpecFile(file: string, container: Container, opts: LoadOptions = {}): LoadedSpec {
  const abs = path.resolve(file);
  // stat before open: a FIFO or /dev/zero given as the spec would block or never end
  const why = notRegularFile(abs);
  if (why === 'does not exist') {
    throw new SpecValidationError(file, [{ path: '', message: `spec file not found (looked for ${abs}). Give the path to a JSON spec, e.g. specs/emoheal-quick.json.` }]);
  }
  if (why !== undefined) throw new SpecValidationError(file, [{ path: '', message: `the spec file ${abs} ${why}. Give the path to a JSON spec file.` }]);
  const raw = parseSpecText(fs.readFileSync(abs, 'utf8'), file);
  return { ...loadSpecObject(raw, container, path.dirname(abs), file, opts), file: abs };
}

/**
 * Validates a spec object whose relative paths refer to `baseDir` (plugins are loaded from there first). Used for
 * spec files and for specs handed to worker processes.
 */
export function loadSpecObject(raw: unknown, container: Container, baseDir: string, file?: string, opts: LoadOptions = {}): LoadedSpec {
  const pluginList = (raw as { plugins?: unknown })?.plugins;
  let plugins: string[] = [];
  if (pluginList !== undefined) {
    if (!Array.isArray(pluginList) || pluginList.some((p) => typeof p !== 'string')) {
      throw new SpecValidationError(file, [{ path: '/plugins', message: `found ${JSON.stringify(pluginList)}, expected an array of module paths (strings).` }]);
    }
    plugins = loadPluginModules(container, pluginList as string[], baseDir);
  }
  if (opts.maxMemoryMB !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as { training?: unknown };
    // A training value that is not an object is left for the schema to report.
    if (r.training === undefined) r.training = { maxMemoryMB: opts.maxMemoryMB };
    else if (r.training !== null && typeof r.training === 'object' && !Array.isArray(r.training)) (r.training as Record<string, unknown>).maxMemoryMB = opts.maxMemoryMB;
  }
  const spec = new SpecValidator(getRegistries(container)).check(raw, file);
  return { spec, file: file ?? '', baseDir, plugins };
}

/** The output folder of a spec: `output.dir` with `${name}` replaced, relative to the working folder. */
export function resolveOutputDir(spec: GraphSpec, override?: string): string {
  return path.resolve(override ?? spec.output.dir.replace(/\$\{name\}/g, spec.name));
}
