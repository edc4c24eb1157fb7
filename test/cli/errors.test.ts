import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { systemErrorMessage } from '../../cli';
import { eksai, minimalInput, tempRepo } from '../helpers';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-errors-'));
  temps.push(dir);
  return dir;
};

/** The error a real call throws (or returns, for spawnSync). */
function thrown(f: () => unknown): unknown {
  try {
    const r = f() as { error?: unknown } | undefined;
    if (r?.error) return r.error;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('systemErrorMessage', () => {
  test('maps real errors of real system calls to one line naming the call, the path, the cause and the fix', () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    mkdirSync(join(dir, 'full', 'sub'), { recursive: true });
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n');
    chmodSync(join(dir, 'not-executable'), 0o644);
    const cases: [() => unknown, string][] = [
      [
        () => mkdirSync(join(dir, 'file', 'dist')),
        `cannot mkdir ${join(dir, 'file', 'dist')}: a part of the path is a file, not a folder (ENOTDIR): move that file away or use another path`,
      ],
      [() => mkdirSync(join(dir, 'full')), `cannot mkdir ${join(dir, 'full')}: already exists (EEXIST): move it away or use another path`],
      [
        () => readFileSync(join(dir, 'loop')),
        `cannot open ${join(dir, 'loop')}: too many levels of symbolic links (a symlink loop?) (ELOOP): fix or remove the symlink`,
      ],
      [() => readFileSync(join(dir, 'full')), 'cannot read: is a folder where a file is expected (EISDIR): move the folder away or use another path'],
      [
        () => readFileSync(join(dir, 'missing')),
        `cannot open ${join(dir, 'missing')}: no such file or directory (ENOENT): check that it exists (and, for a program, that it is on PATH)`,
      ],
      [() => writeFileSync('/dev/full', 'x'), 'cannot write: no space left on device (ENOSPC): free some space and run again'],
      [
        () => linkSync(join(dir, 'full'), join(dir, 'hardlink')),
        `cannot link ${join(dir, 'full')} → ${join(dir, 'hardlink')}: operation not permitted (EPERM): check its permissions and attributes, or use another folder (e.g. --outdir)`,
      ],
      [() => rmdirSync(join(dir, 'full')), `cannot rmdir ${join(dir, 'full')}: folder not empty (ENOTEMPTY): move it away or use another path`],
      [() => readFileSync(join(dir, 'n'.repeat(300))), `cannot open ${join(dir, 'n'.repeat(300))}: name too long (ENAMETOOLONG): use a shorter path`],
      // Root may read and write anything, but not execute a file without an x bit.
      [
        () => spawnSync(join(dir, 'not-executable')),
        `cannot run ${join(dir, 'not-executable')}: permission denied (EACCES): give your user access to it, or use another folder (e.g. --outdir)`,
      ],
      [
        () => spawnSync('eksai-no-such-program'),
        'cannot run eksai-no-such-program: no such file or directory (ENOENT): check that it exists (and, for a program, that it is on PATH)',
      ],
      [
        () => mkdirSync(join(dir, 'a\nb', 'c')),
        `cannot mkdir ${JSON.stringify(join(dir, 'a\nb', 'c'))}: no such file or directory (ENOENT): check that it exists (and, for a program, that it is on PATH)`,
      ],
    ];
    for (const [call, message] of cases) expect(systemErrorMessage(thrown(call))).toBe(message);
  });

  test('leaves errors that are not of the environment to the internal-error path', () => {
    expect(systemErrorMessage(new TypeError('x is undefined'))).toBeUndefined();
    expect(systemErrorMessage(thrown(() => readFileSync('a\0b')))).toBeUndefined(); // ERR_INVALID_ARG_VALUE: no syscall
    expect(systemErrorMessage(Object.assign(new Error('odd'), { code: 'EWHATEVER', syscall: 'open' }))).toBeUndefined();
    expect(systemErrorMessage('ENOENT')).toBeUndefined();
  });
});

describe('environment errors in commands', () => {
  test.each([
    [
      'dist is under a file',
      (repo: string) => writeFileSync(join(repo, 'out'), 'x'),
      'out/dist',
      (repo: string) => ['stat', 'mkdir'].map((call) => `cannot ${call} ${join(repo, 'out', 'dist')}: a part of the path is a file, not a folder (ENOTDIR)`),
    ], // Node 20 stats first, Node 24's mkdir finds it
    [
      'dist is a symlink loop',
      (repo: string) => symlinkSync(join(repo, 'dist'), join(repo, 'dist')),
      'dist',
      (repo: string) => `cannot stat ${join(repo, 'dist')}: too many levels of symbolic links (a symlink loop?) (ELOOP)`,
    ],
    [
      'the lock file is a folder',
      (repo: string) => mkdirSync(join(repo, 'dist', '.eksai-lock'), { recursive: true }),
      'dist',
      () => 'cannot read: is a folder where a file is expected (EISDIR)',
    ],
  ])('fails with exit 2 and one line, no stack, when %s', (_, arrange, outdir, message) => {
    const repo = tempRepo([minimalInput()]);
    temps.push(repo);
    arrange(repo);
    const out = eksai(['synth', '--cwd', repo, '--outdir', outdir]);
    expect(out.status).toBe(2);
    const escaped = ([] as string[]).concat(message(repo)).map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    expect(out.stderr).toMatch(new RegExp(`^eksai synth: (${escaped.join('|')}): [^\\n]+\\n$`));
    expect(out.stderr).not.toContain('internal error');
  });
});
