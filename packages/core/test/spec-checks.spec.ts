import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ContainerModule } from 'inversify';
import {
  checkMemory,
  createContainer,
  duplicateKeys,
  EncoderContribution,
  EncoderPlugin,
  estimateMemory,
  getRegistries,
  loadSpecObject,
  MAX_WINDOW_SAMPLES,
  ModelTooLargeError,
  parseSpecText,
  SpecValidationError,
  SpecValidator,
} from '../src';
import { fakeModule, fakeSpec, rejectedIssues } from '../src/testing/fakes';

/** An encoder with a `check` (width <= window length) and an `estimate` (a dense layer of `width` per step). */
const widthEncoder: EncoderPlugin = {
  type: 'width',
  description: 'dense per step, width at most the window length',
  schema: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'width' }, width: { type: 'integer', minimum: 1, maximum: 1000000, default: 4 } } },
  check(config, ctx) {
    const w = Number(config.width);
    return w > ctx.length ? [{ path: '/width', message: `width ${w} is over the window of ${ctx.length} samples (sensors ${ctx.sensors.join(',')})` }] : [];
  },
  estimate(input, config) {
    const w = Number(config.width);
    return { length: input.length, features: w, parameters: input.features * w + w, activations: input.length * input.sensors * w };
  },
  apply(x, c, ctx) {
    return tf.layers.dense({ units: Number(c.width), name: ctx.name('dense') }).apply(x) as tf.SymbolicTensor;
  },
};
const widthModule = new ContainerModule((bind) => bind(EncoderContribution).toConstantValue(widthEncoder));

function issuesOf(spec: unknown): { path: string; message: string }[] {
  return rejectedIssues(new SpecValidator(getRegistries(createContainer(fakeModule, widthModule))), spec);
}

describe('spec checks beyond the schema', () => {
  it('an unknown option lists the options allowed at its place', () => {
    const issues = issuesOf(fakeSpec({ encoder: { type: 'flat', colour: 'red' }, training: { epochs: 1, pace: 2 } }));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['/encoder']).to.contain('unknown option "colour"; allowed options here: type, units, poison.');
    expect(byPath['/training']).to.match(/unknown option "pace"; allowed options here: epochs, batchSize, learningRate, .*maxMemoryMB\./);
  });

  it('duplicate class names and duplicate sensors are named by the path of the repeat', () => {
    const issues = issuesOf(fakeSpec({ sensors: ['hr', 'eda', 'hr'], preprocessing: { label: { classes: ['low', 'high', 'low'], mapping: 'identity' } } }));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['/sensors/2']).to.contain('"hr" appears twice (first at /sensors/0)');
    expect(byPath['/preprocessing/label/classes/2']).to.contain('"low" appears twice (first at /preprocessing/label/classes/0)');
  });

  it('duplicate keys in the spec text: the JSON path and both lines', () => {
    const text = '{\n  "name": "a",\n  "head": { "type": "pool",\n    "type": "x" },\n  "sensors": [{ "k": 1, "k": 2 }],\n  "name": "b"\n}';
    expect(duplicateKeys(text)).to.deep.equal([
      { path: '/head/type', key: 'type', line: 4, firstLine: 3 },
      { path: '/sensors/0/k', key: 'k', line: 5, firstLine: 5 },
      { path: '/name', key: 'name', line: 6, firstLine: 2 },
    ]);
    expect(() => parseSpecText(text, 'dup.json')).to.throw(SpecValidationError, /at \/head\/type: duplicate key "type" \(line 4; first at line 3\)/);
    // escapes in keys and values, equal keys in different objects, '/' and '~' in keys
    expect(duplicateKeys('{"a\\"b": {"x": 1}, "c": {"x": "\\\\"}, "a/b~": [{"y": 1}, {"y": 2}]}')).to.deep.equal([]);
    expect(duplicateKeys('{"a/b~": 1, "a/b~": 2}')[0].path).to.equal('/a~1b~0');
  });

  it('window x sampleRate too long and a hop under one sample are named at their paths', () => {
    const long = issuesOf(fakeSpec({ preprocessing: { sampleRate: 1024, window: 3600, hop: 5 } }));
    expect(long[0].path).to.equal('/preprocessing/window');
    expect(long[0].message).to.contain(`3686400 samples; expected at most ${MAX_WINDOW_SAMPLES}`);
    const hop = issuesOf(fakeSpec({ preprocessing: { sampleRate: 4, window: 5, hop: 0.1 } }));
    expect(hop.map((i) => i.path)).to.deep.equal(['/preprocessing/hop']);
    expect(hop[0].message).to.contain('0.4 samples').and.contain('hop >= 0.25 s');
  });

  it('numbers past the bounds are refused with the bound', () => {
    const issues = issuesOf(fakeSpec({ training: { epochs: 10001, batchSize: 8193, ensemble: 65, patience: 10001, maxMemoryMB: 0 }, evaluation: { type: 'group-kfold', k: 1001 } }));
    const paths = issues.map((i) => i.path);
    for (const p of ['/training/epochs', '/training/batchSize', '/training/ensemble', '/training/patience', '/training/maxMemoryMB', '/evaluation/k']) expect(paths).to.include(p);
  });

  it("a plugin's check runs after the schema, with the window length, its issues under the config's path", () => {
    const ok = new SpecValidator(getRegistries(createContainer(fakeModule, widthModule))).check(fakeSpec({ encoder: { type: 'width', width: 20 } }), 'x.json');
    expect(ok.encoder!.type).to.equal('width');
    expect(issuesOf(fakeSpec({ encoder: { type: 'width', width: 21 } }))).to.deep.equal([{ path: '/encoder/width', message: 'width 21 is over the window of 20 samples (sensors hr,eda)' }]);
    // per-sensor encoders: the check sees its own sensor, the path names it
    const per = fakeSpec({ encoders: { hr: { type: 'width', width: 4 }, eda: { type: 'width', width: 30 } } });
    delete per.encoder;
    expect(issuesOf(per)).to.deep.equal([{ path: '/encoders/eda/width', message: 'width 30 is over the window of 20 samples (sensors eda)' }]);
  });

  it('per-sensor encoders whose estimates disagree on the output size are refused before building', () => {
    const per = fakeSpec({ encoders: { hr: { type: 'width', width: 4 }, eda: { type: 'width', width: 5 } } });
    delete per.encoder;
    const issues = issuesOf(per);
    expect(issues.map((i) => i.path)).to.deep.equal(['/encoders/eda']);
    expect(issues[0].message).to.contain('20 time steps x 5 features, but encoders.hr gives 20 x 4');
  });

  it('the memory estimate counts weights x4 (weights, gradients, Adam moments) and a batch of activations x2', () => {
    const reg = getRegistries(createContainer(fakeModule, widthModule));
    const spec = new SpecValidator(reg).check(fakeSpec({ encoder: { type: 'width', width: 10 }, training: { batchSize: 8 } }), 'x.json');
    const e = estimateMemory(spec, reg);
    // width encoder: 1*10 + 10 weights; classifier 2 classes on 10 features: 22; fusion and head have no estimate
    expect(e.parameters).to.equal(20 + 22);
    expect(e.unestimated).to.deep.equal(['/fusion', '/head']);
    expect(e.bytes.weights).to.equal(42 * 4);
    expect(e.bytes.gradientsAndOptimizer).to.equal(3 * 42 * 4);
    // input 20x2, encoder 20x2x10, classifier 2; x batch 8, x2 (kept for backprop, one gradient), x4 bytes
    expect(e.activationsPerWindow).to.equal(40 + 400 + 2);
    expect(e.bytes.activations).to.equal(2 * 8 * 442 * 4);
  });

  it('a model over the memory limit is a ModelTooLargeError naming the estimate, the largest block and the fixes', () => {
    const reg = getRegistries(createContainer(fakeModule, widthModule));
    const big = fakeSpec({ encoder: { type: 'width', width: 20 }, preprocessing: { sampleRate: 64, window: 1000, hop: 5 }, training: { batchSize: 8192 } });
    let err: unknown;
    try {
      new SpecValidator(reg).check(structuredClone(big), 'big.json');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ModelTooLargeError);
    const m = err as ModelTooLargeError;
    expect(m.issues[0].path).to.equal('/encoder');
    expect(m.limitMB).to.equal(4096);
    expect(m.estimateMB).to.be.greaterThan(4096);
    expect(m.message).to.contain('over the limit of 4096 MB').and.contain('training.batchSize').and.contain('--max-memory').and.contain('FUSION_MAX_MEMORY_MB');
    // a higher limit from the caller (the CLI's --max-memory) is written into the spec, so worker processes agree
    const loaded = loadSpecObject(structuredClone(big), createContainer(fakeModule, widthModule), '.', 'big.json', { maxMemoryMB: 1048576 });
    expect(loaded.spec.training.maxMemoryMB).to.equal(1048576);
    expect(() => checkMemory(loaded.spec, reg, 'big.json', 100)).to.throw(ModelTooLargeError, /over the limit of 100 MB/);
  });
});
