import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DatasetError, FusionError } from '@fusion/core';
import { TrainJob, WorkerClient, WorkerInit } from '../src';

/** Worker scripts that speak the protocol just enough (real child processes, no training). */
const SCRIPTS: Record<string, string> = {
  'exits.js': `process.on('message', () => process.exit(3));`,
  'bad-data.js': `process.on('message', (m) => { if (m.type === 'init') process.send({ type: 'error', name: 'DatasetError', message: 'no such folder' }); });`,
  'echo.js': `process.on('message', (m) => {
    if (m.type === 'init') process.send({ type: 'ready' });
    else if (m.type === 'job') { process.send({ type: 'epoch', jobId: m.job.id, log: { epoch: 1 } }); process.send({ type: 'done', result: { id: m.job.id } }); }
    else if (m.type === 'job-crash') process.exit(1);
    else if (m.type === 'exit') process.exit(0);
  });`,
};

describe('WorkerClient (the one client of the worker protocol; real child processes)', () => {
  let tmp: string;
  const started: WorkerClient[] = [];
  const client = (script: string, onExit?: (code: number | null) => void): WorkerClient => {
    const w = new WorkerClient(path.join(tmp, script), init(), onExit);
    started.push(w);
    return w;
  };
  const init = (): WorkerInit => ({ spec: {}, baseDir: tmp, cacheDir: tmp, backend: 'cpu', runDir: tmp });
  const job = { id: 'j1', fold: 0, member: 0 } as unknown as TrainJob;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-worker-client-'));
    for (const [name, text] of Object.entries(SCRIPTS)) fs.writeFileSync(path.join(tmp, name), text);
  });
  afterEach(async () => {
    // Also after a failed test: no process outlives its test.
    for (const w of started.splice(0)) {
      w.kill();
      await w.whenExited();
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('runs a job: epochs as they come, then the result; stop() ends the process', async () => {
    const w = client('echo.js');
    const epochs: unknown[] = [];
    const r = await w.runJob(job, (log) => epochs.push(log));
    expect(r).to.deep.equal({ id: 'j1' });
    expect(epochs).to.deep.equal([{ epoch: 1 }]);
    w.stop();
    await w.whenExited();
    expect(w.exited).to.equal(true);
  });

  it('a worker that exits while preparing is a named error, not a hang; later jobs fail the same way', async () => {
    let exitCode: number | null | undefined;
    const w = client('exits.js', (code) => (exitCode = code));
    const e = await w.ready.then(() => undefined, (err: Error) => err);
    expect(e).to.be.instanceOf(FusionError);
    expect(e!.message).to.match(/exited unexpectedly while preparing the run \(code 3/);
    expect(exitCode).to.equal(3);
    const again = await w.runJob(job).then(() => undefined, (err: Error) => err);
    expect(again).to.be.instanceOf(FusionError);
  });

  it('an error the worker reports comes back with its class (a data error stays a DatasetError)', async () => {
    const w = client('bad-data.js');
    const e = await w.ready.then(() => undefined, (err: Error) => err);
    expect(e).to.be.instanceOf(DatasetError);
    expect(e!.message).to.equal('no such folder');
  });
});
