import * as fs from 'fs';
import { DatasetError } from './errors';

/**
 * What a path is, found with lstat/stat only: nothing is opened, so a FIFO with no writer or a character device such
 * as /dev/zero is named instead of blocking the reader or filling memory.
 */
export type PathKind =
  | 'file'
  | 'directory'
  | 'missing'
  | 'FIFO (named pipe)'
  | 'character device'
  | 'block device'
  | 'socket'
  | 'broken symlink'
  | 'symlink loop'
  | 'unreadable';

function kindOf(st: fs.Stats): PathKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  return 'unreadable';
}

/** The kind of `p` after following symlinks (a dangling or looping link is named as such). */
export function pathKind(p: string): PathKind {
  let link: fs.Stats;
  try {
    link = fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (code === 'ELOOP') return 'symlink loop';
    return 'unreadable';
  }
  if (!link.isSymbolicLink()) return kindOf(link);
  try {
    return kindOf(fs.statSync(p));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'symlink loop';
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'broken symlink';
    return 'unreadable';
  }
}

function article(kind: PathKind): string {
  return kind === 'missing' ? 'missing' : `${/^[aeiouAEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** Why `p` is not a regular file ("is a FIFO (named pipe), expected a regular file"), or undefined when it is one. */
export function notRegularFile(p: string): string | undefined {
  const kind = pathKind(p);
  if (kind === 'file') return undefined;
  if (kind === 'missing') return 'does not exist';
  return `is ${article(kind)}, expected a regular file`;
}

/** Why `p` is not a directory, or undefined when it is one. */
export function notDirectory(p: string): string | undefined {
  const kind = pathKind(p);
  if (kind === 'directory') return undefined;
  if (kind === 'missing') return 'does not exist';
  return `is ${article(kind === 'file' ? ('regular file' as PathKind) : kind)}, expected a folder`;
}

/**
 * Checks, before anything opens it, that `p` is a regular file (symlinks to one are fine) and returns its stats; throws
 * a `DatasetError` naming what the path is otherwise. `what` names the file for the message ("E4 BVP file"); `fix` ends
 * the message when the file is missing.
 */
export function statRegularFile(p: string, what: string, fix = 'Check the path.'): fs.Stats {
  const why = notRegularFile(p);
  if (why !== undefined) {
    throw new DatasetError(
      why === 'does not exist'
        ? `${what} not found: ${p}. ${fix}`
        : `${what} ${p} ${why}. Give the path of the data file itself (a FIFO, device, folder or dangling link cannot be read as data).`
    );
  }
  return fs.statSync(p);
}

/**
 * Checks that `p` is a folder (symlinks to one are fine); throws a `DatasetError` naming what it is otherwise:
 * "`what` not found: `p`. `fix`" or "`what` `p` is a FIFO (named pipe), expected a folder. `fix`".
 */
export function statDirectory(p: string, what: string, fix: string): void {
  const why = notDirectory(p);
  if (why === undefined) return;
  throw new DatasetError(why === 'does not exist' ? `${what} not found: ${p}. ${fix}` : `${what} ${p} ${why}. ${fix}`);
}
