import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OutputError } from '@fusion/core';
import { ioErrorOf, withIoErrors } from '@fusion/core';

/** The file that marks a folder as made by fusion (a run folder or its staging/partial folder). */
export const RUN_MARKER = '.fusion-run.json';

export interface RunMarker {
  fusionRun: string;
  runId: string;
  createdAt: string;
  fusionVersion: string;
  host: string;
}

function fusionVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../../package.json') as { version: string }).version;
}

/** Writes the marker into a folder fusion has just made. */
export function writeRunMarker(dir: string, runId: string = randomUUID()): RunMarker {
  const marker: RunMarker = { fusionRun: 'a folder made by fusion-cli run', runId, createdAt: new Date().toISOString(), fusionVersion: fusionVersion(), host: os.hostname() };
  fs.writeFileSync(path.join(dir, RUN_MARKER), JSON.stringify(marker, null, 2) + '\n');
  return marker;
}

/** The marker of a folder fusion made, or undefined (no folder, no marker, or not a marker fusion wrote). */
export function readRunMarker(dir: string): RunMarker | undefined {
  try {
    if (!fs.lstatSync(dir).isDirectory()) return undefined;
    const m = JSON.parse(fs.readFileSync(path.join(dir, RUN_MARKER), 'utf8')) as Partial<RunMarker>;
    return m && typeof m === 'object' && typeof m.runId === 'string' && typeof m.fusionRun === 'string' ? (m as RunMarker) : undefined;
  } catch {
    return undefined;
  }
}

/** True for a folder fusion made (it carries the marker): the only kind fusion ever replaces or removes. */
export function isFusionRunDir(dir: string): boolean {
  return readRunMarker(dir) !== undefined;
}

/** True when something (a file, a folder, a link, even a broken one) is at `p`. */
export function pathExists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * A run writes into a staging folder beside the target; only a finished run is moved into place, so a failed or
 * interrupted run never leaves a half-written folder nor touches an earlier result. The staging folder carries the
 * run marker, so the finished folder does too; only marked folders are ever removed or replaced.
 */
export class StagedOutput {
  readonly staging: string;

  /**
   * `resumable`: the staging folder has a fixed name (`.<name>.partial` beside the target) so an interrupted run can
   * be resumed from it; `resume` keeps what it holds instead of starting afresh. `overwrite`: an earlier fusion run
   * at the target (and an interrupted run's partial folder) may be replaced; never a folder without the marker.
   */
  constructor(readonly target: string, private readonly opts: { resumable?: boolean; resume?: boolean; overwrite?: boolean } = {}) {
    const parent = path.dirname(target);
    try {
      fs.mkdirSync(parent, { recursive: true });
    } catch (e) {
      throw new OutputError(`cannot create the output folder's parent ${parent}: ${(e as Error).message}. Choose another "output.dir".`);
    }
    if (opts.resumable || opts.resume) {
      this.staging = StagedOutput.partialDir(target);
      if (opts.resume) {
        if (!fs.existsSync(this.staging)) throw new OutputError(`nothing to resume: ${this.staging} does not exist (no interrupted run of ${target}).`);
        // A partial folder of an older fusion has no marker yet; it is fusion's (it holds run-state.json).
        if (!isFusionRunDir(this.staging)) writeRunMarker(this.staging);
      } else {
        const staging = this.staging;
        if (pathExists(staging)) {
          if (!opts.overwrite || !isFusionRunDir(staging)) {
            throw new OutputError(
              `${staging} exists (an interrupted run${isFusionRunDir(staging) ? '' : ', or a folder fusion did not make'}); it is not discarded. ` +
                `Continue it with --resume, or give --overwrite to start afresh (only a folder fusion made is removed).`
            );
          }
          withIoErrors(`removing the interrupted run ${staging}`, () => fs.rmSync(staging, { recursive: true, force: true }));
        }
        withIoErrors(`creating the staging folder ${staging}`, () => {
          fs.mkdirSync(staging);
          writeRunMarker(staging);
        });
      }
    } else {
      this.staging = withIoErrors(`creating a staging folder in ${parent}`, () => fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`)));
      writeRunMarker(this.staging);
    }
  }

  static partialDir(target: string): string {
    return path.join(path.dirname(target), `.${path.basename(target)}.partial`);
  }

  path(...parts: string[]): string {
    return path.join(this.staging, ...parts);
  }

  writeJson(rel: string, value: unknown): void {
    this.writeText(rel, JSON.stringify(value, null, 2) + '\n');
  }

  /** Writes a file atomically (temporary file, then rename), so a crash never leaves half a file. */
  writeText(rel: string, text: string): void {
    const file = this.path(rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw ioErrorOf(e, `writing ${file}`) ?? e;
    }
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.path(rel));
  }

  readJson<T>(rel: string): T {
    return JSON.parse(fs.readFileSync(this.path(rel), 'utf8')) as T;
  }

  /**
   * Moves the staging folder into place, replacing an earlier result only now that the new one is complete, and only
   * with `overwrite` and when that result is a fusion run folder (marker checked).
   */
  commit(): void {
    let backup: string | undefined;
    if (pathExists(this.target)) {
      if (!this.opts.overwrite || !isFusionRunDir(this.target)) {
        throw new OutputError(
          `${this.target} ${isFusionRunDir(this.target) ? 'holds a finished run' : 'exists and fusion did not make it'}, so it is not replaced; ` +
            `the finished run is kept in ${this.staging}: move it into place by hand.`
        );
      }
      backup = `${this.target}.replaced-${process.pid}-${Date.now()}`;
      const from = backup;
      withIoErrors(`moving the earlier result ${this.target} aside`, () => fs.renameSync(this.target, from));
    }
    try {
      fs.renameSync(this.staging, this.target);
    } catch (e) {
      if (backup) fs.renameSync(backup, this.target);
      throw ioErrorOf(e, `moving the finished run into ${this.target}`) ?? new OutputError(`cannot move the finished run into ${this.target}: ${(e as Error).message}`);
    }
    if (backup) fs.rmSync(backup, { recursive: true, force: true });
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}
