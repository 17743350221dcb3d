import { Container, ContainerModule, interfaces } from 'inversify';
import * as path from 'path';
import { DuplicateTensorFlowError, FusionError } from './errors';
import { preparePluginModule } from './plugin-host';
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

/**
 * Loads third-party plugin modules named in a spec (`plugins: ["./my-plugin.js"]`). A module exports a
 * `ContainerModule` as `default` or as `containerModule`; it is loaded before the spec is validated, so its
 * plugins' options are validated like built-in ones.
 */
export function loadPluginModules(c: Container, specifiers: readonly string[], baseDir: string): string[] {
  const loaded: string[] = [];
  for (const spec of specifiers) {
    const resolved = spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(baseDir, spec) : spec;
    let mod: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const file = require.resolve(resolved, { paths: [baseDir] });
      preparePluginModule(spec, file);
      mod = require(file);
    } catch (e) {
      if (e instanceof DuplicateTensorFlowError) throw e;
      throw new FusionError(
        `plugin "${spec}" (resolved to ${resolved}) could not be loaded: ${(e as Error).message}. ` +
          `Give a path relative to the spec file or an installed package name.`
      );
    }
    const m = (mod.default ?? mod.containerModule) as unknown;
    if (!(m instanceof ContainerModule) && !(m && typeof (m as { registry?: unknown }).registry === 'function')) {
      throw new FusionError(
        `plugin "${spec}" exports no ContainerModule; expected \`module.exports.default = new ContainerModule(bind => ...)\` ` +
          `(or \`containerModule\`), found exports: ${Object.keys(mod).join(', ') || '(none)'}.`
      );
    }
    c.load(m as interfaces.ContainerModule);
    loaded.push(resolved);
  }
  return loaded;
}
