/**
 * Chart sources: the offline mirror (EKSAI_CHART_MIRROR, `<dir>/<chart>-<version>/` unpacked) or `helm pull`
 * (classic `--repo URL chart --version V`, or `oci://…`) into a content-addressed cache:
 *   <cache>/sha256/<hex>.tgz      the archive as pulled (never downloaded twice)
 *   <cache>/sha256/<hex>/         the archive unpacked (helm template runs on it)
 *   <cache>/refs/<key>.json       repoURL + chart + version → digest
 * Every chart is checked against charts/charts.lock.json: `digest` (sha256 of the archive) for pulls,
 * `treeDigest` (sha256 over the sorted file list and file hashes) for the mirror, which has no archive.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { EnvironmentError } from '../../lib/errors';
import type { HelmApplication } from './apps';
import { untarGz } from './tar';
import { writeCacheFile } from '../../lib/cache-file';

export interface ChartRef {
  readonly repoURL: string;
  readonly chart: string;
  readonly oci: boolean;
  readonly version: string;
}

export interface LockEntry {
  readonly repoURL: string;
  readonly chart: string;
  readonly version: string;
  /** sha256 of the chart archive `helm pull` returned, `sha256:<hex>`. */
  readonly digest?: string;
  /** sha256 of the unpacked tree (mirror), `sha256:<hex>`; see treeDigest(). */
  readonly treeDigest?: string;
}

export interface ChartLock {
  readonly lockfileVersion: 1;
  /** By `<chart>@<version>`, sorted. */
  readonly charts: Readonly<Record<string, LockEntry>>;
}

export interface ResolvedChart {
  readonly ref: ChartRef;
  /** The unpacked chart root (the folder with Chart.yaml). */
  readonly dir: string;
  /** `sha256:<hex>`: of the archive when pulled, of the tree when read from the mirror. */
  readonly digest: string;
  readonly digestKind: 'archive' | 'tree';
}

export const LOCK_FILE = 'charts/charts.lock.json';

export const lockKey = (ref: { chart: string; version: string }) => `${ref.chart}@${ref.version}`;
export const refOf = (app: HelmApplication): ChartRef => ({ repoURL: app.repoURL, chart: app.chart, oci: app.oci, version: app.version });
const where = (ref: ChartRef) => (ref.oci ? `${ref.repoURL}:${ref.version}` : `${ref.chart} ${ref.version} from ${ref.repoURL}`);

export function defaultChartCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.EKSAI_CHART_CACHE ?? join(homedir(), '.cache', 'eksai', 'charts');
}

export function readLock(cwd: string): ChartLock {
  const file = join(cwd, LOCK_FILE);
  if (!existsSync(file)) return { lockfileVersion: 1, charts: {} };
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as ChartLock;
    if (lock.lockfileVersion !== 1 || typeof lock.charts !== 'object') throw new Error('lockfileVersion must be 1 with a charts object');
    return lock;
  } catch (err) {
    throw new EnvironmentError(`${LOCK_FILE}: cannot be read (${(err as Error).message}): restore it from git or run \`eksai render --update-lock\``);
  }
}

export function writeLock(cwd: string, entries: Iterable<LockEntry>): string {
  const charts: Record<string, LockEntry> = {};
  for (const e of [...entries].sort((a, b) => lockKey(a).localeCompare(lockKey(b), 'en'))) charts[lockKey(e)] = e;
  const text = `${JSON.stringify({ lockfileVersion: 1, charts }, null, 2)}\n`;
  writeFileSync(join(cwd, LOCK_FILE), text);
  return LOCK_FILE;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every regular file of the tree (symlinks to files followed), with size and mtime, by path in byte order. */
function listFiles(dir: string): { path: string; size: number; mtimeMs: number }[] {
  const out: { path: string; size: number; mtimeMs: number }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = statSync(p);
        if (st.isFile()) out.push({ path: relative(dir, p).split(sep).join('/'), size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * sha256 over `<sha256 of file>  <path>\n` for every file of the tree in byte order of path (sha256sum's
 * format). With `memoDir`, remembered by the tree's paths, sizes and mtimes (a stat walk instead of reading
 * every file on each run).
 */
export function treeDigest(dir: string, memoDir?: string): string {
  const files = listFiles(dir);
  const memo = memoDir ? join(memoDir, `${sha256(JSON.stringify([dir, files]))}`) : undefined;
  if (memo && existsSync(memo)) return readFileSync(memo, 'utf8');
  const lines = files.map((f) => `${sha256(readFileSync(join(dir, f.path)))}  ${f.path}\n`);
  const digest = `sha256:${sha256(lines.join(''))}`;
  if (memo) writeCacheFile(memo, digest);
  return digest;
}

function mismatch(ref: ChartRef, kind: 'digest' | 'treeDigest', locked: string, got: string, origin: string): EnvironmentError {
  return new EnvironmentError(
    `${where(ref)}: ${origin} has ${kind} ${got} but ${LOCK_FILE} locks ${lockKey(ref)} at ${locked}: the chart changed upstream or in the mirror; if the change is expected, review it and run \`eksai render --update-lock\`, else restore the chart`,
  );
}

/** Runs helm; rejects with helm's stderr. */
export function runHelm(helm: string, args: readonly string[], env: NodeJS.ProcessEnv, maxBuffer = 512 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(helm, args, { env, maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error((stderr || err.message).trim()), { stderr }));
      else resolve(stdout);
    });
  });
}

/** helm's own state (repository cache, registry config) under the chart cache, never the user's. */
export function helmEnv(cacheDir: string): NodeJS.ProcessEnv {
  const home = join(cacheDir, '.helm');
  return { ...process.env, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
}

export interface ChartSourceOptions {
  readonly cacheDir: string;
  /** EKSAI_CHART_MIRROR. */
  readonly mirror?: string;
  readonly helm: string;
  readonly lock: ChartLock;
  /** Record new digests instead of failing on a missing lock entry (`--update-lock`); mismatches still fail unless this is set. */
  readonly updateLock?: boolean;
}

function fromMirror(ref: ChartRef, o: ChartSourceOptions): ResolvedChart {
  const dir = join(o.mirror!, `${ref.chart}-${ref.version}`);
  if (!existsSync(join(dir, 'Chart.yaml'))) {
    throw new EnvironmentError(
      `EKSAI_CHART_MIRROR=${o.mirror}: has no ${ref.chart}-${ref.version}/Chart.yaml for ${where(ref)}: add the unpacked chart there, or unset EKSAI_CHART_MIRROR to pull it`,
    );
  }
  const got = treeDigest(dir, join(o.cacheDir, '.tree-digests'));
  const locked = o.lock.charts[lockKey(ref)]?.treeDigest;
  if (locked && locked !== got && !o.updateLock) throw mismatch(ref, 'treeDigest', locked, got, `the mirror's ${dir}`);
  if (!locked && !o.updateLock)
    throw new EnvironmentError(`${where(ref)}: ${LOCK_FILE} has no treeDigest for ${lockKey(ref)}: run \`eksai render --update-lock\` and commit ${LOCK_FILE}`);
  return { ref, dir, digest: got, digestKind: 'tree' };
}

function refFile(cacheDir: string, ref: ChartRef): string {
  return join(cacheDir, 'refs', `${sha256(`${ref.repoURL}\n${ref.chart}\n${ref.version}`).slice(0, 32)}.json`);
}

/** The unpacked chart of a cached archive, unpacking it once (temp dir + rename). */
function unpacked(cacheDir: string, hex: string, ref: ChartRef): string {
  const dir = join(cacheDir, 'sha256', hex);
  const chartDir = join(dir, ref.chart);
  if (existsSync(join(chartDir, 'Chart.yaml'))) return chartDir;
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  const files = untarGz(readFileSync(join(cacheDir, 'sha256', `${hex}.tgz`)), tmp, `${where(ref)} (${hex}.tgz)`);
  if (!files.includes(join(ref.chart, 'Chart.yaml'))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvironmentError(`${where(ref)}: the pulled archive has no ${ref.chart}/Chart.yaml: check the chart name in charts/versions.ts`);
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    // Another eksai unpacked the same archive at the same moment: keep theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(chartDir, 'Chart.yaml'))) throw err;
  }
  return chartDir;
}

async function pulled(ref: ChartRef, o: ChartSourceOptions): Promise<ResolvedChart> {
  const locked = o.lock.charts[lockKey(ref)]?.digest;
  const check = (hex: string, origin: string) => {
    const got = `sha256:${hex}`;
    if (locked && locked !== got && !o.updateLock) throw mismatch(ref, 'digest', locked, got, origin);
    if (!locked && !o.updateLock)
      throw new EnvironmentError(`${where(ref)}: ${LOCK_FILE} has no digest for ${lockKey(ref)}: run \`eksai render --update-lock\` and commit ${LOCK_FILE}`);
    return { ref, dir: unpacked(o.cacheDir, hex, ref), digest: got, digestKind: 'archive' as const };
  };
  // Cache hits: the locked digest's archive, or the archive this ref was pulled as before.
  if (locked && existsSync(join(o.cacheDir, 'sha256', `${locked.slice(7)}.tgz`))) return check(locked.slice(7), 'the cache');
  const known = refFile(o.cacheDir, ref);
  if (existsSync(known)) {
    const hex = (JSON.parse(readFileSync(known, 'utf8')) as { digest: string }).digest.slice(7);
    if (existsSync(join(o.cacheDir, 'sha256', `${hex}.tgz`))) return check(hex, `the cached pull (${join(o.cacheDir, 'sha256', `${hex}.tgz`)})`);
  }
  mkdirSync(join(o.cacheDir, 'sha256'), { recursive: true });
  const tmp = mkdtempSync(join(o.cacheDir, '.pull-'));
  try {
    const args = ref.oci
      ? ['pull', ref.repoURL, '--version', ref.version, '--destination', tmp]
      : ['pull', ref.chart, '--repo', ref.repoURL, '--version', ref.version, '--destination', tmp];
    try {
      await runHelm(o.helm, args, helmEnv(o.cacheDir));
    } catch (err) {
      const msg = (err as Error).message.split('\n').filter(Boolean).slice(-3).join('; ');
      throw new EnvironmentError(
        `${where(ref)}: helm pull failed: ${msg}: check the repository URL and version in charts/versions.ts and the network, or set EKSAI_CHART_MIRROR to an offline mirror`,
      );
    }
    const archives = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    if (archives.length !== 1) throw new EnvironmentError(`${where(ref)}: helm pull wrote ${archives.length} archives (${archives.join(', ')}), expected one`);
    const data = readFileSync(join(tmp, archives[0]!));
    const hex = sha256(data);
    const got = `sha256:${hex}`;
    if (locked && locked !== got && !o.updateLock) throw mismatch(ref, 'digest', locked, got, 'the pulled archive');
    renameSync(join(tmp, archives[0]!), join(o.cacheDir, 'sha256', `${hex}.tgz`));
    mkdirSync(join(o.cacheDir, 'refs'), { recursive: true });
    writeFileSync(known, `${JSON.stringify({ ...ref, digest: got })}\n`);
    return check(hex, 'the pulled archive');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Resolves every distinct chart once (concurrent requests for the same chart share one pull). */
export class ChartSource {
  private readonly pending = new Map<string, Promise<ResolvedChart>>();
  constructor(private readonly options: ChartSourceOptions) {}

  resolve(ref: ChartRef): Promise<ResolvedChart> {
    const key = `${ref.repoURL}\n${ref.chart}\n${ref.version}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.options.mirror ? Promise.resolve().then(() => fromMirror(ref, this.options)) : pulled(ref, this.options);
      this.pending.set(key, p);
    }
    return p;
  }

  /**
   * Lock entries for every chart resolved so far (for --update-lock). With `keepOthers` (only some clusters
   * rendered) the other entries of the existing lock stay; else the lock holds exactly the charts rendered.
   */
  async lockEntries(keepOthers: boolean): Promise<LockEntry[]> {
    const existing = new Map(Object.values(this.options.lock.charts).map((e) => [lockKey(e), e]));
    const merged = new Map(keepOthers ? existing : []);
    for (const p of this.pending.values()) {
      const r = await p;
      const old = existing.get(lockKey(r.ref));
      const same = old && old.repoURL === r.ref.repoURL ? old : undefined;
      const entry: LockEntry = {
        repoURL: r.ref.repoURL,
        chart: r.ref.chart,
        version: r.ref.version,
        ...(r.digestKind === 'archive' ? { digest: r.digest } : same?.digest ? { digest: same.digest } : {}),
        ...(r.digestKind === 'tree' ? { treeDigest: r.digest } : same?.treeDigest ? { treeDigest: same.treeDigest } : {}),
      };
      merged.set(lockKey(r.ref), entry);
    }
    // In the lock file's order (writeLock), whatever order the releases asked for their charts.
    return [...merged.values()].sort((a, b) => lockKey(a).localeCompare(lockKey(b), 'en'));
  }
}
