import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, createContainer, estimateMemory, getRegistries, GraphSpec, parameterCounts, selectBackend, SpecValidationError, SpecValidator } from '@fusion/core';
import { sensorsModule } from '@fusion/sensors';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { ROOT, specIssues } from './helpers';

/**
 * The built-in plugins' `check`s and `estimate`s: what `validate` accepts must build, and the estimate's parameter
 * count is the built model's.
 */
const registries = getRegistries(createContainer(sensorsModule, encodersModule, fusionModule, headsModule));
const validator = new SpecValidator(registries);
const TINY = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8')) as Record<string, unknown>;

function spec(over: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(TINY), ...over };
}

const issuesOf = (s: unknown): { path: string; message: string }[] => specIssues(validator, s);

function build(s: GraphSpec): tf.LayersModel {
  const p = s.preprocessing;
  return buildModel(s, registries, { sensors: s.sensors, length: Math.round(p.window * p.sampleRate), classes: p.label.classes.length }, s.seed);
}

describe('built-in plugin checks (window of 20 samples)', () => {
  const cases: { name: string; over: Record<string, unknown>; path: string; text: string }[] = [
    { name: 'tcn: dilations vs channels', over: { encoder: { type: 'tcn', channels: [8, 8], dilations: [1] } }, path: '/encoder/dilations', text: '1 dilations (1) for 2 blocks' },
    { name: 'tcn: a dilation reaching past the window', over: { encoder: { type: 'tcn', channels: [8, 8], kernelSize: 3, dilations: [1, 10] } }, path: '/encoder/dilations/1', text: 'reaches back 20 samples' },
    { name: 'tcn: kernel longer than the window', over: { encoder: { type: 'tcn', kernelSize: 21 } }, path: '/encoder/kernelSize', text: 'kernelSize 21 is longer than the window (20 samples)' },
    { name: 'tcn: stride longer than the window', over: { encoder: { type: 'tcn', stride: 21 } }, path: '/encoder/stride', text: 'stride 21' },
    { name: 'tcn-casa: spatial kernel longer than the window', over: { encoder: { type: 'tcn-casa', spatialKernel: 25 } }, path: '/encoder/spatialKernel', text: 'spatialKernel 25 is longer' },
    { name: 'resnet1d: kernel longer than the window', over: { encoder: { type: 'resnet1d', kernelSize: 33 } }, path: '/encoder/kernelSize', text: 'kernelSize 33' },
    { name: 'transformer: heads not dividing dModel', over: { head: { type: 'transformer', dModel: 30, heads: 4 } }, path: '/head/heads', text: 'heads 4 does not divide dModel 30' },
    { name: 'mha: heads not dividing dModel', over: { head: { type: 'mha', dModel: 10, heads: 3 } }, path: '/head/heads', text: 'heads 3 does not divide dModel 10' },
    { name: 'xlstm: heads not dividing units', over: { head: { type: 'xlstm', units: 10, heads: 4 } }, path: '/head/heads', text: 'heads 4 does not divide units 10' },
    { name: 'synthetic: participants x minutes', over: { dataset: { type: 'synthetic', participants: 500, minutes: 600 } }, path: '/dataset/minutes', text: '500 x 600 = 300000 participant-minutes' },
    {
      name: 'per-sensor encoders that disagree',
      over: { encoder: undefined, encoders: { hr: { type: 'tcn', channels: [8] }, eda: { type: 'tcn', channels: [8], stride: 2 }, bvp: { type: 'tcn', channels: [8] } } },
      path: '/encoders/eda',
      text: 'gives 10 time steps x 8 features, but encoders.hr gives 20 x 8',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const issues = issuesOf(spec(c.over));
      expect(issues.map((i) => i.path), JSON.stringify(issues)).to.deep.equal([c.path]);
      expect(issues[0].message).to.contain(c.text);
    });
  }

  it('the same options inside their limits are valid', () => {
    for (const over of [
      { encoder: { type: 'tcn', channels: [8, 8], kernelSize: 3, dilations: [1, 9] } },
      { encoder: { type: 'tcn', kernelSize: 20, stride: 20 } },
      { encoder: { type: 'tcn-casa', spatialKernel: 20 } },
      { head: { type: 'transformer', dModel: 30, heads: 3 } },
      { head: { type: 'xlstm', units: 12, heads: 4 } },
      { dataset: { type: 'synthetic', participants: 100, minutes: 20 } },
    ]) {
      expect(issuesOf(spec(over)), JSON.stringify(over)).to.deep.equal([]);
    }
  });
});

describe('validate accepts only specs that build; the estimate counts their parameters exactly', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend(process.env.FUSION_TEST_BACKEND);
  });

  it('every shipped spec: estimated parameters = built parameters', () => {
    const dir = path.join(ROOT, 'specs');
    const files = [...fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f))];
    expect(files.length).to.be.greaterThan(5);
    for (const f of files) {
      const s = validator.check(JSON.parse(fs.readFileSync(f, 'utf8')), f);
      const model = build(s);
      try {
        expect(estimateMemory(s, registries).parameters, f).to.equal(parameterCounts(model).total);
      } finally {
        model.dispose();
      }
    }
  });

  it('random specs at and around the bounds: accepted ones build and run (fast-check)', () => {
    const L = fc.constantFrom(2, 3, 5, 8, 20);
    const small = (max: number): fc.Arbitrary<number> => fc.integer({ min: 1, max });
    const encoder = (len: number): fc.Arbitrary<Record<string, unknown>> => {
      const conv = {
        channels: fc.array(small(6), { minLength: 1, maxLength: 3 }),
        kernelSize: small(len + 1),
        stride: small(len + 1),
        shared: fc.boolean(),
      };
      return fc.oneof(
        fc.record({ type: fc.constant('tcn'), ...conv, dilations: fc.option(fc.array(small(len), { minLength: 1, maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['type', 'channels', 'kernelSize', 'stride', 'shared'] }),
        fc.record({ type: fc.constant('tcn-casa'), ...conv, reduction: small(16), spatialKernel: small(len + 1), causalAttention: fc.boolean() }),
        fc.record({ type: fc.constant('resnet1d'), ...conv, blocksPerStage: small(2) })
      );
    };
    const fusion = fc.oneof(fc.record({ type: fc.constant('concat') }), fc.record({ type: fc.constant('attention'), units: small(4), output: fc.constantFrom('sum', 'concat') }));
    const head = fc.oneof(
      fc.record({ type: fc.constant('bigru'), units: small(4), layers: small(2), output: fc.constantFrom('last', 'mean') }),
      fc.record({ type: fc.constant('mha'), dModel: small(8), heads: small(4), positional: fc.constantFrom('sinusoidal', 'learned', 'none'), causal: fc.boolean() }),
      fc.record({ type: fc.constant('transformer'), dModel: small(8), heads: small(4), layers: small(2), ff: small(4), norm: fc.constantFrom('pre', 'post'), output: fc.constantFrom('mean', 'last') }),
      fc.record({ type: fc.constant('xlstm'), units: small(8), heads: small(4), blocks: fc.array(fc.constantFrom('m', 's'), { minLength: 1, maxLength: 2 }), bidirectional: fc.boolean() })
    );
    const arb = L.chain((len) =>
      fc.record({
        len: fc.constant(len),
        sensors: fc.subarray(['hr', 'eda', 'bvp', 'temp'], { minLength: 1, maxLength: 3 }),
        encoder: encoder(len),
        perSensor: fc.option(fc.array(encoder(len), { minLength: 3, maxLength: 3 }), { nil: undefined, freq: 4 }),
        fusion,
        head,
        classes: fc.integer({ min: 2, max: 3 }),
      })
    );
    let built = 0;
    fc.assert(
      fc.property(arb, (g) => {
        const s = spec({
          sensors: g.sensors,
          preprocessing: { sampleRate: 4, window: g.len / 4, hop: g.len / 4, label: { mapping: 'identity', classes: ['a', 'b', 'c'].slice(0, g.classes) } },
          encoder: g.perSensor ? undefined : g.encoder,
          encoders: g.perSensor ? Object.fromEntries(g.sensors.map((n, i) => [n, g.perSensor![i]])) : undefined,
          fusion: g.fusion,
          head: g.head,
        });
        if (g.perSensor) delete s.encoder;
        else delete s.encoders;
        let valid: GraphSpec;
        try {
          valid = validator.check(s, 'x.json');
        } catch (e) {
          if (e instanceof SpecValidationError) return; // refused with paths: fine
          throw e;
        }
        const model = build(valid);
        try {
          expect(estimateMemory(valid, registries).parameters).to.equal(parameterCounts(model).total);
          // and runs: one forward pass of a batch of 2 gives class probabilities
          const out = tf.tidy(() => (model.predict(tf.zeros([2, g.len, g.sensors.length])) as tf.Tensor).shape);
          expect(out).to.deep.equal([2, g.classes]);
          built++;
        } finally {
          model.dispose();
        }
      }),
      { numRuns: 200, seed: 7 }
    );
    expect(built, 'some random specs were valid and built').to.be.greaterThan(20);
  });
});
