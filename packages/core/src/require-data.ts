import * as fs from 'fs';
import * as path from 'path';

/**
 * The folder of the repository's checkout: the nearest folder above `from` whose package.json declares the npm
 * workspaces (the root package.json); undefined outside a checkout (e.g. an installed package).
 */
export function repositoryRoot(from: string = __dirname): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // an unreadable package.json is not the root one; keep walking up
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * For tests on real recordings: the path of `../shared/datasets/<parts>` beside the repository's checkout. When it
 * is absent the test skips with a visible notice, except under CI (env `CI` set), where it fails: a CI run must not
 * pass by silently skipping its real-data tests. `ctx` is the Mocha context (`this` in a test or hook).
 */
export function requireData(ctx: { skip(): void }, ...parts: string[]): string {
  const root = repositoryRoot();
  const datasets = root ? path.resolve(root, '..', 'shared', 'datasets') : undefined;
  const want = datasets ? path.join(datasets, ...parts) : undefined;
  if (want && fs.existsSync(want)) return want;
  const what = want ?? `../shared/datasets/${parts.join('/')} (no repository checkout found above ${__dirname})`;
  const fix = `put the shared datasets at ${datasets ?? '../shared/datasets beside the checkout'}`;
  if (process.env.CI) throw new Error(`real data ${what} is not present, and CI is set: ${fix}; real-data tests may not be skipped under CI.`);
  console.log(`      (skipped: real data ${what} is not present; ${fix} to run this test)`);
  ctx.skip();
  // Mocha's skip() throws; a context whose skip returns must not continue with a missing folder.
  throw new Error(`real data ${what} is not present`);
}
