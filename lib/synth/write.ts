import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RenderedFiles } from './render';

export interface WriteOptions {
  /** dist directory (absolute). */
  readonly outdir: string;
  /** When true, cluster folders in outdir that are not in `clusters` are removed (a full synth). */
  readonly prune: boolean;
}

export interface WriteResult {
  readonly written: number;
  readonly removedClusters: readonly string[];
}

/**
 * Writes every cluster's files so that a failure leaves the previous dist intact: all files go to a
 * temporary sibling directory first; only when every write succeeded is each `dist/<cluster>` swapped
 * in with two renames (old → backup, new → place), then the backups are removed. Files a synth no
 * longer produces disappear because whole cluster folders are replaced.
 */
export function writeDist(clusters: ReadonlyMap<string, RenderedFiles>, options: WriteOptions): WriteResult {
  const { outdir } = options;
  mkdirSync(outdir, { recursive: true });
  const staging = join(outdir, `.eksai-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  let written = 0;
  const made = new Set<string>();
  try {
    for (const [name, files] of clusters) {
      for (const [rel, content] of files) {
        const file = join(staging, name, rel);
        const dir = dirname(file);
        // One mkdir per folder, not per file (a 100-cluster fleet has ~2,000 files in ~900 folders).
        if (!made.has(dir)) {
          mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        writeFileSync(file, content);
        written++;
      }
      mkdirSync(join(staging, name), { recursive: true });
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }

  const backups: string[] = [];
  for (const name of clusters.keys()) {
    const target = join(outdir, name);
    if (existsSync(target)) {
      const backup = join(outdir, `.eksai-old-${process.pid}-${name}`);
      renameSync(target, backup);
      backups.push(backup);
    }
    renameSync(join(staging, name), target);
  }
  const removedClusters: string[] = [];
  if (options.prune) {
    for (const entry of readdirSync(outdir, { withFileTypes: true })) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && !clusters.has(entry.name)) {
        rmSync(join(outdir, entry.name), { recursive: true, force: true });
        removedClusters.push(entry.name);
      }
    }
  }
  for (const backup of backups) rmSync(backup, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  return { written, removedClusters: removedClusters.sort() };
}
