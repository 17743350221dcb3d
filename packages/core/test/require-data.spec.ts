import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repositoryRoot, requireData } from '../src';

describe('requireData (real data for tests, relative to the checkout)', () => {
  let ci: string | undefined;
  beforeEach(() => {
    ci = process.env.CI;
  });
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  const context = (): { skip(): void; skipped: number } => ({
    skipped: 0,
    skip() {
      this.skipped++;
    },
  });

  it('repositoryRoot is the nearest folder above whose package.json declares workspaces', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-root-'));
    try {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'r', workspaces: ['packages/a'] }));
      const pkg = path.join(tmp, 'packages', 'a');
      fs.mkdirSync(path.join(pkg, 'dist', 'test'), { recursive: true });
      fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'a' }));
      expect(repositoryRoot(path.join(pkg, 'dist', 'test'))).to.equal(tmp);
      expect(repositoryRoot(path.parse(tmp).root), 'no checkout above the file system root').to.equal(undefined);
      // this package's own checkout: the folder with the root package.json (not packages/core)
      expect(fs.existsSync(path.join(repositoryRoot()!, 'packages', 'core', 'package.json'))).to.equal(true);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a missing folder skips with a notice outside CI (and never returns a missing path)', () => {
    delete process.env.CI;
    const ctx = context();
    expect(() => requireData(ctx, 'no-such-dataset-here')).to.throw(/no-such-dataset-here/);
    expect(ctx.skipped).to.equal(1);
  });

  it('a missing folder fails under CI, naming the folder expected beside the checkout', () => {
    process.env.CI = 'true';
    const ctx = context();
    const want = path.join(path.resolve(repositoryRoot()!, '..', 'shared', 'datasets'), 'no-such-dataset-here');
    expect(() => requireData(ctx, 'no-such-dataset-here')).to.throw(`real data ${want} is not present, and CI is set`);
    expect(ctx.skipped).to.equal(0);
  });

  it('a present folder is returned as ../shared/datasets/<parts> beside the checkout', function () {
    const root = repositoryRoot()!;
    const datasets = path.resolve(root, '..', 'shared', 'datasets');
    const got = requireData(this, 'stress-predict');
    expect(got).to.equal(path.join(datasets, 'stress-predict'));
  });
});
