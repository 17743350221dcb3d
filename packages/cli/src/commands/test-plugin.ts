import * as fs from 'fs';
import * as path from 'path';
import { PluginError } from '@fusion/core';
import type { Terminal } from '../terminal';

/** The part of mocha's programmatic API used here (mocha is the framework's, resolved from this package). */
interface MochaRunner {
  addFile(file: string): void;
  loadFilesAsync(): Promise<void>;
  run(done: (failures: number) => void): { total: number };
}

/** The test files of a plugin folder: test/*.spec.js (and .cjs), as `fusion-cli new-plugin` writes them. */
function testFiles(folder: string): string[] {
  const dir = path.join(folder, 'test');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs.readdirSync(dir).filter((f) => /\.spec\.c?js$/.test(f)).sort().map((f) => path.join(dir, f));
}

/**
 * `fusion-cli test-plugin [folder]`: the folder's contract tests (test/*.spec.js) with the framework's own mocha, the
 * folder registered for plugin-host resolution (its modules get the framework's @fusion/core, inversify and tf).
 * Throws a PluginError (exit 1) for a folder that is not a plugin or when a test fails.
 */
export async function testPluginCommand(folderArg: string, term: Terminal): Promise<void> {
  const folder = path.resolve(folderArg);
  const shown = path.relative(process.cwd(), folder) || '.';
  if (!fs.existsSync(path.join(folder, 'package.json')))
    throw new PluginError(shown, `not a plugin folder: no package.json in ${folder}. Run test-plugin in (or name) the folder \`fusion-cli new-plugin\` wrote, or add a package.json there.`);
  const files = testFiles(folder);
  if (!files.length)
    throw new PluginError(shown, `no test files: expected test/*.spec.js in ${folder} (\`fusion-cli new-plugin\` writes test/contract.spec.js calling describePluginContract of @fusion/core/testing).`);
  let MochaClass: new (o: Record<string, unknown>) => MochaRunner;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    MochaClass = require('mocha') as typeof MochaClass;
  } catch {
    throw new PluginError(shown, 'mocha is not installed with the framework (it runs the plugin tests): install it beside fusion (`npm install mocha` in the framework\'s folder).');
  }
  // The register file resolves the plugin folder from the working directory, as under the scaffold's `npm test`.
  process.chdir(folder);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@fusion/core/testing/register');
  const mocha = new MochaClass({ timeout: 120000, reporter: 'spec', color: false });
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const { failures, total } = await new Promise<{ failures: number; total: number }>((resolve) => {
    const runner = mocha.run((failures) => resolve({ failures, total: runner.total }));
  });
  if (failures) throw new PluginError(shown, `${failures} of ${total} plugin tests failing (listed above); fix the plugin (or its test) and run \`fusion-cli test-plugin\` again.`);
  term.result(`${total} plugin tests passing in ${shown}`);
}
