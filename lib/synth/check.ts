import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { synthesize, type SynthOptions } from './index';

export type StaleStatus = 'changed' | 'missing' | 'extra';

export interface StaleFile {
  /** Path relative to the repository root, with forward slashes. */
  readonly path: string;
  readonly status: StaleStatus;
}

export interface CheckResult {
  readonly fresh: boolean;
  readonly stale: readonly StaleFile[];
  readonly files: number;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Is dist/ what synth produces? Synthesizes in memory and compares byte for byte; writes nothing. */
export function checkDist(options: Omit<SynthOptions, 'dryRun'> = {}): CheckResult {
  const result = synthesize({ ...options, dryRun: true });
  const cwd = options.cwd ?? process.cwd();
  const rel = (p: string) => relative(cwd, p).split(sep).join('/');
  const stale: StaleFile[] = [];
  const expected = new Set<string>();
  for (const [cluster, files] of result.clusters) {
    for (const [path, content] of files) {
      const abs = join(result.outdir, cluster, path);
      expected.add(abs);
      if (!existsSync(abs)) stale.push({ path: rel(abs), status: 'missing' });
      else if (readFileSync(abs, 'utf8') !== content) stale.push({ path: rel(abs), status: 'changed' });
    }
  }
  const scope = options.only && options.only.length > 0 ? options.only.map((c) => join(result.outdir, c)) : [result.outdir];
  for (const dir of scope) for (const f of listFiles(dir)) if (!expected.has(f)) stale.push({ path: rel(f), status: 'extra' });
  stale.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { fresh: stale.length === 0, stale, files: result.files };
}
