import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Container } from 'inversify';
import { createContainer, FusionError, getRegistries, loadSpecFile, parseSpecText, SpecValidationError, SpecValidator } from '../src';
import { fakeModule, fakeSpec } from '../src/testing/fakes';

/**
 * Fuzzing of the spec front door (parseSpecText, SpecValidator.check, loadSpecFile): whatever comes in, the answer is
 * a typed spec or a SpecValidationError with at least one issue and a JSON path, never another exception and never a
 * hang. Bounded: each property has a run count and a time limit, the whole file stays well under 10 s.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const QUICK = path.join(ROOT, 'specs', 'emoheal-quick.json');
/** Per property: stop generating new cases after this long (fast-check reports how many ran). */
const BUDGET_MS = 2500;

/**
 * A container with the built-in plugins. Required at run time so core's compile-time dependencies stay unchanged (core
 * is built before the plugin packages; `npm test` builds them all first). A missing package fails the test: it is not
 * a reason to skip.
 */
function realContainer(): Container {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return createContainer(
    require('@fusion/sensors').sensorsModule,
    require('@fusion/encoders').encodersModule,
    require('@fusion/fusion').fusionModule,
    require('@fusion/heads').headsModule
  );
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Runs `fn` and classifies the outcome: ok, a SpecValidationError (checked for shape), or a failure (rethrown). */
function outcome(fn: () => unknown): 'ok' | 'invalid' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SpecValidationError)) {
      throw new Error(`expected success or SpecValidationError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? String(e)}`);
    }
    expect(e.issues.length, 'at least one issue').to.be.greaterThan(0);
    for (const i of e.issues) {
      expect(i.path === '' || i.path.startsWith('/'), `JSON pointer: ${i.path}`).to.equal(true);
      expect(i.message).to.be.a('string').and.not.equal('');
    }
    // The message must be printable as is (no "[object Object]", no runaway length).
    expect(e.message).to.not.contain('[object Object]');
    return 'invalid';
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Every path (list of keys/indices) into a JSON value, the root excluded, at most 8 levels deep. */
function pathsOf(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length >= 8) return out; // not into the deep values a mutation put there
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), pathsOf(x, [...prefix, i], out)));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) {
    out.push([...prefix, k]);
    pathsOf(v[k], [...prefix, k], out);
  }
  return out;
}

function deepArray(depth: number): Json {
  let v: Json = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number): Json {
  let v: Json = {};
  for (let i = 0; i < depth; i++) v = { type: v };
  return v;
}

/** A deeply nested value, built only when used; prints as a one-line description. */
class Deep {
  constructor(readonly kind: 'array' | 'object', readonly depth: number) {}
  build(): Json {
    return this.kind === 'array' ? deepArray(this.depth) : deepObject(this.depth);
  }
  toString(): string {
    return `Deep(${this.kind}, ${this.depth})`;
  }
}

const materialize = (v: unknown): unknown => (v instanceof Deep ? v.build() : v);

/** Values that break naive validators: wrong types, extremes, NaN-like strings, deep nesting. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 2147483648, 1e21,
    'NaN', 'Infinity', '-Infinity', '1e400', '', ' ', '__proto__', 'constructor', '${name}', '../../..', '\u0000', 'é'.repeat(300),
    [], {}, [null], { type: null }, { type: 42 }, { type: 'constructor' }, { type: '__proto__' }, { type: 'toString' }
  ),
  // Deep values are built when a mutation is applied: fast-check itself cannot print a 20000-deep counterexample.
  fc.record({ deep: fc.constantFrom('array' as const, 'object' as const), depth: fc.integer({ min: 10, max: 20000 }) }).map((d) => new Deep(d.deep, d.depth)),
  fc.jsonValue({ maxDepth: 4 }),
  fc.double(),
  fc.string()
);

type Mutation = { op: 'delete' | 'replace' | 'add'; pick: number; value: unknown; key: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete' as const, 'replace' as const, 'replace' as const, 'add' as const),
  pick: fc.nat(),
  value: nasty,
  key: fc.oneof(fc.string(), fc.constantFrom('type', 'plugins', '__proto__', 'constructor', 'extra', 'k')),
});

/** Applies mutations to a copy of `base`; `__proto__` keys become own properties, as JSON.parse makes them. */
function mutate(base: Json, muts: Mutation[]): unknown {
  const root = clone(base) as Record<string, unknown>;
  for (const m of muts) {
    const paths = pathsOf(root as Json);
    if (!paths.length) break;
    const p = paths[m.pick % paths.length];
    let parent: Record<string | number, unknown> = root;
    for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = p[p.length - 1];
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (m.op === 'replace') {
      Object.defineProperty(parent, last, { value: materialize(m.value), enumerable: true, writable: true, configurable: true });
    } else {
      const target = parent[last];
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, { value: materialize(m.value), enumerable: true, writable: true, configurable: true });
      } else if (Array.isArray(target)) target.push(materialize(m.value));
    }
  }
  return root;
}

describe('fuzz: the spec validator never throws anything but SpecValidationError', function () {
  this.timeout(60000);
  const fake = new SpecValidator(getRegistries(createContainer(fakeModule)));
  const container = realContainer();
  const real = new SpecValidator(getRegistries(container));
  const quick = JSON.parse(fs.readFileSync(QUICK, 'utf8')) as Json;

  it('random JSON values and arbitrary JS values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))), (v) => {
        outcome(() => fake.check(clone(v === undefined ? null : v), 'x.json'));
        outcome(() => real.check(v, 'x.json'));
      }),
      { numRuns: 300, seed: 1, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('random objects over the spec keys (shape right, contents random)', () => {
    const keys = Object.keys(quick as object);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.jsonValue({ maxDepth: 3 }), nasty)), (d) => {
        const v = Object.fromEntries(Object.entries(d).map(([k, x]) => [k, materialize(x)]));
        outcome(() => real.check(v, 'x.json'));
        outcome(() => fake.check(v, 'x.json'));
      }),
      { numRuns: 300, seed: 2, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('mutated specs: specs/emoheal-quick.json (built-in plugins) and the core fake spec', () => {
    const fakeBase = clone(fakeSpec()) as Json;
    let valid = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        if (outcome(() => real.check(mutate(quick, muts), 'emoheal-quick.json')) === 'ok') valid++;
        outcome(() => fake.check(mutate(fakeBase, muts), 'fake.json'));
      }),
      { numRuns: 300, seed: 3, interruptAfterTimeLimit: 2 * BUDGET_MS }
    );
    expect(valid, 'some mutations stay valid (e.g. a deleted optional key)').to.be.greaterThan(0);
  });

  /** Every numeric option of the real schema: where it sits, its bounds, and how to put a value there. */
  interface Knob {
    where: string;
    section: string;
    /** The plugin type the section must have (plugin sections), undefined for core sections. */
    type?: string;
    prop: string;
    item: boolean;
    schema: { type: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  }

  function knobs(): Knob[] {
    const props = (real!.schema as { properties: Record<string, { properties?: Record<string, unknown>; oneOf?: { properties: Record<string, unknown> }[] }> }).properties;
    const out: Knob[] = [];
    const collect = (section: string, type: string | undefined, properties: Record<string, unknown>): void => {
      for (const [prop, raw] of Object.entries(properties)) {
        const sch = raw as Knob['schema'] & { items?: Knob['schema'] & { anyOf?: Knob['schema'][] } };
        const numeric = (x: Knob['schema'] | undefined): boolean => x?.type === 'integer' || x?.type === 'number';
        const item = sch.items?.anyOf?.find(numeric) ?? sch.items;
        if (numeric(sch)) out.push({ where: `/${section}/${prop}`, section, type, prop, item: false, schema: sch });
        else if (sch.type === 'array' && numeric(item)) out.push({ where: `/${section}/${prop}/0`, section, type, prop, item: true, schema: item! });
      }
    };
    for (const section of ['preprocessing', 'training']) collect(section, undefined, props[section].properties!);
    for (const section of ['dataset', 'encoder', 'fusion', 'head']) {
      for (const branch of props[section].oneOf!) collect(section, (branch.properties.type as { const: string }).const, branch.properties);
    }
    collect('', undefined, { seed: (props as Record<string, unknown>).seed });
    return out;
  }

  it('every numeric option of core and of every built-in plugin has an upper bound', function () {
    const all = knobs();
    expect(all.length).to.be.greaterThan(40);
    const unbounded = all.filter((k) => k.schema.maximum === undefined && k.schema.exclusiveMaximum === undefined).map((k) => `${k.where} (${k.type ?? 'core'})`);
    expect(unbounded).to.deep.equal([]);
  });

  it('numbers at each bound give a spec or a SpecValidationError; just past it, an issue at that path', function () {
    const all = knobs();
    const arb = fc.record({ knob: fc.constantFrom(...all), side: fc.constantFrom('min' as const, 'max' as const), past: fc.boolean() });
    fc.assert(
      fc.property(arb, ({ knob, side, past }) => {
        const sch = knob.schema;
        const step = sch.type === 'integer' ? 1 : 1e-6 * Math.max(1, Math.abs(sch.maximum ?? sch.minimum ?? 1));
        let value: number | undefined;
        if (side === 'min') value = sch.minimum !== undefined ? (past ? sch.minimum - step : sch.minimum) : sch.exclusiveMinimum !== undefined ? (past ? sch.exclusiveMinimum : sch.exclusiveMinimum + step) : undefined;
        else value = sch.maximum !== undefined ? (past ? sch.maximum + step : sch.maximum) : sch.exclusiveMaximum !== undefined ? (past ? sch.exclusiveMaximum : sch.exclusiveMaximum - step) : undefined;
        if (value === undefined) return;
        const s = clone(quick) as Record<string, Record<string, unknown>>;
        if (knob.type !== undefined && s[knob.section].type !== knob.type) s[knob.section] = { type: knob.type, ...(knob.section === 'dataset' && knob.type !== 'synthetic' ? { path: 'data' } : {}) };
        const target = knob.section ? s[knob.section] ?? (s[knob.section] = {}) : (s as Record<string, unknown>);
        target[knob.prop] = knob.item ? [value] : value;
        let issues: { path: string }[] = [];
        const result = outcome(() => {
          try {
            real!.check(s, 'bounds.json');
          } catch (e) {
            if (e instanceof SpecValidationError) issues = e.issues;
            throw e;
          }
        });
        if (past) {
          expect(result, `${knob.where} = ${value} (${knob.type ?? 'core'})`).to.equal('invalid');
          expect(issues.map((i) => i.path), `${knob.where} = ${value}`).to.include(knob.where.replace(/^\/\//, '/'));
        }
      }),
      { numRuns: 400, seed: 8, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('an unmutated emoheal-quick.json is valid (the mutation test starts from a valid spec)', () => {
    expect(outcome(() => real.check(clone(quick), 'emoheal-quick.json'))).to.equal('ok');
  });

  it('parseSpecText: random text, truncated and byte-flipped spec text', () => {
    const text = fs.readFileSync(QUICK, 'utf8');
    const arb = fc.oneof(
      fc.string(),
      fc.fullUnicodeString(),
      fc.nat({ max: text.length }).map((n) => text.slice(0, n)),
      fc.tuple(fc.nat({ max: text.length - 1 }), fc.fullUnicodeString({ minLength: 1, maxLength: 3 })).map(([i, s]) => text.slice(0, i) + s + text.slice(i + 1)),
      fc.nat({ max: 200000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
      fc.constant('\ufeff' + text)
    );
    fc.assert(
      fc.property(arb, (t) => {
        outcome(() => {
          const v = parseSpecText(t, 'x.json');
          real.check(v, 'x.json');
        });
      }),
      { numRuns: 300, seed: 4, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('a syntax error always names a line and column inside the text', () => {
    const text = fs.readFileSync(QUICK, 'utf8');
    const lines = text.split('\n').length + 1;
    const arb = fc.oneof(
      fc.tuple(fc.nat({ max: text.length }), fc.constantFrom(',', '}', ']', '[', '{', ':', '"', 'x', '-', '0', '\u0001', ',,')).map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
      fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n)),
      fc.nat({ max: 30 }).map((n) => '{\n'.concat('  "a": 1,\n'.repeat(n), '  "b": ,\n}'))
    );
    fc.assert(
      fc.property(arb, (t) => {
        let err: unknown;
        try {
          JSON.parse(t);
          return; // the insertion happened to keep the JSON valid
        } catch {
          /* expected */
        }
        try {
          parseSpecText(t, 'x.json');
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(SpecValidationError);
        const m = /line (\d+), column (\d+)/.exec((err as Error).message);
        expect(m, (err as Error).message).to.not.equal(null);
        expect(Number(m![1])).to.be.within(1, lines);
        if (t.startsWith('{\n  "a"') || t.startsWith('{\n  "b"')) expect(Number(m![1])).to.equal(t.split('\n').length - 1);
      }),
      { numRuns: 300, seed: 6, interruptAfterTimeLimit: BUDGET_MS }
    );
  });

  it('a byte-order mark before the JSON is accepted', () => {
    expect(parseSpecText('\ufeff{"a": 1}', 'x.json')).to.deep.equal({ a: 1 });
  });

  it('loadSpecFile on mutated spec files (plugins loaded from the file, deep nesting, random bytes)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-fuzz-spec-'));
    try {
      const file = path.join(dir, 'spec.json');
      const arb = fc.oneof(
        fc.array(mutation, { minLength: 1, maxLength: 3 }).map((m) => {
          try {
            return JSON.stringify(mutate(quick, m));
          } catch {
            return '{}'; // a value JSON cannot write (too deep) cannot come from a file either
          }
        }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
        fc.constant('')
      );
      fc.assert(
        fc.property(arb, (t) => {
          fs.writeFileSync(file, t);
          try {
            loadSpecFile(file, realContainer());
          } catch (e) {
            // A "plugins" list naming a module that is not a plugin is a FusionError naming that plugin (not a validation issue).
            if (!(e instanceof SpecValidationError) && e instanceof FusionError && /^plugin "/.test(e.message)) return;
            outcome(() => {
              throw e;
            });
          }
        }),
        { numRuns: 100, seed: 5, interruptAfterTimeLimit: BUDGET_MS }
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
