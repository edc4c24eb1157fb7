import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { EnvironmentError, UsageError } from '../errors';

function git(cwd: string, args: readonly string[], input?: Buffer): Buffer {
  return execFileSync('git', [...args], { cwd, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves a ref to a commit id; a bad ref is a usage error that says how to fix it. */
export function resolveRef(cwd: string, ref: string): string {
  try {
    return git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).toString('utf8').trim();
  } catch (err) {
    try {
      git(cwd, ['rev-parse', '--git-dir']);
    } catch {
      throw new EnvironmentError(`${cwd} is not a git repository (or git is not installed): run eksai diff inside the repository`);
    }
    throw new UsageError(`unknown git revision '${ref}': pass a branch, tag or commit that exists locally (in CI fetch it first, e.g. \`git fetch origin ${ref.replace(/^origin\//, '')}\`)`);
  }
}

/** Every `*.yaml` under `<distDir>/` at a commit, read with one `git cat-file --batch`. */
export function readDistAtRef(cwd: string, commit: string, distDir = 'dist'): Map<string, string> {
  const names = git(cwd, ['ls-tree', '-r', '--name-only', commit, '--', distDir])
    .toString('utf8')
    .split('\n')
    .filter((p) => p.endsWith('.yaml') || p.endsWith('.yml'));
  const files = new Map<string, string>();
  if (names.length === 0) return files;
  const out = git(cwd, ['cat-file', '--batch'], Buffer.from(names.map((n) => `${commit}:${n}\n`).join('')));
  let pos = 0;
  for (const name of names) {
    const eol = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, eol).toString('utf8');
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new EnvironmentError(`git cat-file could not read ${name} at ${commit}: ${header}`);
    files.set(name, out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    pos = eol + 1 + size + 1;
  }
  return files;
}

/** Every `*.yaml` under `<cwd>/<distDir>/` in the working tree, keyed by repo-relative path. */
export function readDistInWorkingTree(cwd: string, distDir = 'dist'): Map<string, string> {
  const files = new Map<string, string>();
  const root = join(cwd, distDir);
  if (!existsSync(root)) return files;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) files.set(relative(cwd, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return files;
}
