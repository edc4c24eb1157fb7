import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DNS_LABEL } from '../../lib/config/schema';
import { UsageError } from '../../lib/errors';

/**
 * What synth owns inside an output folder. The marker `.eksai-dist.json` (committed with dist) lists
 * the cluster folders synth wrote there; synth deletes or replaces only those, never anything else.
 * Every other name synth ever creates in the folder starts with `.eksai-` (lock, journal, staging,
 * backups, temporary files): those are leftovers when no synth is running.
 */
export const MARKER = '.eksai-dist.json';
export const LOCK = '.eksai-lock';
export const JOURNAL = '.eksai-journal.json';
export const STAGING_PREFIX = '.eksai-staging-';
export const BACKUP_PREFIX = '.eksai-old-';

/** A name synth uses for its own temporary entries (everything `.eksai-*` but the marker). */
export const isLeftover = (name: string): boolean => name.startsWith('.eksai-') && name !== MARKER;

/** Deterministic marker content: the owned clusters, sorted, one per line (merges of added clusters stay clean). */
export function markerText(clusters: Iterable<string>): string {
  const sorted = [...new Set(clusters)].sort();
  return `${JSON.stringify({ generator: 'eksai', about: 'cluster folders eksai synth owns here; it deletes or replaces only these', clusters: sorted }, null, 2)}\n`;
}

/** The largest marker or journal eksai reads (a few thousand cluster names); anything bigger is not ours. */
const MAX_BYTES = 1 << 20;

/**
 * Reads one of eksai's own JSON files in `dir` without following a symlink. Undefined when absent;
 * UsageError naming the file and the fix when it is not a regular file or not JSON.
 */
export function readOwnJson(dir: string, name: string, fix: string): unknown {
  const file = join(dir, name);
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isFile() || st.size > MAX_BYTES) throw new UsageError(`${file} must be a regular file of at most ${MAX_BYTES} bytes, as eksai writes it: ${fix}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${(err as Error).message}): ${fix}`);
  }
}

/**
 * `value` as a list of cluster names, or a UsageError naming `file`, `path` and the bad entry. A name
 * is a DNS-1123 label, so it can never be `..`, absolute, hold a `/` or start with a dot: a marker or
 * journal can only ever point at a direct child folder of the output folder.
 */
export function clusterNames(value: unknown, file: string, path: string, fix: string): string[] {
  if (!Array.isArray(value)) throw new UsageError(`${file}: ${path} must be a list of cluster names (got ${JSON.stringify(value) ?? 'nothing'}): ${fix}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string' || !DNS_LABEL.test(v)) {
      throw new UsageError(`${file}: ${path}[${i}] must be a cluster name (a DNS-1123 label) (got ${JSON.stringify(v)?.slice(0, 80)}): ${fix}`);
    }
  });
  return value as string[];
}

const MARKER_FIX = 'restore it with `git checkout -- <dist>/.eksai-dist.json` or fix the entry; eksai never deletes outside the clusters it lists';

/** The clusters the marker in `outdir` lists, or undefined when there is no marker. */
export function readMarker(outdir: string): string[] | undefined {
  const json = readOwnJson(outdir, MARKER, MARKER_FIX);
  if (json === undefined) return undefined;
  const clusters = typeof json === 'object' && json !== null && 'clusters' in json ? json.clusters : undefined;
  return clusterNames(clusters, join(outdir, MARKER), 'clusters', MARKER_FIX);
}
