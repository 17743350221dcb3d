import * as fs from 'fs';
import * as path from 'path';
import { describeValue, ioErrorOf, OutputError, withIoErrors } from '@fusion/core';
import type { GraphSpec } from '@fusion/core';
import { StagedOutput } from './output-dir';
import type { JobResult, TrainJob } from './plan';
import type { Reporter } from './reporter';

/**
 * Resume: a run stages its folder as `.<out>.partial` with run-state.json (what rebuilds the same run) and a record
 * per finished job (jobs/<id>.json beside its model); `--resume` reads them back and trains only the rest.
 */

/** What a partial run folder records so that `resume` can rebuild the same run. */
export interface RunState {
  spec: GraphSpec;
  baseDir: string;
  startedAt: string;
}

export function readRunState(outDir: string): RunState {
  const file = path.join(StagedOutput.partialDir(outDir), 'run-state.json');
  if (!fs.existsSync(file)) throw new OutputError(`nothing to resume at ${outDir}: ${file} does not exist (no interrupted run there). Start the run again without --resume.`);
  const text = withIoErrors(`reading ${file}`, () => fs.readFileSync(file, 'utf8'));
  let state: Partial<RunState> | null;
  try {
    state = JSON.parse(text) as Partial<RunState> | null;
  } catch (e) {
    throw damagedState(file, `it is not valid JSON (${(e as Error).message})`);
  }
  if (state === null || typeof state !== 'object' || state.spec === null || typeof state.spec !== 'object' || typeof state.baseDir !== 'string')
    throw damagedState(file, `expected {"spec": {...}, "baseDir": "...", "startedAt": "..."}, found ${describeValue(state)}`);
  return state as RunState;
}

function damagedState(file: string, why: string): OutputError {
  return new OutputError(
    `cannot resume: ${file}, which records the interrupted run, is damaged: ${why}. ` +
      `The finished jobs beside it cannot be matched to a spec; start the run again without --resume (it replaces the partial folder).`
  );
}

/** A finished job's record in the partial folder, or why it cannot be used (truncated, garbage, another run's). */
function readJobRecord(out: StagedOutput, rel: string, planned: Map<string, TrainJob>): JobResult | string {
  let r: Partial<JobResult> | null;
  try {
    r = out.readJson<Partial<JobResult> | null>(rel);
  } catch (e) {
    if (e instanceof SyntaxError) return `not valid JSON (${e.message})`;
    throw ioErrorOf(e, `reading ${out.path(rel)}`) ?? e;
  }
  if (r === null || typeof r !== 'object' || typeof r.id !== 'string' || !planned.has(r.id)) return `not the record of a job of this run (id ${JSON.stringify(r?.id)})`;
  if (!Array.isArray(r.probs) || !Array.isArray(r.valProbs) || typeof r.modelDir !== 'string' || !Array.isArray(r.history)) return 'fields are missing (probs, valProbs, modelDir, history)';
  return r as JobResult;
}

/**
 * The jobs already finished: on resume, those of the partial folder whose record and model are intact (a damaged
 * record only costs its job, trained again); on a fresh start none, and the run state is written for a later resume.
 */
export function finishedJobs(out: StagedOutput, jobs: TrainJob[], resume: boolean | undefined, state: RunState, report: Reporter): Map<string, JobResult> {
  const results = new Map<string, JobResult>();
  if (!resume) {
    out.writeJson('run-state.json', state);
    return results;
  }
  const planned = new Map(jobs.map((j) => [j.id, j]));
  for (const f of fs.existsSync(out.path('jobs')) ? fs.readdirSync(out.path('jobs')) : []) {
    if (!f.endsWith('.json')) continue;
    const r = readJobRecord(out, path.join('jobs', f), planned);
    if (typeof r === 'string') report({ type: 'warning', message: `${out.path('jobs', f)} is damaged (${r}); that job is trained again.` });
    else if (fs.existsSync(path.join(out.staging, r.modelDir, 'model.json'))) results.set(r.id, r);
  }
  return results;
}

/** A finished job's record, kept until the run completes. */
export function writeJobRecord(out: StagedOutput, r: JobResult): void {
  out.writeJson(path.join('jobs', `${r.id}.json`), r);
}

/** After the commit: the resume records leave the finished run folder. */
export function removeResumeRecords(outDir: string): void {
  fs.rmSync(path.join(outDir, 'jobs'), { recursive: true, force: true });
  fs.rmSync(path.join(outDir, 'run-state.json'), { force: true });
}
