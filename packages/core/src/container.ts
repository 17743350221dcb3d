import { Container, ContainerModule, interfaces } from 'inversify';
import * as path from 'path';
import { describeThrown, describeValue, PluginError } from './errors';
import { checkPluginObject, PluginKind } from './plugin-guard';
import { preparePluginModule } from './plugin-host';
import { DatasetAdapterContribution, EncoderContribution, FusionContribution, HeadContribution } from './plugins';
import { DatasetAdapterRegistry, EncoderRegistry, FusionRegistry, HeadRegistry, Registries } from './registry';

/** Core's own bindings: the registries (singletons collecting every package's contributions). */
export const coreModule = new ContainerModule((bind) => {
  bind(DatasetAdapterRegistry).toSelf().inSingletonScope();
  bind(EncoderRegistry).toSelf().inSingletonScope();
  bind(FusionRegistry).toSelf().inSingletonScope();
  bind(HeadRegistry).toSelf().inSingletonScope();
});

/** A fresh container holding core and the given modules. */
export function createContainer(...modules: interfaces.ContainerModule[]): Container {
  const c = new Container();
  c.load(coreModule, ...modules);
  return c;
}

export function getRegistries(c: interfaces.Container): Registries {
  return {
    datasets: c.get(DatasetAdapterRegistry),
    encoders: c.get(EncoderRegistry),
    fusions: c.get(FusionRegistry),
    heads: c.get(HeadRegistry),
  };
}

const CONTRIBUTIONS: [symbol, PluginKind, keyof Registries][] = [
  [DatasetAdapterContribution, 'dataset adapter', 'datasets'],
  [EncoderContribution, 'encoder', 'encoders'],
  [FusionContribution, 'fusion', 'fusions'],
  [HeadContribution, 'head', 'heads'],
];

/** What `require` is asked for a spec's plugin entry: a path relative to the spec's folder, or a package name. */
export function pluginRequest(spec: string, baseDir: string): string {
  return spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(baseDir, spec) : spec;
}

/** Requires a plugin module; a module that cannot be found or throws while loading is a `PluginError`. */
function requirePlugin(spec: string, resolved: string, baseDir: string): { file: string; mod: Record<string, unknown> } {
  let file: string;
  try {
    file = require.resolve(resolved, { paths: [baseDir] });
  } catch (e) {
    throw new PluginError(
      `"${spec}"`,
      `not found (resolved to ${resolved}): ${describeThrown(e).split('\n')[0]}. Give a path relative to the spec file or an installed package name.`
    );
  }
  // A plugin in its own folder resolves the framework's packages; its own copy of TensorFlow.js is refused.
  preparePluginModule(spec, file);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod: unknown = require(file);
    if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) throw new PluginError(file, `module.exports is ${describeValue(mod)}; expected an object with a ContainerModule.`);
    return { file, mod: mod as Record<string, unknown> };
  } catch (e) {
    if (e instanceof PluginError) throw e; // DuplicateTensorFlowError too
    const missing = (e as { code?: string })?.code === 'MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec((e as Error).message)?.[1] : undefined;
    if (missing && missing !== file) {
      const local = missing.startsWith('.') || path.isAbsolute(missing);
      const pkg = missing.split('/').slice(0, missing.startsWith('@') ? 2 : 1).join('/');
      throw new PluginError(
        file,
        `the plugin file was found, but a module it requires is missing: "${missing}". ` +
          (local ? `Put that file where the plugin expects it.` : `Install the dependency where the plugin can see it (npm install ${pkg} in the plugin's folder or a parent of it).`)
      );
    }
    throw new PluginError(file, `threw while loading: ${describeThrown(e).split('\n')[0]}. Fix the plugin module.`);
  }
}

/**
 * Loads third-party plugin modules named in a spec (`plugins: ["./my-plugin.js"]`). A module exports a
 * `ContainerModule` as `default` or as `containerModule`; it is loaded before the spec is validated, so its
 * plugins' options are validated like built-in ones. Every plugin a module binds is checked (a type, a method, a
 * schema that compiles) and remembered with its file, so a plugin that fails when called is named with its file.
 * Anything a module does wrong is a `PluginError` naming its file.
 */
export function loadPluginModules(c: Container, specifiers: readonly string[], baseDir: string): string[] {
  const loaded: string[] = [];
  const origins: [keyof Registries, string, string][] = [];
  const resolveAll = (token: symbol): unknown[] => (c.isBound(token) ? c.getAll<unknown>(token) : []);
  for (const spec of specifiers) {
    const resolved = pluginRequest(spec, baseDir);
    const { file, mod } = requirePlugin(spec, resolved, baseDir);
    const m = (mod.default ?? mod.containerModule) as unknown;
    if (!(m instanceof ContainerModule) && !(m && typeof (m as { registry?: unknown }).registry === 'function')) {
      throw new PluginError(
        file,
        `"${spec}" exports no ContainerModule; expected \`module.exports.default = new ContainerModule(bind => ...)\` ` +
          `(or \`containerModule\`), found exports: ${Object.keys(mod).join(', ') || '(none)'}.`
      );
    }
    // Built-ins and earlier modules come first: what this module adds is at the end of each contribution list.
    const before = CONTRIBUTIONS.map(([token]) => resolveAll(token).length);
    try {
      c.load(m as interfaces.ContainerModule);
    } catch (e) {
      throw new PluginError(file, `its ContainerModule failed when loaded: ${describeThrown(e)}. Fix the module's bind(...) calls.`);
    }
    CONTRIBUTIONS.forEach(([token, kind, key], i) => {
      let all: unknown[];
      try {
        all = resolveAll(token);
      } catch (e) {
        throw new PluginError(file, `a ${kind} it binds cannot be created: ${describeThrown(e)}. Bind plugin objects with toConstantValue(...) or @injectable() classes.`);
      }
      for (const p of all.slice(before[i])) origins.push([key, checkPluginObject(kind, p, file).type, file]);
    });
    loaded.push(file);
  }
  if (origins.length) {
    const reg = getRegistries(c);
    for (const [key, type, file] of origins) reg[key].setOrigin(type, file);
  }
  return loaded;
}
