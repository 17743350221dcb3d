import { expect } from 'chai';
import { createContainer, getRegistries, SpecValidationError, SpecValidator, parseSpecText, UnknownPluginError, PluginRegistry, DuplicatePluginError } from '../src';
import { fakeModule, fakeSpec, flatEncoder, rejectedIssues } from '../src/testing/fakes';

function validator(): SpecValidator {
  return new SpecValidator(getRegistries(createContainer(fakeModule)));
}

function issuesOf(spec: unknown): { path: string; message: string }[] {
  return rejectedIssues(validator(), spec);
}

describe('spec schema', () => {
  it('accepts a valid spec and fills defaults', () => {
    const s = validator().check(fakeSpec(), 'x.json');
    expect(s.training.patience).to.equal(10);
    expect(s.preprocessing.normalize).to.equal('subject');
    expect(s.preprocessing.label.classes).to.deep.equal(['low', 'high']);
    expect((s.encoder as unknown as { units: number }).units).to.equal(4);
    expect(s.output.dir).to.equal('runs/${name}');
  });

  it('names an unknown plugin type with the known ones', () => {
    const issues = issuesOf(fakeSpec({ head: { type: 'lstm' } }));
    expect(issues).to.have.length(1);
    expect(issues[0].path).to.equal('/head');
    expect(issues[0].message).to.contain('unknown head "lstm"').and.contain('pool');
  });

  it('reports every error with its JSON path, what was found and what is allowed', () => {
    const issues = issuesOf(fakeSpec({ training: { epochs: -1, batchSize: 'x' }, preprocessing: { normalize: 'zz' }, sensors: ['hr', 'gsr'] }));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['/training/epochs']).to.contain('-1').and.contain('>= 1');
    expect(byPath['/training/batchSize']).to.contain('"x"').and.contain('integer');
    expect(byPath['/preprocessing/normalize']).to.contain('"zz"').and.contain('"subject"');
    expect(byPath['/sensors/1']).to.contain('"gsr"');
  });

  it('checks evaluation.calibration (minutes: one value or a list, each >= 0) with JSON paths', () => {
    for (const minutes of [0, 5, [0, 1, 2, 5]]) expect(validator().check(fakeSpec({ evaluation: { type: 'loso', calibration: { minutes } } })).evaluation.calibration).to.deep.equal({ minutes });
    expect(validator().check(fakeSpec({ evaluation: { type: 'group-kfold', k: 2, calibration: { minutes: 2 } } })).evaluation.calibration).to.deep.equal({ minutes: 2 });
    const paths = (over: unknown): string[] => issuesOf(fakeSpec({ evaluation: over })).map((i) => `${i.path}: ${i.message}`);
    expect(paths({ type: 'loso', calibration: { minutes: -1 } }).join('\n')).to.contain('/evaluation/calibration/minutes').and.contain('-1');
    expect(paths({ type: 'loso', calibration: { minutes: [1, -2] } }).join('\n')).to.contain('/evaluation/calibration/minutes/1');
    expect(paths({ type: 'loso', calibration: { minutes: [1, 1] } }).join('\n')).to.contain('/evaluation/calibration/minutes/1').and.contain('twice');
    expect(paths({ type: 'loso', calibration: {} }).join('\n')).to.contain('/evaluation/calibration').and.contain('"minutes"');
    expect(paths({ type: 'loso', calibration: { minutes: 1, method: 'x' } }).join('\n')).to.contain('/evaluation/calibration').and.contain('"method"');
  });

  it('checks training.lrSchedule (cosine or step, warm-up optional) with JSON paths; absent by default', () => {
    expect(validator().check(fakeSpec()).training.lrSchedule).to.equal(undefined);
    expect(validator().check(fakeSpec({ training: { lrSchedule: { type: 'cosine' } } })).training.lrSchedule).to.deep.equal({ type: 'cosine' });
    expect(validator().check(fakeSpec({ training: { lrSchedule: { type: 'step', every: 3, factor: 0.5, warmupEpochs: 2 } } })).training.lrSchedule).to.deep.equal({ type: 'step', every: 3, factor: 0.5, warmupEpochs: 2 });
    const text = (lrSchedule: unknown): string => issuesOf(fakeSpec({ training: { lrSchedule } })).map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(text({ type: 'step', every: 0, factor: 0.5 })).to.contain('/training/lrSchedule/every');
    expect(text({ type: 'step', every: 2, factor: 1.5 })).to.contain('/training/lrSchedule/factor');
    expect(text({ type: 'step', factor: 0.5 })).to.contain('/training/lrSchedule').and.contain('"every"');
    expect(text({ type: 'linear' })).to.contain('/training/lrSchedule');
    expect(text({ type: 'cosine', warmupEpochs: -1 })).to.contain('/training/lrSchedule/warmupEpochs');
  });

  it('validates a plugin\'s own options through its schema', () => {
    const issues = issuesOf(fakeSpec({ encoder: { type: 'flat', units: 0, colour: 'red' } }));
    expect(issues.map((i) => i.path)).to.include.members(['/encoder/units', '/encoder']);
    expect(issues.find((i) => i.path === '/encoder')!.message).to.contain('colour');
  });

  it('requires an encoder and checks per-sensor encoders against the sensors', () => {
    const none = fakeSpec();
    delete none.encoder;
    expect(issuesOf(none)[0].message).to.contain('"encoder"');
    const per = fakeSpec({ encoder: undefined, encoders: { hr: { type: 'flat' }, temp: { type: 'flat' } } });
    delete per.encoder;
    const paths = issuesOf(per).map((i) => i.path);
    expect(paths).to.include('/encoders/temp');
    expect(paths).to.include('/encoders');
  });

  it('rejects a window that is not a whole number of samples', () => {
    expect(issuesOf(fakeSpec({ preprocessing: { sampleRate: 3, window: 0.5 } }))[0].path).to.equal('/preprocessing/window');
  });

  it('turns JSON syntax errors into line and column', () => {
    expect(() => parseSpecText('{\n  "a": 1,\n  oops\n}', 'bad.json')).to.throw(SpecValidationError, /bad\.json.*line 3/s);
  });

  it('rejects non-objects', () => {
    expect(issuesOf([1, 2])[0].message).to.contain('expected a JSON object');
  });
});

describe('registries', () => {
  it('throw a named error listing the known names for unknown and duplicate types', () => {
    const r = new PluginRegistry('encoder', [flatEncoder]);
    expect(() => r.get('nope')).to.throw(UnknownPluginError, /known encoders: flat/);
    expect(() => r.register(flatEncoder)).to.throw(DuplicatePluginError, /registered twice/);
  });

  it('collect contributions from container modules', () => {
    const reg = getRegistries(createContainer(fakeModule));
    expect(reg.encoders.types()).to.deep.equal(['flat']);
    expect(reg.datasets.types()).to.deep.equal(['fake']);
  });
});
