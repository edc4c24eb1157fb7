import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { synthesize, type SynthOptions } from './index';
import { isLeftover, MARKER, markerText, readMarker } from './owned';

/** `leftover`: an `.eksai-*` entry of a synth that was killed (or is running): the next synth removes it. */
export type StaleStatus = 'changed' | 'missing' | 'extra' | 'leftover';

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

/** Every file under `dir` (dotfiles too: synth replaces a cluster folder whole, so it would remove them). */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Is dist/ what synth produces? Synthesizes in memory and compares byte for byte; writes nothing. It
 * looks where synth writes: the cluster folders (those synthesized and those the marker lists, which a
 * full synth would remove), the marker, and `.eksai-*` leftovers. Other top-level entries of dist
 * (a README, a folder of your own) are not synth's, so synth keeps them and check ignores them.
 */
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
  const partial = options.only !== undefined && options.only.length > 0;
  const listed = existsSync(result.outdir) ? readMarker(result.outdir) : undefined;
  const markerFile = join(result.outdir, MARKER);
  // A partial synth adds its clusters to the marker and keeps the others.
  const wantMarker = markerText(partial ? [...(listed ?? []), ...result.clusters.keys()] : result.clusters.keys());
  if (listed === undefined) stale.push({ path: rel(markerFile), status: 'missing' });
  else if (readFileSync(markerFile, 'utf8') !== wantMarker) stale.push({ path: rel(markerFile), status: 'changed' });

  const owned = partial ? [...result.clusters.keys()] : [...new Set([...result.clusters.keys(), ...(listed ?? [])])];
  for (const cluster of owned) for (const f of listFiles(join(result.outdir, cluster))) if (!expected.has(f)) stale.push({ path: rel(f), status: 'extra' });
  if (existsSync(result.outdir)) {
    for (const entry of readdirSync(result.outdir)) if (isLeftover(entry)) stale.push({ path: rel(join(result.outdir, entry)), status: 'leftover' });
  }
  stale.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { fresh: stale.length === 0, stale, files: result.files };
}
