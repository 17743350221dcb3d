import * as fs from 'fs';
import * as path from 'path';
import { DuplicateTensorFlowError } from './errors';

/**
 * What a plugin module shares with the framework. A plugin in its own folder (outside the repository or install)
 * may `require('@fusion/core')`, `inversify`, `rxjs` or `@tensorflow/*` without installing them: when Node finds no
 * copy from the plugin's folder, the framework's own copy is used. A second copy of TensorFlow.js cannot work (see
 * DuplicateTensorFlowError) and is refused when the plugin is loaded.
 */
const SHARED = /^(@fusion\/[^/]+|@tensorflow\/[^/]+|inversify|rxjs|reflect-metadata)(\/.*)?$/;

const pluginRoots = new Set<string>();
let hooked = false;
/** True while the framework's copy is being resolved (its own resolution must not be redirected again). */
let redirecting = false;
/** The folder holding the framework's packages (this repository or the install's node_modules). */
const FRAMEWORK_CORE = fs.realpathSync(path.resolve(__dirname, '..', '..'));

interface ModuleInternals {
  _resolveFilename(request: string, parent: { filename?: string | null } | undefined, isMain: boolean, options?: unknown): string;
}

function underPluginFolder(file: string | null | undefined): boolean {
  if (!file || file.startsWith(FRAMEWORK_CORE + path.sep)) return false;
  for (const root of pluginRoots) if (file === root || file.startsWith(root + path.sep)) return true;
  return false;
}

/** The framework's copy of a shared package (resolved from core, else from the running program). */
function resolveFromFramework(request: string): string {
  try {
    return require.resolve(request);
  } catch (e) {
    const main = require.main?.filename;
    if (!main) throw e;
    return require.resolve(request, { paths: [path.dirname(main)] });
  }
}

function installSharedResolution(): void {
  if (hooked) return;
  hooked = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as ModuleInternals;
  const original = Module._resolveFilename;
  Module._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (e) {
      if (redirecting || (e as { code?: string }).code !== 'MODULE_NOT_FOUND' || !SHARED.test(request) || !underPluginFolder(parent?.filename)) throw e;
      redirecting = true;
      try {
        return resolveFromFramework(request);
      } catch {
        throw e; // the framework has none either: Node's own error
      } finally {
        redirecting = false;
      }
    }
  };
}

/**
 * The folder a plugin module belongs to: the nearest folder above it with a package.json, else its own folder; never
 * a folder holding the framework itself (a plugin file inside the repository is its own folder).
 */
export function pluginFolderOf(file: string): string {
  const own = path.dirname(fs.realpathSync(file));
  for (let d = own; ; d = path.dirname(d)) {
    if (FRAMEWORK_CORE === d || FRAMEWORK_CORE.startsWith(d + path.sep)) return own;
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return own;
  }
}

function copyOf(file: string): string {
  const real = fs.realpathSync(file);
  for (let d = path.dirname(real); path.dirname(d) !== d; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const j = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (j.name?.startsWith('@tensorflow/')) return `${j.name}@${j.version ?? '?'} at ${d}`;
      } catch {
        /* not a readable package.json: keep looking */
      }
    }
  }
  return real;
}

/**
 * Prepares the loading of the plugin module `file` (named `name` in the spec): refuses a plugin that would load a
 * second TensorFlow.js, and lets the modules under its folder use the framework's shared packages.
 */
export function preparePluginModule(name: string, file: string): void {
  const folder = pluginFolderOf(file);
  for (const pkg of ['@tensorflow/tfjs-core', '@tensorflow/tfjs']) {
    let theirs: string | undefined;
    try {
      theirs = fs.realpathSync(require.resolve(pkg, { paths: [folder] }));
    } catch {
      theirs = undefined; // none of its own: the framework's is used
    }
    if (theirs === undefined) continue;
    let ours: string;
    try {
      ours = fs.realpathSync(resolveFromFramework(pkg));
    } catch {
      continue;
    }
    if (theirs !== ours) throw new DuplicateTensorFlowError(name, copyOf(theirs), copyOf(ours));
  }
  pluginRoots.add(folder);
  installSharedResolution();
}
