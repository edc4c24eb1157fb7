import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { EnvironmentError, UsageError } from '../../lib/errors';

function git(cwd: string, args: readonly string[], input?: Buffer): Buffer {
  return execFileSync('git', [...args], { cwd, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves a ref to a commit id; a bad ref is a usage error that says how to fix it. */
export function resolveRef(cwd: string, ref: string): string {
  try {
    return git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
      .toString('utf8')
      .trim();
  } catch {
    try {
      git(cwd, ['rev-parse', '--git-dir']);
    } catch {
      throw new EnvironmentError(`${cwd} is not a git repository (or git is not installed): run eksai diff inside the repository`);
    }
    throw new UsageError(
      `unknown git revision '${ref}': pass a branch, tag or commit that exists locally (in CI fetch it first, e.g. \`git fetch origin ${ref.replace(/^origin\//, '')}\`)`,
    );
  }
}

const isYaml = (path: string): boolean => path.endsWith('.yaml') || path.endsWith('.yml');

/**
 * Every `*.yaml` (or every file `wanted` names) under `<distDir>/` at a commit, read with one `git cat-file
 * --batch`. `blobs` (object id → text) is shared across calls: a file with the same blob in both revisions is
 * read from git once.
 */
export function readDistAtRef(
  cwd: string,
  commit: string,
  distDir = 'dist',
  blobs: Map<string, string> = new Map(),
  wanted: (path: string) => boolean = isYaml,
): Map<string, string> {
  const entries = git(cwd, ['ls-tree', '-r', '--full-tree', commit, '--', distDir])
    .toString('utf8')
    .split('\n')
    .map((line) => /^\d+ blob ([0-9a-f]+)\t(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && wanted(m[2]!))
    .map((m) => ({ oid: m[1]!, name: m[2]! }));
  const missing = [...new Set(entries.map((e) => e.oid).filter((oid) => !blobs.has(oid)))];
  if (missing.length > 0) {
    const out = git(cwd, ['cat-file', '--batch'], Buffer.from(missing.map((oid) => `${oid}\n`).join('')));
    let pos = 0;
    for (const oid of missing) {
      const eol = out.indexOf(0x0a, pos);
      const header = out.subarray(pos, eol).toString('utf8');
      const size = Number(header.split(' ')[2]);
      if (!Number.isFinite(size)) throw new EnvironmentError(`git cat-file could not read blob ${oid} at ${commit}: ${header}`);
      blobs.set(oid, out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
      pos = eol + 1 + size + 1;
    }
  }
  const files = new Map<string, string>();
  for (const { oid, name } of entries) files.set(name, blobs.get(oid)!);
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
