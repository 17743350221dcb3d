import { injectable, multiInject, optional } from 'inversify';
import { DuplicatePluginError, UnknownPluginError } from './errors';
import {
  DatasetAdapter,
  DatasetAdapterContribution,
  EncoderContribution,
  EncoderPlugin,
  FusionContribution,
  FusionPlugin,
  HeadContribution,
  HeadPlugin,
  PluginBase,
} from './plugins';

/** One registry per plugin kind, keyed by the plugin's `type`. */
export class PluginRegistry<P extends PluginBase> {
  private readonly byType = new Map<string, P>();
  /** The module file of each third-party plugin (built-ins have none), for error messages. */
  private readonly origins = new Map<string, string>();

  constructor(readonly kind: string, plugins: readonly P[] = []) {
    for (const p of plugins) this.register(p);
  }

  register(plugin: P): void {
    if (this.byType.has(plugin.type)) throw new DuplicatePluginError(this.kind, plugin.type, this.types());
    this.byType.set(plugin.type, plugin);
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  get(type: string): P {
    const p = this.byType.get(type);
    if (!p) throw new UnknownPluginError(this.kind, type, this.types());
    return p;
  }

  setOrigin(type: string, file: string): void {
    this.origins.set(type, file);
  }

  /** The module file a plugin was loaded from (`plugins` in a spec); undefined for a built-in. */
  originOf(type: string): string | undefined {
    return this.origins.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  all(): P[] {
    return this.types().map((t) => this.byType.get(t)!);
  }
}

@injectable()
export class DatasetAdapterRegistry extends PluginRegistry<DatasetAdapter> {
  constructor(@multiInject(DatasetAdapterContribution) @optional() plugins: DatasetAdapter[] = []) {
    super('dataset adapter', plugins);
  }
}

@injectable()
export class EncoderRegistry extends PluginRegistry<EncoderPlugin> {
  constructor(@multiInject(EncoderContribution) @optional() plugins: EncoderPlugin[] = []) {
    super('encoder', plugins);
  }
}

@injectable()
export class FusionRegistry extends PluginRegistry<FusionPlugin> {
  constructor(@multiInject(FusionContribution) @optional() plugins: FusionPlugin[] = []) {
    super('fusion', plugins);
  }
}

@injectable()
export class HeadRegistry extends PluginRegistry<HeadPlugin> {
  constructor(@multiInject(HeadContribution) @optional() plugins: HeadPlugin[] = []) {
    super('head', plugins);
  }
}

/** All four registries, as the rest of core consumes them. */
export interface Registries {
  datasets: DatasetAdapterRegistry;
  encoders: EncoderRegistry;
  fusions: FusionRegistry;
  heads: HeadRegistry;
}
