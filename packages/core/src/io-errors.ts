import { FusionError, IoError } from './errors';

/** What each system error code means for the user and what to do about it. */
const HINTS: Record<string, string> = {
  EACCES: 'permission denied. Make the folder writable for this user, or choose another folder (--out for results, --cache-dir for the cache).',
  EPERM: 'operation not permitted. Make the folder writable for this user, or choose another folder (--out for results, --cache-dir for the cache).',
  EROFS: 'the file system is read-only. Choose an output folder on a writable disk (--out) or remount it read-write.',
  ENOSPC: 'no space left on the device. Free space (or choose another disk with --out) and continue with `fusion-cli run --resume <output folder>`: finished jobs are kept.',
  EDQUOT: 'the disk quota is exceeded. Free space within the quota and continue with `fusion-cli run --resume <output folder>`: finished jobs are kept.',
  EBUSY: 'the path is busy (a mount point, or held open by another program). Unmount or close it and continue with `fusion-cli run --resume <output folder>`, or choose another output folder (--out).',
  EMFILE: 'too many open files. Raise the limit (ulimit -n) and run again.',
  ENFILE: 'too many open files on the system. Close other programs or raise the limit and run again.',
  EIO: 'the disk reported an input/output error. Check the disk (dmesg) and run again.',
  ENOENT: 'no such file or folder (removed while the run was writing?). Check the path and run again.',
  ENOTDIR: 'a part of the path is a file, not a folder. Choose another output folder (--out).',
  EISDIR: 'a folder is in the way of a file. Remove it or choose another output folder (--out).',
  ENAMETOOLONG: 'the path is too long. Choose a shorter output folder (--out).',
  EXDEV: 'the path crosses file systems. Keep the output folder on one disk.',
  ENOTEMPTY: 'a folder that should be empty is not. Remove it or choose another output folder (--out).',
  EEXIST: 'it already exists. Remove it or choose another output folder (--out).',
};

/** True for an error from a Node file-system call (it carries a system error `code` such as ENOSPC and a `syscall`). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const x = e as NodeJS.ErrnoException | null;
  return x instanceof Error && typeof x.code === 'string' && /^E[A-Z0-9]+$/.test(x.code) && typeof x.syscall === 'string';
}

/**
 * The one mapping from Node's system errors to a named `IoError` saying what failed, on which file, what it means and
 * what to do. `doing` describes the operation ("writing the run's results"); undefined for anything that is not a
 * system error (named errors are returned as they are).
 */
export function ioErrorOf(e: unknown, doing?: string): FusionError | undefined {
  if (e instanceof FusionError) return e;
  if (!isSystemError(e)) return undefined;
  const code = e.code!;
  const file = e.path;
  const dest = (e as { dest?: string }).dest;
  const call = `${e.syscall}${file ? ` ${file}` : ''}${dest ? ` -> ${dest}` : ''}`;
  const hint = HINTS[code] ?? `${e.message.replace(/^\w+: /, '')}. Check the path and the disk, and run again.`;
  return new IoError(code, file, `${doing ? `${doing} failed (${call})` : `${call} failed`}: ${code}: ${hint}`);
}

/** Runs `fn`, turning a system error into an `IoError` (see `ioErrorOf`); other errors pass unchanged. */
export function withIoErrors<T>(doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioErrorOf(e, doing) ?? e;
  }
}

export async function withIoErrorsAsync<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw ioErrorOf(e, doing) ?? e;
  }
}
