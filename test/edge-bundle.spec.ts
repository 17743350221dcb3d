import { spawn } from 'child_process';
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import type { BundleManifest } from '@fusion/core';
import { cli, CLI, Proc, skipWithoutRedis, startRedis, tmpDir, writeSpec } from './helpers';

/**
 * Bundles as everyday model folders: `predict`/`evaluate` read an exported bundle (or a run's models/fold-K) by its
 * fusion.json alone and give the run folder's probabilities; every run folder describes its models with the export's
 * writer; and runs that were resumed, swept or queued export like any other.
 */

const TRAINING = { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 };
const DATASET = { type: 'synthetic', participants: 4, minutes: 3, effect: 1, seed: 3 };

type Row = Record<string, string>;
function readCsv(file: string): Row[] {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}
const manifestOf = (dir: string): BundleManifest => JSON.parse(fs.readFileSync(path.join(dir, 'fusion.json'), 'utf8')) as BundleManifest;
const metricsOf = (run: string): { folds: { index: number; test: string[]; testWindows: number; model: { balancedAccuracy: number; auroc: number | null } }[] } =>
  JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));

function ok(r: ReturnType<typeof cli>): string {
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
}

/** `fusion-cli predict <model> <data>` rows, keyed by subject and window end. */
function predict(dir: string, model: string, data: string, out: string, extra: string[] = []): Map<string, Row> {
  ok(cli(['predict', model, data, '--out', out, '--backend', 'cpu', '--json', ...extra], dir));
  return new Map(readCsv(path.join(dir, out)).map((x) => [`${x.subject}@${x.window_end}`, x]));
}

function expectSameRows(a: Map<string, Row>, b: Map<string, Row>, tol: number, what: string): void {
  expect(a.size, `${what}: windows`).to.equal(b.size).and.to.be.greaterThan(0);
  for (const [k, x] of a) {
    const y = b.get(k);
    expect(y, `${what}: ${k}`).to.not.equal(undefined);
    for (const c of ['p_low', 'p_high']) expect(Number(y![c]), `${what}: ${k} ${c}`).to.be.closeTo(Number(x[c]), tol);
  }
}

/** Exports `run` (all folds) and checks fusion.json's "before" scores are the run's own per fold. */
function exportAndCheck(dir: string, run: string, out: string): BundleManifest {
  ok(cli(['export', run, '--out', out, '--json', '--backend', 'cpu'], dir));
  const m = manifestOf(path.join(dir, out));
  const metrics = metricsOf(path.join(dir, run));
  expect(m.evaluation.folds.map((f) => f.fold)).to.deep.equal(metrics.folds.map((f) => f.index));
  m.evaluation.folds.forEach((f, k) => {
    expect(f.testSubjects, `fold ${f.fold}`).to.deep.equal(metrics.folds[k].test);
    expect(f.before.balancedAccuracy, `fold ${f.fold}`).to.be.closeTo(metrics.folds[k].model.balancedAccuracy, 1e-9);
    expect(f.maxAbsProbDiff, `fold ${f.fold}`).to.equal(0);
  });
  return m;
}

/** Each fold folder of `run` holds fusion.json describing its members as the export does. */
function expectFoldManifests(dir: string, run: string, exported: BundleManifest): void {
  const metrics = metricsOf(path.join(dir, run));
  for (const f of metrics.folds) {
    const foldDir = path.join(dir, run, 'models', `fold-${f.index}`);
    const m = manifestOf(foldDir);
    const same = (x: BundleManifest): unknown => ({ ...x, createdAt: undefined, members: undefined, cost: undefined, evaluation: undefined, versions: undefined, normalization: x.normalization.mode });
    expect(same(m), `fold ${f.index}`).to.deep.equal(same(exported));
    expect(m.members.map((x) => x.path)).to.deep.equal(exported.members.filter((x) => x.fold === f.index).map((x) => x.path.replace(/^fold-\d+\//, '')));
    m.members.forEach((x) => expect(fs.existsSync(path.join(foldDir, x.path)), x.path).to.equal(true));
    expect(m.members.map((x) => x.macsPerWindow)).to.deep.equal(exported.members.filter((x) => x.fold === f.index).map((x) => x.macsPerWindow));
    expect(m.evaluation.folds[0].before.balancedAccuracy).to.equal(f.model.balancedAccuracy);
    expect(m.evaluation.folds[0].testSubjects).to.deep.equal(f.test);
    if (exported.normalization.mode === 'train' && m.normalization.mode === 'train') expect(m.normalization.folds[String(f.index)]).to.deep.equal(exported.normalization.folds[String(f.index)]);
  }
}

describe('predict and evaluate on bundles; self-describing run folders (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  const bundles: Record<string, BundleManifest> = {};
  before(() => {
    dir = tmpDir('fusion-edge-bundle-');
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify(DATASET));
    fs.writeFileSync(path.join(dir, 'new.json'), JSON.stringify({ ...DATASET, participants: 2, seed: 11 }));
    ok(cli(['run', writeSpec(dir, 'plain', { name: 'plain', dataset: DATASET, training: TRAINING }), '--out', 'plain', '--workers', '1', '--backend', 'cpu', '--json'], dir));
    ok(cli(['run', writeSpec(dir, 'tn', { name: 'tn', dataset: DATASET, training: TRAINING, preprocessing: { sampleRate: 4, window: 5, hop: 5, normalize: 'train' } }), '--out', 'tn', '--workers', '1', '--backend', 'cpu', '--json'], dir));
    bundles.plain = exportAndCheck(dir, 'plain', 'plain-bundle');
    bundles.tn = exportAndCheck(dir, 'tn', 'tn-bundle');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a run folder\'s fold folders carry fusion.json from the export\'s writer (same inputs, members, cost, training statistics)', () => {
    expectFoldManifests(dir, 'plain', bundles.plain);
    expectFoldManifests(dir, 'tn', bundles.tn);
    expect(bundles.tn.normalization.mode).to.equal('train');
  });

  it('predict on an exported bundle gives the run folder\'s probabilities (subject and training-statistics normalisation, 1e-5)', () => {
    for (const name of ['plain', 'tn']) {
      const fromRun = predict(dir, name, 'same.json', `${name}-run.csv`);
      expectSameRows(fromRun, predict(dir, `${name}-bundle`, 'same.json', `${name}-bundle.csv`), 1e-5, `${name}: bundle vs run`);
    }
    // A run's fold folder is a bundle too (its own training statistics); --fold picks one fold's members of a bundle.
    const fold2 = predict(dir, 'tn', 'same.json', 'tn-run-2.csv', ['--fold', '2']);
    expectSameRows(fold2, predict(dir, path.join('tn', 'models', 'fold-2'), 'same.json', 'tn-fold-2.csv'), 1e-5, 'tn: models/fold-2 vs run --fold 2');
    expectSameRows(fold2, predict(dir, 'tn-bundle', 'same.json', 'tn-bundle-2.csv', ['--fold', '2']), 1e-5, 'tn: bundle --fold 2 vs run --fold 2');
  });

  it('evaluate on a bundle: the run folder\'s metrics, and with --out the predictions, metrics.json and a report page', () => {
    const fromRun = JSON.parse(ok(cli(['evaluate', 'tn', 'new.json', '--backend', 'cpu', '--json'], dir)));
    const out = JSON.parse(ok(cli(['evaluate', 'tn-bundle', 'new.json', '--backend', 'cpu', '--json', '--out', 'eval/tn.csv'], dir)));
    for (const k of ['accuracy', 'balancedAccuracy', 'macroF1', 'auroc']) expect(out.model[k], k).to.be.closeTo(fromRun.model[k], 1e-9);
    expect(out.confusion).to.deep.equal(fromRun.confusion);
    const files = ['tn.csv', 'tn.metrics.json', 'tn.html'].map((f) => path.join(dir, 'eval', f));
    expect(out.written).to.deep.equal(files);
    expect(readCsv(files[0])).to.have.length(out.windows);
    const saved = JSON.parse(fs.readFileSync(files[1], 'utf8'));
    expect(saved.model).to.deep.equal(out.model);
    expect(Object.keys(saved.perSubject)).to.have.length(2);
    const html = fs.readFileSync(files[2], 'utf8');
    expect(html).to.include('<figure class="chart" id="chart-confusion"').and.include('<figure class="chart" id="chart-roc"').and.include('<svg');
    expect(html).to.include(out.model.balancedAccuracy.toFixed(3)).and.include('tn-bundle');
    expect(html).to.not.include('<script');
  });

  it('a bundle folder whose fusion.json is not a fusion manifest: RunFolderError (exit 1) naming the file', () => {
    fs.mkdirSync(path.join(dir, 'bad-bundle'));
    fs.writeFileSync(path.join(dir, 'bad-bundle', 'fusion.json'), JSON.stringify({ format: 'other' }));
    const r = cli(['predict', 'bad-bundle', 'same.json', '--out', 'bad.csv', '--json'], dir);
    expect(r.status, r.stderr).to.equal(1);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!).error;
    expect(err.code).to.equal('RunFolderError');
    expect(err.message).to.include(path.join('bad-bundle', 'fusion.json')).and.include('not a fusion bundle manifest');
    expect(fs.existsSync(path.join(dir, 'bad.csv'))).to.equal(false);
  });
});

describe('export from resumed, swept and queued runs (real processes)', function () {
  this.timeout(300000);
  let dir: string;
  before(() => {
    dir = tmpDir('fusion-edge-runs-');
    fs.writeFileSync(path.join(dir, 'same.json'), JSON.stringify(DATASET));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The bundle of a finished run gives the run's own predictions.csv probabilities for fold 1's test windows. */
  function expectRunPredictions(run: string, bundle: string): void {
    const mine = predict(dir, bundle, 'same.json', `${bundle}.csv`, ['--fold', '1']);
    const evaluated = readCsv(path.join(dir, run, 'predictions.csv')).filter((x) => x.fold === '1');
    expect(evaluated.length).to.be.greaterThan(0);
    for (const e of evaluated) expect(Number(mine.get(`${e.subject}@${e.window_end}`)?.p_high), `${e.subject}@${e.window_end}`).to.be.closeTo(Number(e.p_high), 2e-5);
  }

  it('a run killed mid-way and finished with --resume exports like a run that never stopped', async () => {
    const spec = writeSpec(dir, 'resumed', { name: 'resumed', dataset: DATASET, training: { ...TRAINING, ensemble: 2 } });
    const jobs = path.join(dir, '.resumed.partial', 'jobs');
    const child = spawn(process.execPath, [CLI, 'run', spec, '--out', 'resumed', '--workers', '1', '--backend', 'cpu'], { cwd: dir });
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    const timer = setInterval(() => {
      if (fs.existsSync(jobs) && fs.readdirSync(jobs).some((f) => f.endsWith('.json'))) child.kill('SIGKILL');
    }, 20);
    const sig = await exit;
    clearInterval(timer);
    expect(sig, 'killed before the run finished').to.equal('SIGKILL');
    ok(cli(['run', '--resume', 'resumed', '--workers', '1', '--backend', 'cpu', '--json'], dir));
    const resumedJobs = JSON.parse(fs.readFileSync(path.join(dir, 'resumed', 'metrics.json'), 'utf8')).execution.resumedJobs;
    expect(resumedJobs).to.be.greaterThan(0);
    const m = exportAndCheck(dir, 'resumed', 'resumed-bundle');
    expect(m.members).to.have.length(4);
    expectFoldManifests(dir, 'resumed', m);
    expectRunPredictions('resumed', 'resumed-bundle');
  });

  it('a swept run exports each fold\'s chosen point (its models, its scores)', () => {
    ok(cli(['run', writeSpec(dir, 'swept', { name: 'swept', dataset: DATASET, training: TRAINING, sweep: { 'training.learningRate': [0.001, 0.03] } }), '--out', 'swept', '--workers', '1', '--backend', 'cpu', '--json'], dir));
    const m = exportAndCheck(dir, 'swept', 'swept-bundle');
    expectFoldManifests(dir, 'swept', m);
    expectRunPredictions('swept', 'swept-bundle');
  });

  it('a run trained through the job queue (run --queue with a worker) exports the same', async function () {
    skipWithoutRedis(this, 'the queued-run export test');
    const { proc: redis, url } = await startRedis(dir);
    const procs: Proc[] = [];
    try {
      const worker = new Proc(spawn(process.execPath, [CLI, 'worker', '--queue', url, '--backend', 'cpu'], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } }));
      procs.push(worker);
      await worker.waitFor((s) => s.includes('ready on'), 60000, 'worker ready');
      const spec = writeSpec(dir, 'queued', { name: 'queued', dataset: DATASET, training: TRAINING });
      const coord = new Proc(spawn(process.execPath, [CLI, 'run', spec, '--queue', url, '--out', 'queued', '--backend', 'cpu', '--json'], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } }));
      procs.push(coord);
      const { code } = await coord.exit;
      expect(code, coord.err).to.equal(0);
      const m = exportAndCheck(dir, 'queued', 'queued-bundle');
      expectFoldManifests(dir, 'queued', m);
      expectRunPredictions('queued', 'queued-bundle');
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
      await redis.stop('SIGTERM');
    }
  });
});
