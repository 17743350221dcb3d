import { spawn } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, CLI, tmpDir, writeSpec } from './helpers';

/** Interruption with real child processes: SIGKILL and SIGINT mid-run, then --resume. */
describe('interrupted runs resume to the same metrics', function () {
  this.timeout(300000);
  let dir: string;
  const over = { name: 'resumable', training: { epochs: 4, batchSize: 32, learningRate: 0.01, patience: 4, ensemble: 2 } };
  before(() => {
    dir = tmpDir('fusion-resume-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const jobsDir = (out: string): string => path.join(dir, `.${out}.partial`, 'jobs');
  const finishedJobs = (out: string): number => (fs.existsSync(jobsDir(out)) ? fs.readdirSync(jobsDir(out)).filter((f) => f.endsWith('.json')).length : 0);

  /** Starts a run and sends `signal` once `after` jobs have finished; resolves with the exit code or signal. */
  function interrupt(out: string, signal: NodeJS.Signals, after: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const spec = writeSpec(dir, 'resumable', over);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'run', spec, '--out', out, '--workers', '1'], { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setInterval(() => {
        if (finishedJobs(out) >= after) {
          clearInterval(timer);
          child.kill(signal);
        }
      }, 20);
      child.on('exit', (code, sig) => {
        clearInterval(timer);
        resolve({ code, signal: sig, stderr });
      });
      child.on('error', reject);
    });
  }

  let reference: { summary: unknown; folds: { model: unknown; members: unknown[] }[] };
  before(() => {
    const r = cli(['run', writeSpec(dir, 'resumable', over), '--out', 'reference', '--workers', '1', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    reference = JSON.parse(fs.readFileSync(path.join(dir, 'reference', 'metrics.json'), 'utf8'));
  });

  it('after SIGKILL mid-run, --resume continues from the finished jobs and ends with the same metrics', async () => {
    const r = await interrupt('killed', 'SIGKILL', 1);
    expect(r.signal).to.equal('SIGKILL');
    expect(fs.existsSync(path.join(dir, 'killed')), 'no final folder after a kill').to.equal(false);
    const done = finishedJobs('killed');
    expect(done).to.be.within(1, 3);
    const res = cli(['run', '--resume', 'killed', '--workers', '1', '--json'], dir);
    expect(res.status, res.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'killed', 'metrics.json'), 'utf8'));
    expect(m.execution.resumedJobs).to.equal(done);
    expect(m.summary).to.deep.equal(reference.summary);
    expect(m.folds.map((f: { members: unknown[] }) => f.members)).to.deep.equal(reference.folds.map((f) => f.members));
    expect(fs.existsSync(path.join(dir, '.killed.partial')), 'partial folder removed once complete').to.equal(false);
  });

  it('SIGINT stops cleanly with exit 130, keeps finished jobs, and --resume completes the run', async () => {
    const r = await interrupt('stopped', 'SIGINT', 1);
    expect(r.code).to.equal(130);
    expect(r.stderr).to.contain('--resume');
    expect(fs.existsSync(path.join(dir, 'stopped'))).to.equal(false);
    expect(finishedJobs('stopped')).to.be.greaterThan(0);
    const res = cli(['run', '--resume', 'stopped', '--json'], dir);
    expect(res.status, res.stderr).to.equal(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'stopped', 'metrics.json'), 'utf8'));
    expect(m.summary).to.deep.equal(reference.summary);
  });

  it('--resume without an interrupted run is a named error', () => {
    const res = cli(['run', '--resume', 'never-ran'], dir);
    expect(res.status).to.equal(1);
    expect(res.stderr).to.contain('nothing to resume');
  });
});
