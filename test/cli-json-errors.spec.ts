import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough } from 'stream';
import { DataFormatError } from '@fusion/core';
import { errorReport, Terminal } from '@fusion/cli';
import { cli, ROOT, tmpDir, writeSpec } from './helpers';

/**
 * Failure reports of the real CLI process: one `{"error": ...}` line on stdout with --json besides the text on
 * stderr; option values refused when the command line is parsed (exit 2, before any data is read); the memory
 * limit; duplicate keys. The dataset path of these specs does not exist: reading data would fail with exit 1.
 */
describe('fusion-cli failure reports and early usage checks (real process)', function () {
  this.timeout(120000);
  let dir: string;
  let missingData: string;
  before(() => {
    dir = tmpDir('fusion-json-errors-');
    missingData = writeSpec(dir, 'missing-data', { name: 'missing-data', dataset: { type: 'kemocon', path: 'no/such/folder' } });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The single JSON line a failed --json command prints on stdout. */
  const jsonError = (stdout: string): Record<string, unknown> => {
    const lines = stdout.split('\n').filter((l) => l.trim());
    expect(lines, `stdout: ${stdout}`).to.have.length(1);
    return (JSON.parse(lines[0]) as { error: Record<string, unknown> }).error;
  };

  it('an invalid spec with --json: one JSON object with code, exit code, path, file, message and hint; the text on stderr', () => {
    const f = writeSpec(dir, 'invalid', { name: 'invalid', training: { epochs: 0 } });
    const r = cli(['validate', f, '--json'], dir);
    expect(r.status).to.equal(2);
    const e = jsonError(r.stdout);
    expect(e.code).to.equal('SpecValidationError');
    expect(e.exitCode).to.equal(2);
    expect(e.path).to.equal('/training/epochs');
    expect(e.file).to.equal(f);
    expect(e.message).to.contain('at /training/epochs').and.contain('found 0');
    expect(e.hint).to.be.a('string').and.contain('fix the spec');
    expect(r.stderr).to.contain('error: ').and.contain('at /training/epochs');
    const text = cli(['validate', f], dir);
    expect(text.status).to.equal(2);
    expect(text.stdout, 'no JSON without --json').to.equal('');
  });

  it('a dataset error with --json: code DatasetError, exit 1, the folder in the message (run)', () => {
    const r = cli(['run', missingData, '--json'], dir);
    expect(r.status).to.equal(1);
    const e = jsonError(r.stdout);
    expect(e.code).to.equal('DatasetError');
    expect(e.exitCode).to.equal(1);
    expect(e.message).to.contain(path.join(dir, 'no', 'such', 'folder'));
    expect(r.stderr).to.contain('dataset folder not found');
  });

  it('a duplicate key in the spec file: exit 2, its JSON path and line, in text and in JSON', () => {
    const f = path.join(dir, 'dup.json');
    const text = fs.readFileSync(missingData, 'utf8').replace('"seed": 5,', '"seed": 5,\n  "seed": 6,');
    fs.writeFileSync(f, text);
    const line = text.split('\n').findIndex((l) => l.includes('"seed": 6')) + 1;
    const r = cli(['run', f, '--json'], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain(`at /seed: duplicate key "seed" (line ${line}; first at line ${line - 1})`);
    const e = jsonError(r.stdout);
    expect(e).to.include({ code: 'SpecValidationError', path: '/seed', file: f, line });
  });

  it('--backend with an unknown name: exit 2 naming the choices, before any data is read', () => {
    const r = cli(['run', missingData, '--backend', 'gpu', '--json'], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain("argument 'gpu' is invalid").and.contain('node-gpu, node, wasm, cpu');
    expect(r.stderr, 'the dataset was not read').to.not.contain('dataset folder not found');
    expect(jsonError(r.stdout)).to.include({ code: 'UsageError', exitCode: 2 });
    for (const cmd of [['summary', missingData], ['bench', missingData], ['stream', '-m', 'x', '-s', 'stdin']]) {
      const c = cli([...cmd, '-b', 'tpu'], dir);
      expect(c.status, cmd[0]).to.equal(2);
      expect(c.stderr, cmd[0]).to.contain("argument 'tpu' is invalid");
    }
  });

  it('--queue that is not a redis:// or rediss:// URL: exit 2 before any data is read; rediss:// is accepted', () => {
    for (const url of ['http://localhost:6379', 'localhost:6379', 'redis:/nohost']) {
      const r = cli(['run', missingData, '--queue', url], dir);
      expect(r.status, url).to.equal(2);
      expect(r.stderr, url).to.contain('expected a Redis URL').and.not.contain('dataset folder not found');
    }
    const w = cli(['worker', '--queue', 'http://localhost:6379'], dir);
    expect(w.status).to.equal(2);
    expect(w.stderr).to.contain('expected a Redis URL');
    // accepted: the run goes on to read the (missing) data
    const ok = cli(['run', missingData, '--queue', 'rediss://127.0.0.1:1'], dir);
    expect(ok.status).to.equal(1);
    expect(ok.stderr).to.contain('dataset folder not found');
  });

  it('a model over the memory limit: exit 2 with the estimate and the fixes; --max-memory, FUSION_MAX_MEMORY_MB and training.maxMemoryMB set the limit', () => {
    const tiny = path.join(ROOT, 'test', 'fixtures', 'tiny.json');
    const r = cli(['validate', tiny, '--max-memory', '1', '--json'], dir);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/at \/encoder: the model needs an estimated [\d.]+ MB \(weights .*activations of a batch of 32 .*\) to train, over the limit of 1 MB/);
    const e = jsonError(r.stdout);
    expect(e).to.include({ code: 'ModelTooLargeError', exitCode: 2, path: '/encoder' });
    expect(e.hint).to.contain('--max-memory');
    const env = cli(['validate', tiny], dir, undefined, { FUSION_MAX_MEMORY_MB: '1' });
    expect(env.status).to.equal(2);
    expect(env.stderr).to.contain('over the limit of 1 MB');
    const low = writeSpec(dir, 'low-limit', { name: 'low-limit', training: { epochs: 1, maxMemoryMB: 1 } });
    expect(cli(['validate', low], dir).status).to.equal(2);
    const raised = cli(['validate', low, '--max-memory', '100'], dir);
    expect(raised.status, raised.stderr).to.equal(0);
    const bad = cli(['validate', tiny, '--max-memory', 'lots'], dir);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('expected a number of megabytes');
  });

  it('summary prints the training memory estimate and the limit', () => {
    const r = cli(['summary', path.join(ROOT, 'test', 'fixtures', 'tiny.json'), '--backend', 'cpu'], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/training memory \(estimate from the spec, float32\): [\d.]+ MB \(weights .*\); limit 4096 MB/);
  });
});

describe('failure report of a data file error', () => {
  it('carries the file and the line; json mode writes it as one line on stdout and the text on stderr', () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const term = new Terminal(true, out as unknown as NodeJS.WriteStream, err as unknown as NodeJS.WriteStream);
    term.fail(errorReport(new DataFormatError('data/E4_HR.csv', 7, 'found "x", expected a number'), 1));
    const line = String(out.read());
    expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, 'one line').to.equal(true);
    expect(JSON.parse(line)).to.deep.equal({
      error: { code: 'DataFormatError', exitCode: 1, file: 'data/E4_HR.csv', line: 7, message: 'data/E4_HR.csv:7: found "x", expected a number', hint: 'fix the file at the line given, or leave it out of the dataset.' },
    });
    expect(String(err.read())).to.equal('error: data/E4_HR.csv:7: found "x", expected a number\n');
  });
});
