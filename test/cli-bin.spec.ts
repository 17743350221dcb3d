import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './helpers';

describe('the fusion-cli command', () => {
  it('is a committed file outside dist/, so npm links it on a fresh install before the build runs', () => {
    const pkgDir = path.join(ROOT, 'packages', 'cli');
    const bin = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).bin['fusion-cli'] as string;
    expect(bin.startsWith('dist/')).to.equal(false);
    const file = path.join(pkgDir, bin);
    expect(fs.existsSync(file)).to.equal(true);
    expect(fs.readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node')).to.equal(true);
    expect(fs.statSync(file).mode & 0o111, 'executable').to.not.equal(0);
  });
});
