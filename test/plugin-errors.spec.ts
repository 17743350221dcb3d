import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, ROOT, tmpDir } from './helpers';

/**
 * Third-party plugins that misbehave, through the real CLI: each case writes a plugin module into a temp folder and a
 * spec naming it, runs `fusion-cli run`, and expects a `PluginError` naming the plugin file and what went wrong,
 * exit 1 (never 3, which is for bugs of fusion itself), and no output folder.
 */

// Plugins in a temp folder cannot resolve the repository's packages by name: require them by their resolved paths.
const req = (name: string): string => `require(${JSON.stringify(require.resolve(name, { paths: [ROOT] }))})`;
const HEADER = `const { ContainerModule } = ${req('inversify')};
const core = ${req('@fusion/core')};
const tf = ${req('@tensorflow/tfjs')};
`;
const schemaOf = (type: string): string => `{ type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: '${type}' } } }`;
/** A module binding one encoder `bad-enc` whose apply body is `body`. */
const encoderPlugin = (body: string): string =>
  `${HEADER}module.exports.default = new ContainerModule((bind) => bind(core.EncoderContribution).toConstantValue({ type: 'bad-enc', description: 'x', schema: ${schemaOf('bad-enc')}, apply(x) { ${body} } }));\n`;
/** A module binding one dataset adapter `bad-ds` (sensor hr) whose load body is `body`. */
const datasetPlugin = (body: string): string =>
  `${HEADER}module.exports.default = new ContainerModule((bind) => bind(core.DatasetAdapterContribution).toConstantValue({ type: 'bad-ds', description: 'x', sensors: ['hr'], schema: ${schemaOf('bad-ds')}, async load() { ${body} } }));\n`;

interface Case {
  name: string;
  plugin: string;
  /** What the spec uses of the plugin: an encoder "bad-enc" or the dataset "bad-ds". */
  uses?: 'encoder' | 'dataset';
  stderr: (string | RegExp)[];
  notStderr?: (string | RegExp)[];
}

const CASES: Case[] = [
  { name: 'throws-42-on-load', plugin: 'throw 42;\n', stderr: ['threw while loading', '42 (a number), not an Error'] },
  { name: 'throws-null-on-load', plugin: 'throw null;\n', stderr: ['threw while loading', 'null, not an Error'] },
  { name: 'exports-nothing', plugin: '// nothing\n', stderr: ['exports no ContainerModule', 'found exports: (none)'] },
  { name: 'exports-a-number', plugin: 'module.exports = 7;\n', stderr: ['module.exports is 7 (a number)'] },
  {
    name: 'missing-dependency',
    plugin: `const x = require('fusion-no-such-dependency');\n`,
    stderr: ['a module it requires is missing: "fusion-no-such-dependency"', 'npm install fusion-no-such-dependency'],
    notStderr: ['Give a path relative to the spec file'],
  },
  { name: 'module-throws-when-bound', plugin: `${HEADER}module.exports.default = new ContainerModule(() => { throw 'nope'; });\n`, stderr: ['ContainerModule failed when loaded', '"nope" (a string), not an Error'] },
  { name: 'binds-garbage', plugin: `${HEADER}module.exports.default = new ContainerModule((bind) => bind(core.EncoderContribution).toConstantValue(42));\n`, stderr: ['binds an invalid encoder plugin', 'found 42 (a number)'] },
  {
    name: 'binds-a-throwing-factory',
    plugin: `${HEADER}module.exports.default = new ContainerModule((bind) => bind(core.HeadContribution).toDynamicValue(() => { throw null; }));\n`,
    stderr: ['a head it binds cannot be created'],
  },
  {
    name: 'invalid-json-schema',
    plugin: `${HEADER}module.exports.default = new ContainerModule((bind) => bind(core.FusionContribution).toConstantValue({ type: 'bad-fusion', description: 'x', schema: { type: 'object', properties: { type: { const: 'bad-fusion' }, width: { type: 'integr' } } }, apply: (x) => x }));\n`,
    stderr: ['the JSON Schema of fusion "bad-fusion" is invalid', 'schema/properties/width/type'],
  },
  { name: 'apply-returns-garbage', plugin: encoderPlugin('return { shape: 3 };'), uses: 'encoder', stderr: ['encoder "bad-enc" apply() returned {"shape":3} (an object)', 'tf.SymbolicTensor'] },
  { name: 'apply-throws-null', plugin: encoderPlugin('throw null;'), uses: 'encoder', stderr: ['encoder "bad-enc" apply() failed', 'null, not an Error'] },
  { name: 'apply-throws-typeerror', plugin: encoderPlugin('return x.nope.nope;'), uses: 'encoder', stderr: ['encoder "bad-enc" apply() failed', 'TypeError'] },
  { name: 'load-returns-garbage', plugin: datasetPlugin('return { recordings: 5 };'), uses: 'dataset', stderr: ['dataset adapter "bad-ds" load() returned an object whose "recordings" is 5'] },
  { name: 'load-throws-a-string', plugin: datasetPlugin(`throw 'disk on fire';`), uses: 'dataset', stderr: ['dataset adapter "bad-ds" load() failed', '"disk on fire" (a string), not an Error'] },
];

describe('misbehaving third-party plugins: PluginError naming the file, exit 1 (real process)', function () {
  this.timeout(180000);
  let dir: string;
  before(() => (dir = tmpDir('fusion-plugins-')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const c of CASES) {
    it(c.name, () => {
      const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8'));
      const file = path.join(dir, `${c.name}.js`);
      fs.writeFileSync(file, c.plugin);
      const spec = { ...base, name: c.name, plugins: [`./${c.name}.js`], training: { ...base.training, epochs: 1, ensemble: 1 } };
      if (c.uses === 'encoder') spec.encoder = { type: 'bad-enc' };
      if (c.uses === 'dataset') Object.assign(spec, { dataset: { type: 'bad-ds' }, sensors: ['hr'] });
      fs.writeFileSync(path.join(dir, `${c.name}.json`), JSON.stringify(spec));
      const r = cli(['run', `${c.name}.json`], dir);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(`error: plugin ${file}: `);
      for (const f of c.stderr) {
        if (typeof f === 'string') expect(r.stderr, r.stderr).to.contain(f);
        else expect(r.stderr, r.stderr).to.match(f);
      }
      for (const f of c.notStderr ?? []) {
        if (typeof f === 'string') expect(r.stderr).not.to.contain(f);
        else expect(r.stderr).not.to.match(f);
      }
      expect(fs.existsSync(path.join(dir, 'runs', c.name)), 'output folder').to.equal(false);
    });
  }

  it('a plugin path that does not exist still says so', () => {
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'nofile.json'), JSON.stringify({ ...base, name: 'nofile', plugins: ['./no-such-plugin.js'] }));
    const r = cli(['run', 'nofile.json'], dir);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('"./no-such-plugin.js"').and.contain('not found').and.contain('Give a path relative to the spec file');
  });
});
