/**
 * What Argo CD passes as --api-versions: every group/version and group/version/Kind the cluster serves
 * (argo-cd controller: argo.APIResourcesToStrings(apiResources, true)). Here: the Kubernetes built-ins
 * from the pinned OpenAPI v3 documents (lib/schemas/pins.ts, release-1.35) plus the served versions of
 * every CustomResourceDefinition in the cluster's dist or rendered by its releases.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { KUBERNETES_OPENAPI_URLS } from '../../lib/schemas/pins';
import { schemaPath } from '../../lib/schemas/resolve';
import { writeCacheFile } from '../../lib/cache-file';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `group/version` and `group/version/Kind` strings one CRD makes the API server serve. */
export function crdApiVersions(crd: unknown): string[] {
  if (!isObj(crd) || crd.kind !== 'CustomResourceDefinition' || !isObj(crd.spec)) return [];
  const { group, names, versions } = crd.spec as { group?: unknown; names?: { kind?: unknown }; versions?: unknown };
  if (typeof group !== 'string' || !isObj(names) || typeof names.kind !== 'string' || !Array.isArray(versions)) return [];
  const out: string[] = [];
  for (const v of versions) {
    if (!isObj(v) || typeof v.name !== 'string' || v.served === false) continue;
    out.push(`${group}/${v.name}`, `${group}/${v.name}/${names.kind}`);
  }
  return out;
}

export interface BuiltinApis {
  /** group/version and group/version/Kind strings. */
  readonly apiVersions: readonly string[];
  /** `group/Kind` (core: `/Kind`) of the cluster-scoped built-in kinds. */
  readonly clusterScoped: readonly string[];
}

let builtinMemo: Promise<BuiltinApis> | undefined;

/**
 * The built-in group/versions and group/version/Kinds of the pinned Kubernetes OpenAPI (the kinds its
 * paths serve in the document's own group/version). Cached on disk by the
 * documents' paths and sizes, since the core document alone is megabytes of JSON.
 */
export function builtinApis(cacheDir: string, cwd: string): Promise<BuiltinApis> {
  builtinMemo ??= (async () => {
    const files = await Promise.all(Object.entries(KUBERNETES_OPENAPI_URLS).map(async ([gv, url]) => [gv, await schemaPath(url, { cwd })] as const));
    const key = createHash('sha256')
      .update(JSON.stringify(['paths-v2', ...files.map(([gv, f]) => [gv, f, statSync(f).size, statSync(f).mtimeMs])]))
      .digest('hex')
      .slice(0, 24);
    const cached = join(cacheDir, '.api-versions', `${key}.json`);
    if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as BuiltinApis;
    const out = new Set<string>();
    const namespaced = new Set<string>();
    const all = new Set<string>();
    for (const [gv, file] of files) {
      const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
      // Kinds the API serves as resources: the x-kubernetes-group-version-kind of the path operations
      // (what discovery lists), not every schema (Lists, DeleteOptions, WatchEvent are no resources).
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths?: Record<string, Record<string, unknown>> };
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        for (const op of Object.values(item)) {
          const g = isObj(op) ? (op['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string } | undefined) : undefined;
          if (!g || g.group !== group || g.version !== version) continue;
          out.add(gv);
          out.add(`${gv}/${g.kind}`);
          all.add(`${group}/${g.kind}`);
          if (path.includes('/namespaces/{namespace}/')) namespaced.add(`${group}/${g.kind}`);
        }
      }
    }
    const list: BuiltinApis = { apiVersions: [...out].sort(), clusterScoped: [...all].filter((k) => !namespaced.has(k)).sort() };
    writeCacheFile(cached, JSON.stringify(list));
    return list;
  })();
  return builtinMemo;
}

/** Adds `group/Kind` of a CRD of scope Cluster. */
export function addClusterScopedCrd(set: Set<string>, crd: unknown): void {
  if (!isObj(crd) || crd.kind !== 'CustomResourceDefinition' || !isObj(crd.spec) || crd.spec.scope !== 'Cluster') return;
  const names = crd.spec.names;
  if (typeof crd.spec.group === 'string' && isObj(names) && typeof names.kind === 'string') set.add(`${crd.spec.group}/${names.kind}`);
}

function distCrds(clusterDir: string): unknown[] {
  const out: unknown[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('CustomResourceDefinition.') && e.name.endsWith('.yaml')) out.push(load(readFileSync(p, 'utf8')));
    }
  };
  if (existsSync(clusterDir)) walk(clusterDir);
  return out;
}

/** API versions of the CRDs eksai writes into one cluster's dist (files named CustomResourceDefinition.*.yaml). */
export function distCrdApiVersions(clusterDir: string): string[] {
  return distCrds(clusterDir).flatMap(crdApiVersions);
}

export function distClusterScopedCrds(clusterDir: string): string[] {
  const set = new Set<string>();
  for (const crd of distCrds(clusterDir)) addClusterScopedCrd(set, crd);
  return [...set];
}
