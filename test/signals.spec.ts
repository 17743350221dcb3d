import { spawn } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, CLI, Proc, tmpDir, writeSpec } from './helpers';

/**
 * SIGTERM at several points of a run through the real CLI (loading the data, building the model, evaluating and
 * writing the report), not only between epochs: the process ends with exit 130, the earlier result in the output
 * folder is untouched, and nothing half-done is left. No timing is asserted; the mocha timeout only bounds a hang.
 */
describe('signals at every point of a run (real process)', function () {
  this.timeout(300000);
  let dir: string;
  let spec: string;
  let earlier: string;
  const out = (): string => path.join(dir, 'runs', 'sig');
  const partial = (): string => path.join(dir, 'runs', '.sig.partial');

  before(() => {
    dir = tmpDir('fusion-signals-');
    // Four folds: evaluating and writing take a while after the first "fold 1:" line.
    spec = writeSpec(dir, 'sig', { name: 'sig', training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 }, evaluation: { type: 'group-kfold', k: 4 } });
    const r = cli(['run', spec, '-w', '1'], dir);
    expect(r.status, r.stderr).to.equal(0);
    earlier = fs.readFileSync(path.join(out(), 'metrics.json'), 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * Starts a run, waits for a line matching `when`, signals, and returns the process once it has ended. With
   * `stopFirst` the child is stopped (SIGSTOP) as soon as the line arrives, in the stderr handler itself, so a fast
   * synchronous phase cannot race past the point before SIGTERM is sent; SIGCONT then lets it see the signal.
   */
  const interruptAt = async (when: RegExp, stopFirst = false): Promise<{ p: Proc; code: number | null }> => {
    // --overwrite: the earlier run at runs/sig is the one to replace (without it the run would go to runs/sig-2).
    const child = spawn(process.execPath, [CLI, 'run', spec, '-w', '1', '--overwrite'], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } });
    if (stopFirst) {
      let seen = '';
      const onData = (d: Buffer): void => {
        seen += d;
        if (!when.test(seen)) return;
        child.kill('SIGSTOP');
        child.stderr!.off('data', onData);
      };
      child.stderr!.on('data', onData);
    }
    const p = new Proc(child);
    await p.waitFor((s) => when.test(s), 120000, `a line matching ${when}`);
    p.child.kill('SIGTERM');
    if (stopFirst) p.child.kill('SIGCONT');
    const { code } = await p.exit;
    return { p, code };
  };
  const untouched = (): void => {
    expect(fs.readFileSync(path.join(out(), 'metrics.json'), 'utf8'), 'the earlier result').to.equal(earlier);
    expect(fs.readdirSync(path.join(dir, 'runs')).filter((n) => n.includes('staging') || n.includes('replaced')), 'leftovers').to.deep.equal([]);
  };

  it('while loading the data (after "backend:"): exit 130, no partial folder, nothing to resume', async () => {
    const { p, code } = await interruptAt(/^backend: /m, true);
    expect(code, p.err).to.equal(130);
    expect(p.err).to.contain('run interrupted before its first job; nothing was written');
    expect(fs.existsSync(partial()), 'partial folder').to.equal(false);
    untouched();
  });

  it('while building the model (after "dataset:"): exit 130, no partial folder', async () => {
    const { p, code } = await interruptAt(/^dataset: /m, true);
    expect(code, p.err).to.equal(130);
    expect(fs.existsSync(partial()), 'partial folder').to.equal(false);
    untouched();
  });

  it('while evaluating and writing the report (after "fold 1:"): exit 130, the jobs kept, --resume finishes the run', async () => {
    const { p, code } = await interruptAt(/^fold 1: evaluated: balanced accuracy/m, true);
    expect(code, p.err).to.equal(130);
    expect(p.err).to.contain(`Continue with: fusion-cli run --resume ${path.join('runs', 'sig')}`);
    untouched();
    expect(fs.readdirSync(path.join(partial(), 'jobs'))).to.have.length(4);
    const r = cli(['run', '--resume', out(), '-w', '1', '--overwrite', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).execution.resumedJobs).to.equal(4);
    expect(fs.existsSync(partial())).to.equal(false);
  });
});
