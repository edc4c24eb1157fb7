import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { EnvironmentError } from '../../../lib/errors';
import { acquireLock } from '../../../pipeline/synth/lock';

const temps: string[] = [];
const children: { kill: () => boolean }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const outdir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-lock-'));
  temps.push(dir);
  return dir;
};

/** A live process that is not this one, and its /proc start time. */
async function liveProcess(): Promise<{ pid: number; procStart: string; exit: () => Promise<void> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  return { pid: child.pid!, procStart, exit: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill())) };
}

const lockFile = (dir: string) => join(dir, '.eksai-lock');
const holderLock = (pid: number, procStart?: string) =>
  JSON.stringify({ pid, started: '2026-01-01T00:00:00.000Z', ...(procStart ? { procStart } : {}), token: 'theirs' });

describe('acquireLock', () => {
  test('fails when a live synth holds the lock longer than the wait, naming it and the fix', async () => {
    const dir = outdir();
    const live = await liveProcess();
    writeFileSync(lockFile(dir), holderLock(live.pid, live.procStart));
    const t0 = Date.now();
    let waits = 0;
    expect(() => acquireLock(dir, 300, () => waits++)).toThrow(
      new EnvironmentError(
        `${dir} is locked by another eksai synth (pid ${live.pid}, started 2026-01-01T00:00:00.000Z); waited 0.3s: let it finish and run again, or, if no synth is running, delete ${lockFile(dir)}`,
      ),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(waits).toBe(1);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ token: 'theirs' });
  });

  test('takes over the lock of a dead process, of a reused pid, and of this pid from an earlier process', async () => {
    const dir = outdir();
    const live = await liveProcess();
    writeFileSync(lockFile(dir), holderLock(live.pid, `${live.procStart}0`));
    const reused = acquireLock(dir, 0);
    expect(reused.tookOver).toBe(`pid ${live.pid}, started 2026-01-01T00:00:00.000Z`);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, started: expect.stringMatching(/^\d{4}-/) });
    reused.release();
    expect(existsSync(lockFile(dir))).toBe(false);

    await live.exit();
    writeFileSync(lockFile(dir), holderLock(live.pid, live.procStart));
    const dead = acquireLock(dir, 0);
    expect(dead.tookOver).toBe(`pid ${live.pid}, started 2026-01-01T00:00:00.000Z`);
    dead.release();

    writeFileSync(lockFile(dir), holderLock(process.pid));
    const samePid = acquireLock(dir, 0);
    expect(samePid.tookOver).toBe(`pid ${process.pid}, started 2026-01-01T00:00:00.000Z`);
    samePid.release();
  });

  test('waits for an empty lock a process is still writing, and takes over one left empty for long', () => {
    const dir = outdir();
    writeFileSync(lockFile(dir), '');
    expect(() => acquireLock(dir, 100)).toThrow(/is locked by another eksai synth \(a process that is creating it\); waited 0.1s/);
    const old = Date.now() / 1000 - 60;
    utimesSync(lockFile(dir), old, old);
    const lock = acquireLock(dir, 0);
    expect(lock.tookOver).toBe('an empty lock file');
    lock.release();
  });

  test('release leaves a lock that is not its own', () => {
    const dir = outdir();
    const lock = acquireLock(dir, 0);
    writeFileSync(lockFile(dir), holderLock(1));
    lock.release();
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(holderLock(1));
  });
});
