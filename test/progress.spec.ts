import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import { cli, CLI, tmpDir, writeSpec } from './helpers';

/**
 * Progress without a terminal (CI logs, nohup, | tee): stderr is a pipe here, and the lines must arrive as training
 * goes, not all at the end. No timing: the order of lines and whether the process is still running are checked.
 */
describe('progress when stderr is not a terminal (real process, piped stderr)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => (dir = tmpDir('fusion-progress-')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the CLI, reading stderr line by line; `onLine` sees each line with the child's state at that moment. */
  function watch(args: string[], onLine: (line: string, running: boolean, stdoutSoFar: string) => void): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let pending = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        pending += b.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const l of lines) onLine(l, child.exitCode === null, stdout);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('run --workers 2: a line as each fold and member starts and ends, the first "fold 1 ... done" while still training', async () => {
    const spec = writeSpec(dir, 'prog', { name: 'prog', training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 2 } });
    const seen: { line: string; running: boolean; stdout: string }[] = [];
    const r = await watch(['run', spec, '--workers', '2', '--backend', 'cpu', '--out', 'prog-out'], (line, running, stdout) => seen.push({ line, running, stdout }));
    expect(r.code, r.stderr).to.equal(0);
    const at = (re: RegExp): number => seen.findIndex((s) => re.test(s.line));
    const foldDone = at(/^fold 1: done/);
    expect(foldDone, r.stderr).to.be.greaterThan(-1);
    // Arrived while the process ran, before any fold was evaluated and before the result table.
    expect(seen[foldDone].running).to.equal(true);
    expect(seen[foldDone].stdout).to.equal('');
    expect(at(/^fold 1: evaluated/)).to.be.greaterThan(foldDone);
    expect(at(/^fold 1: started/)).to.be.within(0, foldDone);
    for (const m of [1, 2]) expect(at(new RegExp(`^fold 1 member ${m}: done after 1 epoch`)), `member ${m}`).to.be.within(0, foldDone);
    expect(at(/^fold 2: done/)).to.be.greaterThan(-1);
  });

  it('bench prints a line per phase (what it measures) on stderr before the result', () => {
    const spec = writeSpec(dir, 'bench', { name: 'bench' });
    const r = cli(['bench', spec, '--steps', '2', '--backend', 'cpu'], dir);
    expect(r.status, r.stderr).to.equal(0);
    const phases = r.stderr.split('\n').filter((l) => l.startsWith('bench: '));
    expect(phases.join('\n')).to.match(/warm-up/).and.match(/training speed: 2 timed steps/).and.match(/single-window inference latency/).and.match(/tensor leaks/).and.match(/batched inference/);
    expect(phases.join('\n')).to.match(/kernels per single-window inference/);
    expect(r.stdout).to.contain('training windows/s');
    // kernels of one profiled single-window inference, next to its latency
    expect(r.stdout).to.match(/single-window inference ms \(p50 \/ p95\)\s*│?\s*[\d.]+ \/ [\d.]+ \([1-9]\d* kernels\)/);
  });
});
