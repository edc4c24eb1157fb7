import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../../lib/errors';
import { LOCK } from './owned';

/** What a lock file holds: who took it and when, and a token only its owner knows. */
interface LockInfo {
  readonly pid: number;
  /** ISO time the process started (for the message). */
  readonly started: string;
  /** Linux: field 22 of /proc/<pid>/stat (start time in clock ticks since boot), to tell a reused pid. */
  readonly procStart?: string;
  readonly token: string;
}

export interface Lock {
  readonly release: () => void;
  /** The dead holder whose lock this one took over (`pid 12, started …`), if any. */
  readonly tookOver?: string;
}

/** A lock or takeover file this old and still empty or unreadable belongs to a process that died creating it. */
const STALE_EMPTY_MS = 10_000;
const POLL_MS = 50;

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesized and may hold spaces; fields 3.. follow the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(holder: LockInfo, mine: LockInfo): boolean {
  // Same pid, other token: a previous process that had our pid (containers reuse small pids).
  if (holder.pid === mine.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = procStart(holder.pid);
  return holder.procStart === undefined || now === undefined || now === holder.procStart;
}

function readLock(file: string): { text: string; info?: LockInfo; ageMs: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const ageMs = Date.now() - statSync(file).mtimeMs;
    try {
      const info = JSON.parse(text) as LockInfo;
      return typeof info.pid === 'number' && typeof info.token === 'string' ? { text, info, ageMs } : { text, ageMs };
    } catch {
      return { text, ageMs };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes the stale lock whose content was `staleText`, unless someone replaced it meanwhile. A second
 * O_EXCL file serializes takers, so two processes that both saw the same dead lock cannot remove each
 * other's fresh one.
 */
function takeOver(file: string, staleText: string): void {
  const guard = `${file}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    const g = readLock(guard);
    if (g && g.ageMs > STALE_EMPTY_MS) rmSync(guard, { force: true });
    return;
  }
  try {
    if (readLock(file)?.text === staleText) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

/**
 * Serializes synths writing the same folder: `<outdir>/.eksai-lock` created with O_EXCL, holding pid,
 * start time and a token. A lock whose process is dead (or whose pid now belongs to another process)
 * is taken over; a live one is waited for up to `timeoutMs`, then an EnvironmentError says who holds it.
 */
export function acquireLock(outdir: string, timeoutMs: number, onWait?: (holder: string) => void): Lock {
  const file = join(outdir, LOCK);
  const mine: LockInfo = {
    pid: process.pid,
    started: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    ...(procStart(process.pid) !== undefined ? { procStart: procStart(process.pid) } : {}),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(mine)}\n`;
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  let tookOver: string | undefined;
  for (;;) {
    if (createExclusive(file, text)) break;
    const holder = readLock(file);
    if (holder === undefined) continue;
    const who = holder.info ? `pid ${holder.info.pid}, started ${holder.info.started}` : 'a process that is creating it';
    const stale = holder.info ? !alive(holder.info, mine) : holder.ageMs > STALE_EMPTY_MS;
    if (stale) {
      takeOver(file, holder.text);
      tookOver = holder.info ? who : 'an empty lock file';
      continue;
    }
    if (Date.now() >= deadline) {
      throw new EnvironmentError(
        `${outdir} is locked by another eksai synth (${who}); waited ${Number((timeoutMs / 1000).toFixed(1))}s: let it finish and run again, or, if no synth is running, delete ${file}`,
      );
    }
    if (!waited) onWait?.(who);
    waited = true;
    sleep(POLL_MS);
  }
  return {
    ...(tookOver !== undefined ? { tookOver } : {}),
    release: () => {
      if (readLock(file)?.info?.token === mine.token) rmSync(file, { force: true });
    },
  };
}
