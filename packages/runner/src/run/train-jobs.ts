import { isPermanentError } from '@fusion/core';
import type { GraphSpec } from '@fusion/core';
import type { JobExecutor } from './executor';
import type { StagedOutput } from './output-dir';
import { JobResult, prepareFold, RunContext, TrainJob } from './plan';
import type { Reporter } from './reporter';
import { writeJobRecord } from './resume';

/**
 * Trains the jobs not finished yet on the executor, reporting progress as it happens; each finished job's record is
 * kept in the partial folder (for resume) and added to `results`. A data, spec or training error would fail again on
 * resume: it drops the partial folder. An interruption (or an unexpected failure, e.g. a lost worker) keeps the
 * finished jobs for `--resume`.
 */
export async function trainPendingJobs(
  executor: JobExecutor,
  run: { spec: GraphSpec; points: RunContext[]; jobs: TrainJob[]; results: Map<string, JobResult>; out: StagedOutput },
  report: Reporter,
  shouldStop?: () => boolean
): Promise<void> {
  const { spec, points, jobs, results, out } = run;
  const pending = jobs.filter((j) => !results.has(j.id));
  const foldsStarted = new Set<number>();
  try {
    await executor.run(pending, {
      onStart: (job) => {
        // The first job of a fold to start announces the fold (as it happens, also with worker processes).
        if (!foldsStarted.has(job.fold)) {
          foldsStarted.add(job.fold);
          const p = prepareFold(points[job.point ?? 0], job.fold);
          report({ type: 'fold-start', fold: job.fold, test: p.fold.test, validation: p.validation, trainWindows: p.fitW.y.length, testWindows: p.testW.y.length });
        }
        report({ type: 'member-start', fold: job.fold, member: job.member });
      },
      onEpoch: (job, log) => report({ type: 'epoch', fold: job.fold, member: job.member, log, epochs: (job.point === undefined ? spec : points[job.point].spec).training.epochs }),
      onDone: (r) => {
        writeJobRecord(out, r);
        results.set(r.id, r);
        report({ type: 'member-end', fold: r.fold, member: r.member, bestEpoch: r.bestEpoch, epochsRun: r.epochsRun });
        const ofFold = jobs.filter((j) => j.fold === r.fold);
        if (ofFold.every((j) => results.has(j.id))) report({ type: 'fold-trained', fold: r.fold, models: ofFold.length });
      },
      shouldStop,
    });
  } catch (e) {
    if (isPermanentError(e)) out.discard();
    throw e;
  } finally {
    await executor.close();
  }
}
