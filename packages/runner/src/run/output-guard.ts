import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ioErrorOf } from '@fusion/core';
import { OutputLockedError, OutputTargetError } from '@fusion/core';
import { isFusionRunDir, pathExists, RUN_MARKER, StagedOutput } from './output-dir';

/** What a lock file records: which process on which machine holds the output folder, since when. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** Tells this lock from another of the same process (e.g. a lock taken over and taken again). */
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder a lock file names; undefined when it is gone; null when it cannot be read as a lock. */
function readHolder(file: string): LockHolder | undefined | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return null;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return h && Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : null;
  } catch {
    return null;
  }
}

/**
 * The lock of one output folder: `.<name>.lock` beside it, created with O_EXCL and holding the pid, host and start
 * time, for the whole run (fresh or resumed). A lock of a process that no longer runs on this host is taken over
 * with a warning; one held by a live process (or by another host) is refused. Released on every way out: `release()`
 * from a `finally`, and on `process.exit` (e.g. a second Ctrl-C). Only SIGKILL leaves it behind, as a stale lock.
 */
export class RunLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(readonly file: string, readonly holder: LockHolder, private readonly createdDirs: string[]) {
    process.on('exit', this.onExit);
  }

  static fileOf(target: string): string {
    return path.join(path.dirname(target), `.${path.basename(target)}.lock`);
  }

  /** Takes the lock of `target`, or throws `OutputLockedError` naming its holder. `warn` hears of a stale lock taken over. */
  static acquire(target: string, warn: (message: string) => void = () => undefined): RunLock {
    const file = RunLock.fileOf(target);
    const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token: randomUUID() };
    const createdDirs: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const first = fs.mkdirSync(path.dirname(file), { recursive: true });
        // Folders this run made for the lock; removed again on release if the run left them empty.
        for (let d = path.dirname(file); first && d.length >= first.length; d = path.dirname(d)) if (!createdDirs.includes(d)) createdDirs.push(d);
      } catch (e) {
        throw ioErrorOf(e, `creating the output folder's parent ${path.dirname(file)}`) ?? e;
      }
      let fd: number;
      try {
        fd = fs.openSync(file, 'wx');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code !== 'EEXIST') throw ioErrorOf(e, `creating the output lock ${file}`) ?? e;
        const other = readHolder(file);
        if (other === undefined) continue; // released meanwhile
        if (other === null || other.host !== os.hostname() || alive(other.pid)) throw new OutputLockedError(target, file, other ?? undefined);
        if (RunLock.takeOver(file, other)) warn(`took over the lock of ${target} from process ${other.pid}, which no longer runs (started ${other.startedAt}).`);
        continue;
      }
      try {
        fs.writeSync(fd, JSON.stringify(holder) + '\n');
      } finally {
        fs.closeSync(fd);
      }
      return new RunLock(file, holder, createdDirs);
    }
    throw new OutputLockedError(target, file, readHolder(file) ?? undefined);
  }

  /**
   * Removes a stale lock, unless another process took it over first: the lock is moved aside (only one process can),
   * and put back if it turns out not to be the stale one that was read.
   */
  private static takeOver(file: string, stale: LockHolder): boolean {
    const aside = `${file}.stale-${process.pid}-${randomUUID()}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      return false;
    }
    const moved = readHolder(aside);
    if (moved && moved.token === stale.token) {
      fs.rmSync(aside, { force: true });
      return true;
    }
    try {
      fs.linkSync(aside, file);
    } catch {
      // someone locked meanwhile: theirs stays
    }
    fs.rmSync(aside, { force: true });
    return false;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    if (readHolder(this.file)?.token === this.holder.token) fs.rmSync(this.file, { force: true });
    for (const d of this.createdDirs) {
      try {
        fs.rmdirSync(d); // only when empty
      } catch {
        break;
      }
    }
  }
}

/** A path as the user would read it: relative to the working folder when inside it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** `p` with symbolic links resolved as far as it exists (the rest appended), so `./x/..` or a linked /tmp compare right. */
function realPath(p: string): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest);
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return path.resolve(p);
      rest.unshift(path.basename(cur));
      cur = up;
    }
  }
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Why fusion must not make a run folder at `target`, or undefined when it may. An existing fusion run folder is
 * allowed here (the caller decides between a new folder beside it and `--overwrite`).
 */
export function unsafeOutputReason(target: string, cwd = process.cwd()): string | undefined {
  const real = realPath(target);
  const where = shown(target);
  if (path.parse(real).root === real) return `${where} is the root of the filesystem; a run folder must be a new folder (e.g. runs/<name>). Choose another output folder.`;
  if (inside(realPath(cwd), real)) return `${where} is the working folder or a folder above it; a run folder must be a new folder (e.g. runs/<name>). Choose another output folder.`;
  if (real === realPath(os.homedir())) return `${where} is the home folder; a run folder must be a new folder (e.g. runs/<name>). Choose another output folder.`;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return `${where} is a symbolic link; fusion does not write a run through a link. Give the folder it points to, or another output folder.`;
  if (!st.isDirectory()) return `${where} is a file, not a folder; fusion never replaces a file with a run. Choose another output folder, or move the file away.`;
  if (!isFusionRunDir(target))
    return `${where} is an existing folder that fusion did not make (it has no ${RUN_MARKER}); fusion never writes into, replaces or removes it. Choose another output folder, or move that folder away.`;
  return undefined;
}

export interface ClaimOptions {
  /** Where the folder was given, for the error message: "--out", "--resume" or e.g. "spec.json: at /output/dir". */
  source: string;
  /** Replace a finished fusion run at the target (and discard an interrupted one's partial folder). */
  overwrite?: boolean;
  /** Continue the interrupted run at the target. */
  resume?: boolean;
  warn?: (message: string) => void;
}

export interface ClaimedOutput {
  /** The folder the run writes: the one asked for, or a new one beside it when that holds a finished run. */
  outDir: string;
  requested: string;
  /** Set when `outDir` is not the folder asked for: why. */
  newFolderBecause?: string;
  /** A finished fusion run at `outDir` is replaced when this run completes (`--overwrite`). */
  replaces: boolean;
  lock: RunLock;
}

/**
 * Checks the output folder of a run before any data is loaded and takes its lock. Refuses (OutputTargetError) a
 * folder fusion did not make, a file, the working folder or one above it, the root or home folder, and a fresh run
 * over an interrupted run's partial folder (hint: --resume or --overwrite). A finished run at the target is kept:
 * the run goes to a new folder beside it (`<name>-2`, `-3`, ...) unless `overwrite`. The caller releases the lock.
 */
export function claimOutput(requested: string, opts: ClaimOptions): ClaimedOutput {
  const target = path.resolve(requested);
  const refuse = (detail: string): never => {
    throw new OutputTargetError(target, opts.source, detail);
  };
  const reason = unsafeOutputReason(target);
  if (reason) refuse(reason);
  const lock = RunLock.acquire(target, opts.warn);
  try {
    const finished = pathExists(target);
    const partial = StagedOutput.partialDir(target);
    if (opts.resume) {
      if (finished && !opts.overwrite) refuse(`${shown(target)} already holds a finished run; resuming would replace it. Give --overwrite to replace it with the resumed run, or move it away.`);
      return { outDir: target, requested: target, replaces: finished, lock };
    }
    if (pathExists(partial)) {
      if (!opts.overwrite)
        refuse(
          `an interrupted run of ${shown(target)} waits in ${shown(partial)}; it is not discarded. Continue it with "fusion-cli run --resume ${shown(target)}", ` +
            `or start afresh with --overwrite (which discards it).`
        );
      if (!isFusionRunDir(partial)) refuse(`${shown(partial)} has no ${RUN_MARKER}, so fusion did not make it and --overwrite does not remove it. Move it away, or continue it with --resume.`);
    }
    if (!finished || opts.overwrite) return { outDir: target, requested: target, replaces: finished, lock };
    for (let n = 2; n < 10000; n++) {
      const next = `${target}-${n}`;
      if (pathExists(next) || pathExists(StagedOutput.partialDir(next)) || pathExists(RunLock.fileOf(next))) continue;
      let nextLock: RunLock;
      try {
        nextLock = RunLock.acquire(next);
      } catch (e) {
        if (e instanceof OutputLockedError) continue;
        throw e;
      }
      if (pathExists(next) || pathExists(StagedOutput.partialDir(next))) {
        nextLock.release();
        continue;
      }
      lock.release();
      return {
        outDir: next,
        requested: target,
        newFolderBecause: `${shown(target)} holds a finished run, so this run is written to ${shown(next)} beside it (give --overwrite to replace it instead).`,
        replaces: false,
        lock: nextLock,
      };
    }
    return refuse(`${shown(target)} holds a finished run and so do ${shown(target)}-2 to -9999. Give --overwrite, or choose another output folder.`);
  } catch (e) {
    lock.release();
    throw e;
  }
}
