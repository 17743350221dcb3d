import { expect } from 'chai';
import {
  DataFormatError,
  DatasetError,
  DuplicatePluginError,
  FusionError,
  InterruptedError,
  isPermanentError,
  OutputError,
  ShapeMismatchError,
  SpecValidationError,
  TrainingError,
  UnknownPluginError,
} from '@fusion/core';
import { reviveError } from '../src';

describe('isPermanentError (the one list of errors a retry or a resume cannot fix)', () => {
  const permanent: Error[] = [
    new DataFormatError('a.csv', 2, 'bad'),
    new DatasetError('no folder'),
    new SpecValidationError('x.json', [{ path: '/a', message: 'bad' }]),
    new ShapeMismatchError('encoder', [null, 3], '[null, 4]'),
    new UnknownPluginError('encoder', 'x', ['tcn']),
    new DuplicatePluginError('encoder', 'tcn', ['tcn']),
    new TrainingError('loss is NaN'),
  ];

  it('data, spec, plugin and training errors are permanent, also when rebuilt from a worker by name', () => {
    for (const e of permanent) {
      expect(isPermanentError(e), e.name).to.equal(true);
      expect(isPermanentError(reviveError(e.name, e.message)), `revived ${e.name}`).to.equal(true);
      const named = new Error(e.message);
      named.name = e.name;
      expect(isPermanentError(named), `plain Error named ${e.name}`).to.equal(true);
    }
  });

  it('an interruption, an output error, an unnamed failure and a non-error are not', () => {
    const interrupted = new InterruptedError();
    expect(interrupted).to.be.instanceOf(TrainingError); // the case the check must exclude on purpose
    for (const e of [interrupted, reviveError('InterruptedError', 'interrupted'), new OutputError('disk full'), new FusionError('a worker exited'), new Error('ECONNRESET'), new TypeError('x')]) {
      expect(isPermanentError(e), e.name).to.equal(false);
    }
    expect(isPermanentError('TrainingError')).to.equal(false);
    expect(isPermanentError(undefined)).to.equal(false);
  });

  it('a worker\'s DuplicatePluginError comes back with its class', () => {
    expect(reviveError('DuplicatePluginError', 'twice')).to.be.instanceOf(DuplicatePluginError);
  });
});
