import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tfjs from '@tensorflow/tfjs';
import { tf } from '@fusion/core';
import { cli, ROOT, tmpDir, trainTiny, writeSpec } from './helpers';

/** A plugin written to a temp folder outside the repository: no node_modules of its own. */
const PLUGIN = `
const { ContainerModule } = require('inversify');
const { EncoderContribution, tf } = require('@fusion/core');
module.exports.default = new ContainerModule((bind) => {
  bind(EncoderContribution).toConstantValue({
    type: 'tmp-dense',
    description: 'a dense layer on each sample of each sensor (test plugin)',
    schema: { type: 'object', properties: { type: { const: 'tmp-dense' }, units: { type: 'integer', minimum: 1 } }, required: ['type', 'units'], additionalProperties: false },
    apply(input, config, ctx) {
      return tf.layers.dense({ units: config.units, activation: 'relu', name: ctx.name('tmp-dense'), kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }) }).apply(input);
    },
  });
});
`;

describe('plugins outside the repository share the framework\'s packages (real process)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-plugin-host-');
    expect(path.relative(ROOT, dir).startsWith('..'), 'the temp folder is outside the repository').to.equal(true);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('@fusion/core exports the TensorFlow.js instance fusion runs on', () => {
    expect(tf.engine()).to.equal(tfjs.engine());
    expect(tf.layers.dense).to.equal(tfjs.layers.dense);
  });

  it('a plugin in its own folder requires @fusion/core, inversify and tf without installing them, and trains', () => {
    const plugin = path.join(dir, 'own-plugin');
    fs.mkdirSync(plugin);
    fs.writeFileSync(path.join(plugin, 'index.js'), PLUGIN);
    trainTiny(dir, 'uses-plugin', { name: 'uses-plugin', plugins: ['./own-plugin/index.js'], encoder: { type: 'tmp-dense', units: 4 } }, 'plugin-out', ['--workers', '1', '--backend', 'cpu']);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'plugin-out', 'metrics.json'), 'utf8'));
    expect(m.parameters.blocks.encoder).to.equal(4 * 1 + 4); // dense 1 -> 4 on each sample of each sensor
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'plugin-out', 'spec.json'), 'utf8')).encoder.type).to.equal('tmp-dense');
  });

  it('a plugin with its own copy of @tensorflow/tfjs-core: DuplicateTensorFlowError (exit 1) naming both copies and the fix', () => {
    const plugin = path.join(dir, 'dup-plugin');
    const copy = path.join(plugin, 'node_modules', '@tensorflow', 'tfjs-core');
    fs.mkdirSync(copy, { recursive: true });
    fs.writeFileSync(path.join(plugin, 'package.json'), JSON.stringify({ name: 'dup-plugin', version: '1.0.0', dependencies: { '@tensorflow/tfjs-core': '4.0.0' } }));
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-core', version: '4.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(copy, 'index.js'), 'module.exports = {};\n');
    fs.writeFileSync(path.join(plugin, 'index.js'), PLUGIN);
    const spec = writeSpec(dir, 'dup', { name: 'dup', plugins: ['./dup-plugin/index.js'], encoder: { type: 'tmp-dense', units: 4 } });
    const r = cli(['validate', spec, '--json'], dir);
    expect(r.status, r.stderr).to.equal(1);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!).error;
    expect(err.code).to.equal('DuplicateTensorFlowError');
    expect(err.message).to.contain('@tensorflow/tfjs-core@4.0.0').and.contain(fs.realpathSync(plugin)).and.contain("import { tf } from '@fusion/core'").and.contain('peerDependencies');
    expect(r.stderr).to.not.contain('already registered');
  });
});
