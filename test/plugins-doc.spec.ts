import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { cli, ROOT, suiteDir, trainTiny } from './helpers';

/** The TypeScript example of docs/plugins.md: type-checked against @fusion/core, compiled, trained and reloaded. */
describe('docs/plugins.md: the TypeScript example compiles, trains and reloads (real processes)', function () {
  this.timeout(300000);
  const folder = suiteDir('fusion-plugins-doc-');

  it('compiles with no type errors; its custom layer survives save and reload (predict)', () => {
    const dir = folder();
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'plugins.md'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).to.have.length(1);
    const src = path.join(dir, 'dense-scale.ts');
    fs.writeFileSync(src, blocks[0]);
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noImplicitOverride: true,
      outDir: dir,
      types: [],
      baseUrl: ROOT,
      // The plugin's folder has no node_modules: types come from the framework's packages, as the modules do at run time.
      paths: { '@fusion/core': ['packages/core/dist/src/index.d.ts'], inversify: ['node_modules/inversify'], '@tensorflow/*': ['node_modules/@tensorflow/*'] },
    };
    const program = ts.createProgram([src], options);
    const emitted = program.emit();
    const diagnostics = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), 'type errors').to.deep.equal([]);
    expect(fs.existsSync(path.join(dir, 'dense-scale.js'))).to.equal(true);

    trainTiny(dir, 'doc-plugin', { name: 'doc-plugin', plugins: ['./dense-scale.js'], encoder: { type: 'doc-dense-scale', units: 4 } }, 'doc-run', ['--workers', '1', '--backend', 'cpu']);
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'doc-run', 'models', 'fold-1', 'member-1', 'model.json'), 'utf8'));
    expect(JSON.stringify(model.modelTopology)).to.contain('"class_name":"DocScaleShift"');
    // Reloading the saved model needs the class registered (the run's plugin is loaded again by predict).
    fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ type: 'synthetic', participants: 2, minutes: 2, effect: 1, seed: 4 }));
    const p = cli(['predict', 'doc-run', 'data.json', '--out', 'p.csv', '--backend', 'cpu', '--json'], dir);
    expect(p.status, p.stderr).to.equal(0);
    expect(JSON.parse(p.stdout).windows).to.be.greaterThan(0);
  });
});
