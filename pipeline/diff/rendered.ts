import { execFileSync } from 'node:child_process';
import { dump } from 'js-yaml';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRegistry } from '../../lib/config/load';
import { loadClusters } from '../../charts/checks';
import { PLATFORM_DEFAULTS } from '../../lib/config/defaults';
import { renderReleases, type RenderedRelease } from '../render';
import { isRecord, resourceKey, type ParsedDist, type Resource } from './identity';
import { sources } from './fates';
import { scrubMessage } from './secrets';
import type { ParseProblem } from './types';

/**
 * Rendered changes (issue 13 item 7): for every Helm Application present in both revisions whose source
 * (chart version, values, release name, namespace) changed, both revisions are rendered with pipeline/render
 * (helm template exactly as Argo CD's repo-server runs it) and the rendered objects are compared like dist
 * objects, under the component `<application> (rendered)`. Fields the Application's `ignoreDifferences`
 * lists (`jsonPointers`, and `jqPathExpressions` of the plain `.a.b` form) are removed from both sides first,
 * since Argo CD ignores them too. The renders read only what diff parsed (re-serialized, never the raw
 * text), so a refused hostile file never reaches helm.
 */

export interface RenderedDiffInput {
  readonly cwd: string;
  readonly base: ParsedDist;
  readonly head: ParsedDist;
  /** Commit of each revision, for its charts/charts.lock.json (head undefined: the working tree). */
  readonly baseCommit: string;
  readonly headCommit?: string;
}

export interface RenderedDiff {
  readonly base: Map<string, Resource>;
  readonly head: Map<string, Resource>;
  readonly problems: ParseProblem[];
  /** `<cluster>/<application>` of the releases compared. */
  readonly releases: string[];
}

const chartSource = (s: Record<string, unknown>) => typeof s.chart === 'string' || (typeof s.repoURL === 'string' && s.repoURL.startsWith('oci://'));

/** Helm Applications present in both revisions whose chart sources (or destination) differ. */
export function changedReleases(base: ParsedDist, head: ParsedDist): { before: Resource; after: Resource }[] {
  const out: { before: Resource; after: Resource }[] = [];
  for (const [key, after] of head.resources) {
    const before = base.resources.get(key);
    if (!before || before === after || after.kind !== 'Application' || !sources(after).some(chartSource)) continue;
    const shape = (r: Resource) => JSON.stringify([sources(r).filter(chartSource), (r.body.spec as Record<string, unknown> | undefined)?.destination]);
    if (shape(before) !== shape(after)) out.push({ before, after });
  }
  return out;
}

/** charts/charts.lock.json of a revision (head undefined: the working tree); the working tree's when the revision has none. */
function lockAt(cwd: string, commit: string | undefined): string | undefined {
  if (commit !== undefined) {
    try {
      return execFileSync('git', ['show', `${commit}:charts/charts.lock.json`], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
    } catch {
      // not committed at that revision
    }
  }
  const file = join(cwd, 'charts', 'charts.lock.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** A folder holding what render reads of one revision: the clusters' parsed dist objects and the chart lock. */
function materialize(dist: ParsedDist, clusters: ReadonlySet<string>, lock: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-diff-render-'));
  const n = new Map<string, number>();
  for (const r of dist.resources.values()) {
    if (!clusters.has(r.cluster)) continue;
    const folder = join(dir, 'dist', r.cluster, r.component);
    const i = (n.get(folder) ?? 0) + 1;
    n.set(folder, i);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${r.kind}.${i}.yaml`), dump(r.body, { noRefs: true, lineWidth: -1 }));
  }
  if (lock !== undefined) {
    mkdirSync(join(dir, 'charts'), { recursive: true });
    writeFileSync(join(dir, 'charts', 'charts.lock.json'), lock);
  }
  return dir;
}

/** Kubernetes version per cluster from the cluster files under cwd; the platform default where they cannot be read. */
function kubeVersions(cwd: string, clusters: readonly string[]): Record<string, string> {
  const fallback = PLATFORM_DEFAULTS.kubernetesVersion ?? '1.35';
  const out: Record<string, string> = Object.fromEntries(clusters.map((c) => [c, fallback]));
  try {
    if (!existsSync(join(cwd, 'clusters', 'index.ts'))) return out;
    for (const c of loadClusters(
      readRegistry(cwd).filter((s) => clusters.includes(s.name)),
      cwd,
    ).configs)
      out[c.name] = c.kubernetesVersion ?? fallback;
  } catch {
    // A registry that does not load leaves the default; synth reports it.
  }
  return out;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Deletes a JSON pointer (RFC 6901) from an object in place. */
function deletePointer(obj: unknown, pointer: string): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (const p of parts.slice(0, -1)) cur = Array.isArray(cur) ? cur[Number(p)] : isRecord(cur) ? cur[p] : undefined;
  const last = parts[parts.length - 1];
  if (last === undefined) return;
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else if (isRecord(cur)) delete cur[last];
}

/** `.a.b."c.d"` → a JSON pointer; undefined for jq beyond plain field access. */
function jqToPointer(jq: string): string | undefined {
  const m = /^(?:\.(?:[A-Za-z_][\w-]*|"[^"]+"))+$/.exec(jq.trim());
  if (!m) return undefined;
  return [...jq.trim().matchAll(/\.(?:([A-Za-z_][\w-]*)|"([^"]+)")/g)].map((x) => `/${(x[1] ?? x[2]!).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A copy of a rendered object without the fields the Application's ignoreDifferences entries cover. */
function withoutIgnored(obj: Record<string, unknown>, app: Record<string, unknown>, unsupported: Set<string>): Record<string, unknown> {
  const entries = (isRecord(app.spec) && Array.isArray(app.spec.ignoreDifferences) ? app.spec.ignoreDifferences : []).filter(isRecord);
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  let out = obj;
  for (const e of entries) {
    if (e.kind !== obj.kind || (typeof e.group === 'string' ? e.group : '') !== groupOf(String(obj.apiVersion))) continue;
    if (typeof e.name === 'string' && e.name !== meta.name) continue;
    if (typeof e.namespace === 'string' && e.namespace !== meta.namespace) continue;
    const pointers = Array.isArray(e.jsonPointers) ? e.jsonPointers.filter((p): p is string => typeof p === 'string') : [];
    for (const jq of Array.isArray(e.jqPathExpressions) ? e.jqPathExpressions : []) {
      const p = typeof jq === 'string' ? jqToPointer(jq) : undefined;
      if (p) pointers.push(p);
      else unsupported.add(String(jq));
    }
    if (pointers.length === 0) continue;
    if (out === obj) out = structuredClone(obj);
    for (const p of pointers) deletePointer(out, p);
  }
  return out;
}

function toResources(release: RenderedRelease, app: Resource, unsupported: Set<string>): Resource[] {
  const component = `${release.application} (rendered)`;
  const out: Resource[] = [];
  for (const obj of release.objects) {
    const meta = isRecord(obj.metadata) ? obj.metadata : {};
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof meta.name !== 'string') continue;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
    const body = withoutIgnored(obj, app.body, unsupported);
    out.push({
      key: `${release.cluster}:${component}:${resourceKey(obj.apiVersion, obj.kind, namespace, meta.name)}`,
      cluster: release.cluster,
      component,
      file: app.file,
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace,
      name: meta.name,
      body,
    });
  }
  return out;
}

/**
 * Both revisions' rendered objects of the changed releases. Never throws: no helm, a chart that cannot be
 * had or a failing render is one problem line, and the rest of the diff stands.
 */
export async function renderedDiff(input: RenderedDiffInput): Promise<RenderedDiff> {
  const releases = changedReleases(input.base, input.head);
  const empty: RenderedDiff = { base: new Map(), head: new Map(), problems: [], releases: [] };
  if (releases.length === 0) return empty;
  const clusters = new Set(releases.map((r) => r.after.cluster));
  const versions = kubeVersions(input.cwd, [...clusters]);
  // Mirror paths in the environment are relative to where eksai runs; render resolves them against its cwd,
  // which here is a temporary folder, so they are handed over absolute (and restored afterwards).
  const mirror = process.env.EKSAI_CHART_MIRROR ? resolve(process.env.EKSAI_CHART_MIRROR) : undefined;
  const schemaMirror = process.env.EKSAI_SCHEMA_MIRROR;
  if (schemaMirror) process.env.EKSAI_SCHEMA_MIRROR = resolve(schemaMirror);
  const dirs = [materialize(input.base, clusters, lockAt(input.cwd, input.baseCommit)), materialize(input.head, clusters, lockAt(input.cwd, input.headCommit))];
  try {
    // The base side is what is deployed: its charts need not match today's lock.
    const [b, h] = await Promise.all(
      dirs.map((dir, i) => renderReleases({ cwd: dir, clusters: [...clusters], kubeVersions: versions, chartMirror: mirror, updateLock: i === 0 })),
    );
    const wanted = new Map(releases.map((r) => [`${r.after.cluster}/${r.after.name}`, r]));
    const unsupported = new Set<string>();
    const side = (rendered: RenderedRelease[], pick: 'before' | 'after') => {
      const map = new Map<string, Resource>();
      for (const rel of rendered) {
        const r = wanted.get(`${rel.cluster}/${rel.application}`);
        // ignoreDifferences of the head Application apply to both sides: it is what Argo CD will compare with.
        if (r) for (const res of toResources(rel, { ...r[pick], body: r.after.body }, unsupported)) map.set(res.key, { ...res, file: r[pick].file });
      }
      return map;
    };
    const baseSide = side(b!.releases, 'before');
    const headSide = side(h!.releases, 'after');
    const problems: ParseProblem[] = [...unsupported].map((jq) => ({
      file: '(render)',
      message: `ignoreDifferences jqPathExpression ${jq} is not applied to rendered changes (only plain .a.b paths are)`,
    }));
    return { base: baseSide, head: headSide, problems, releases: [...wanted.keys()].sort() };
  } catch (err) {
    // helm's errors can quote values (a chart's `fail`): never echo one diff would hide.
    const message = scrubMessage(
      (err as Error).message.split('\n')[0] ?? '',
      releases.flatMap((r) => [r.before.body, r.after.body]),
    );
    return {
      ...empty,
      problems: [
        {
          file: '(render)',
          message: `rendered changes of ${releases
            .map((r) => `${r.after.cluster}/${r.after.name}`)
            .sort()
            .join(', ')} not shown: ${message}`,
        },
      ],
    };
  } finally {
    if (schemaMirror !== undefined) process.env.EKSAI_SCHEMA_MIRROR = schemaMirror;
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
