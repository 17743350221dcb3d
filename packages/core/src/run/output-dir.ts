import * as fs from 'fs';
import * as path from 'path';
import { OutputError } from '../errors';
import { ioErrorOf, withIoErrors } from '../io-errors';

/**
 * A run writes into a staging folder beside the target; only a finished run is moved into place, so a failed or
 * interrupted run never leaves a half-written folder nor touches an earlier result.
 */
export class StagedOutput {
  readonly staging: string;

  /**
   * `resumable`: the staging folder has a fixed name (`.<name>.partial` beside the target) so an interrupted run can
   * be resumed from it; `resume` keeps what it holds instead of starting afresh.
   */
  constructor(readonly target: string, opts: { resumable?: boolean; resume?: boolean } = {}) {
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
      } else {
        const staging = this.staging;
        withIoErrors(`creating the staging folder ${staging}`, () => {
          fs.rmSync(staging, { recursive: true, force: true });
          fs.mkdirSync(staging);
        });
      }
    } else {
      this.staging = withIoErrors(`creating a staging folder in ${parent}`, () => fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`)));
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

  /** Moves the staging folder into place, replacing an earlier result only now that the new one is complete. */
  commit(): void {
    let backup: string | undefined;
    if (fs.existsSync(this.target)) {
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
