import { closeSync, constants, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `text` so that at every instant the file holds either its old or its new
 * content, never a prefix of either (a full disk once truncated clusters/dev.lookups.json to 0 bytes):
 * the text goes to a temp file in the same folder (same file system, so rename is atomic), is
 * fsynced, renamed over the target, and the folder is fsynced so the rename survives a crash.
 * On any failure the temp file is removed and the error is rethrown; the target is untouched.
 */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  removeStaleTemps(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  const mode = existingMode(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    const data = Buffer.from(text, 'utf8');
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already gone (the rename happened, or open failed)
    }
    throw err;
  }
  fsyncDir(dir);
}

/** `.dev.lookups.json.tmp-` — hidden, and named after the target so leftovers are recognisable. */
function tempPrefix(path: string): string {
  return `.${basename(path)}.tmp-`;
}

function existingMode(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o644;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on a directory (EINVAL/EISDIR/EPERM); the rename is done regardless.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Temp files of writers that died before their rename (pid no longer alive). */
function removeStaleTemps(path: string): void {
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    if (pid === process.pid) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      // raced with another cleaner
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
