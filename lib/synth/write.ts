import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** Clusters whose folder already held exactly these files (left untouched). */
  readonly unchangedClusters: readonly string[];
}

/**
 * Files under `dir` (recursively), or -1 as soon as it differs from `files`: an entry that is not
 * one of them, different bytes, a folder holding no file, anything but files and folders.
 */
function countSame(dir: string, prefix: string, files: RenderedFiles): number {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return -1;
  }
  let count = 0;
  for (const e of entries) {
    const rel = prefix + e.name;
    if (e.isDirectory()) {
      const n = countSame(join(dir, e.name), `${rel}/`, files);
      if (n <= 0) return -1;
      count += n;
    } else if (e.isFile()) {
      const want = files.get(rel);
      if (want === undefined || readFileSync(join(dir, e.name), 'utf8') !== want) return -1;
      count++;
    } else {
      return -1;
    }
  }
  return count;
}

/** Does `dir` hold exactly `files`, byte for byte (then rewriting it would change nothing)? */
export function sameOnDisk(dir: string, files: RenderedFiles): boolean {
  return countSame(dir, '', files) === files.size;
}

/**
 * Writes every cluster's files so that a failure leaves the previous dist intact: all files go to a
 * temporary sibling directory first; only when every write succeeded is each `dist/<cluster>` swapped
 * in with two renames (old → backup, new → place), then the backups are removed. Files a synth no
 * longer produces disappear because whole cluster folders are replaced. A cluster folder that already
 * holds exactly the rendered files is left alone (reading is far cheaper than writing and deleting
 * ~20 files per cluster; a rerun after editing one cluster rewrites only that one).
 */
export function writeDist(clusters: ReadonlyMap<string, RenderedFiles>, options: WriteOptions): WriteResult {
  const { outdir } = options;
  mkdirSync(outdir, { recursive: true });
  const staging = join(outdir, `.eksai-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  let written = 0;
  const made = new Set<string>();
  const unchangedClusters = [...clusters].filter(([name, files]) => sameOnDisk(join(outdir, name), files)).map(([name]) => name);
  const unchanged = new Set(unchangedClusters);
  try {
    for (const [name, files] of clusters) {
      if (unchanged.has(name)) continue;
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
    if (unchanged.has(name)) continue;
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
  return { written, removedClusters: removedClusters.sort(), unchangedClusters };
}
