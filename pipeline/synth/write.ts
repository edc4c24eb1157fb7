import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DNS_LABEL } from '../../lib/config/schema';
import { EnvironmentError, UsageError } from '../../lib/errors';
import { crashPoint } from './faults';
import { acquireLock } from './lock';
import { BACKUP_PREFIX, clusterNames, isLeftover, JOURNAL, LOCK, MARKER, markerText, readMarker, readOwnJson, STAGING_PREFIX } from './owned';
import type { RenderedFiles } from './render';

export interface WriteOptions {
  /** dist directory (absolute). */
  readonly outdir: string;
  /** When true (a full synth), cluster folders the marker lists that are not in `clusters` are removed. */
  readonly prune: boolean;
  /** How long to wait for another synth writing the same folder. @default 60_000 */
  readonly lockTimeoutMs?: number;
  /** Called once when another synth holds the lock and this one starts waiting. */
  readonly onWait?: (holder: string) => void;
}

export interface WriteResult {
  readonly written: number;
  readonly removedClusters: readonly string[];
  /** Clusters whose folder already held exactly these files (left untouched). */
  readonly unchangedClusters: readonly string[];
  /** What this run repaired of an interrupted synth, one line each. */
  readonly recovered: readonly string[];
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

/** The plan of one swap, written (fsynced) before its first rename so that the next run can finish it. */
interface Journal {
  readonly id: string;
  /** Clusters whose new folder waits in `.eksai-staging-<id>/<name>`. */
  readonly swap: readonly string[];
  /** Owned clusters no longer produced. */
  readonly prune: readonly string[];
  /** The marker once the swap is done. */
  readonly marker: readonly string[];
}

const present = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;
const backupOf = (outdir: string, id: string, name: string): string => join(outdir, `${BACKUP_PREFIX}${id}-${name}`);
/** Unique across runs, also of processes with the same pid (containers); no '-', which ends the id in backup names. */
const runId = (): string => `${process.pid}.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;

/** Temp file in the same folder, fsync, rename: the file is the old or the new content, never a part. */
function writeAtomic(file: string, text: string, id: string): void {
  const tmp = `${file}.tmp-${id}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function writeMarker(outdir: string, clusters: Iterable<string>, id: string): void {
  const file = join(outdir, MARKER);
  const text = markerText(clusters);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== text) writeAtomic(file, text, id);
}

const JOURNAL_FIX = 'delete it (the next synth then restores every cluster folder from its backup and removes the leftovers)';

function readJournal(outdir: string): Journal | undefined {
  const json = readOwnJson(outdir, JOURNAL, JOURNAL_FIX) as Partial<Record<keyof Journal, unknown>> | null | undefined;
  if (json === undefined) return undefined;
  const file = join(outdir, JOURNAL);
  const id = json?.id;
  if (typeof id !== 'string' || !/^[0-9a-z.]{1,64}$/.test(id))
    throw new UsageError(`${file}: id must be a synth run id (got ${JSON.stringify(id)?.slice(0, 80)}): ${JOURNAL_FIX}`);
  return {
    id,
    swap: clusterNames(json?.swap, file, 'swap', JOURNAL_FIX),
    prune: clusterNames(json?.prune, file, 'prune', JOURNAL_FIX),
    marker: clusterNames(json?.marker, file, 'marker', JOURNAL_FIX),
  };
}

/**
 * Carries out a journal; idempotent, so a run killed at any step is finished by the next one. Each
 * cluster folder goes old → backup, then new → place: it is always the complete old or new folder,
 * and between the two renames (or after a kill there) the complete old one is the backup.
 */
function applyJournal(outdir: string, j: Journal): void {
  const staging = join(outdir, `${STAGING_PREFIX}${j.id}`);
  for (const name of j.swap) {
    const fresh = join(staging, name);
    if (!present(fresh)) continue; // placed already
    const place = join(outdir, name);
    if (present(place)) {
      const backup = backupOf(outdir, j.id, name);
      rmSync(backup, { recursive: true, force: true });
      renameSync(place, backup);
      crashPoint('backed-up');
    }
    renameSync(fresh, place);
    crashPoint('placed');
  }
  for (const name of j.prune) {
    const place = join(outdir, name);
    if (!present(place)) continue;
    renameSync(place, backupOf(outdir, j.id, name));
    crashPoint('pruned');
  }
  writeMarker(outdir, j.marker, j.id);
  crashPoint('marked');
  for (const name of [...j.swap, ...j.prune]) {
    const backup = backupOf(outdir, j.id, name);
    if (!present(backup)) continue;
    // A swapped folder that is gone (removed by hand after a kill): keep the old one rather than nothing.
    if (j.swap.includes(name) && !present(join(outdir, name))) renameSync(backup, join(outdir, name));
    else rmSync(backup, { recursive: true, force: true });
  }
  rmSync(staging, { recursive: true, force: true });
  crashPoint('cleaned');
  rmSync(join(outdir, JOURNAL), { force: true });
}

/**
 * Finishes a journaled swap a killed synth left, then removes every other `.eksai-*` leftover: staging
 * folders (of a run killed before its journal: the old folders are still in place), temp files, and
 * backups — restored when their cluster folder is missing and the marker lists it, else deleted.
 */
function recover(outdir: string): string[] {
  const notes: string[] = [];
  const journal = readJournal(outdir);
  if (journal) {
    crashPoint('recovering');
    applyJournal(outdir, journal);
    notes.push(
      `finished the interrupted synth ${journal.id} (swapped in ${journal.swap.join(', ') || 'no cluster'}${journal.prune.length > 0 ? `, removed ${journal.prune.join(', ')}` : ''})`,
    );
  }
  const owned = new Set(readMarker(outdir) ?? []);
  for (const entry of readdirSync(outdir).sort()) {
    if (!isLeftover(entry) || entry === LOCK || entry === `${LOCK}.takeover`) continue;
    const abs = join(outdir, entry);
    const name = entry.startsWith(BACKUP_PREFIX) ? entry.slice(BACKUP_PREFIX.length).replace(/^[^-]*-/, '') : '';
    if (DNS_LABEL.test(name) && owned.has(name) && !present(join(outdir, name))) {
      renameSync(abs, join(outdir, name));
      notes.push(`restored ${name} from ${entry}`);
    } else {
      rmSync(abs, { recursive: true, force: true });
      notes.push(`removed leftover ${entry}`);
    }
  }
  return notes;
}

/**
 * Creates `outdir` when missing; refuses a file, or a non-empty folder that holds no marker (eksai did
 * not write it: `--outdir .` or `--outdir ~`). Writes nothing into a folder it refuses.
 */
function claimOutdir(outdir: string): void {
  const st = statSync(outdir, { throwIfNoEntry: false });
  if (st === undefined) {
    mkdirSync(outdir, { recursive: true });
    return;
  }
  if (!st.isDirectory())
    throw new EnvironmentError(`${outdir} is a file, not a folder: synth writes one folder per cluster into it; move the file away or pass --outdir <folder>`);
  const entries = readdirSync(outdir);
  if (entries.includes(MARKER)) return;
  const foreign = entries.filter((e) => !isLeftover(e)).sort();
  if (foreign.length === 0) return;
  const shown = `${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? `, … ${foreign.length - 3} more` : ''}`;
  throw new UsageError(
    `${outdir} is not empty (${shown}) and has no ${MARKER}, so eksai did not write it and will not delete anything in it: pass --outdir <new or empty folder>, or, if it is a dist from an eksai older than that file, delete it and run synth again`,
  );
}

/**
 * Writes every cluster's files so that a failure or a kill at any point leaves each cluster folder
 * complete, old or new. Serialized by a lock in outdir; starts by finishing or undoing whatever a killed
 * synth left. The new folders are written into `.eksai-staging-<id>/`; a journal naming the swap is
 * fsynced; the marker gains the new clusters; then each `dist/<cluster>` is swapped in with two renames
 * (old → `.eksai-old-<id>-<cluster>`, new → place), owned clusters no longer produced are removed, the
 * marker is rewritten, and the backups, staging folder and journal are deleted. Only folders the marker
 * lists are ever replaced or removed. A cluster folder that already holds exactly the rendered files is
 * left alone (reading is far cheaper than writing and deleting ~20 files per cluster; a rerun after
 * editing one cluster rewrites only that one).
 */
export function writeDist(clusters: ReadonlyMap<string, RenderedFiles>, options: WriteOptions): WriteResult {
  const { outdir } = options;
  // Config names are DNS labels already; checked again here because each becomes a folder synth replaces.
  clusterNames([...clusters.keys()], outdir, 'clusters to write', 'cluster names are DNS-1123 labels');
  claimOutdir(outdir);
  const lock = acquireLock(outdir, options.lockTimeoutMs ?? 60_000, options.onWait);
  try {
    crashPoint('locked');
    claimOutdir(outdir);
    const recovered = [...(lock.tookOver !== undefined ? [`took over the lock of a synth that is gone (${lock.tookOver})`] : []), ...recover(outdir)];
    const previous = readMarker(outdir) ?? [];
    const unchangedClusters = [...clusters].filter(([name, files]) => sameOnDisk(join(outdir, name), files)).map(([name]) => name);
    const unchanged = new Set(unchangedClusters);
    const swap = [...clusters.keys()].filter((name) => !unchanged.has(name));
    const prune = options.prune ? previous.filter((name) => !clusters.has(name) && present(join(outdir, name))).sort() : [];
    const marker = options.prune ? [...clusters.keys()] : [...previous, ...clusters.keys()];
    const id = runId();
    const result = { removedClusters: prune, unchangedClusters, recovered };
    if (swap.length === 0 && prune.length === 0) {
      writeMarker(outdir, marker, id);
      return { written: 0, ...result };
    }

    const staging = join(outdir, `${STAGING_PREFIX}${id}`);
    let written = 0;
    try {
      mkdirSync(staging);
      const made = new Set<string>();
      for (const name of swap) {
        for (const [rel, content] of clusters.get(name)!) {
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
        crashPoint('staging');
      }
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    crashPoint('staged');
    const journal: Journal = { id, swap, prune, marker: [...new Set(marker)].sort() };
    writeAtomic(join(outdir, JOURNAL), `${JSON.stringify(journal)}\n`, id);
    crashPoint('journaled');
    // Every folder about to appear is owned before it appears.
    writeMarker(outdir, [...previous, ...marker], id);
    applyJournal(outdir, journal);
    return { written, ...result };
  } finally {
    lock.release();
  }
}
