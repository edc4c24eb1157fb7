/**
 * charts/release-scope.json: per component (Argo CD Application), what its Helm release really renders
 * across the clusters rendered — the cluster-scoped group/kinds and the namespaces its namespaced objects
 * go into — so the AppProject allow-lists can come from the charts instead of hand-kept lists. Written by
 * `eksai render --update-lock` with the lock (a chart bump changes both in one reviewed diff).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderedRelease } from './index';
import { effectiveNamespace, groupKind } from './write';

export const SCOPE_FILE = 'charts/release-scope.json';

export interface ReleaseScope {
  /** Cluster-scoped kinds, `{ group, kind }` as an AppProject clusterResourceWhitelist entry ('' = core). */
  readonly clusterResources: readonly { readonly group: string; readonly kind: string }[];
  /** Namespaces its namespaced objects are applied in (the destination namespace included when used). */
  readonly namespaces: readonly string[];
}

export function releaseScopes(releases: readonly RenderedRelease[], clusterScoped: ReadonlySet<string>): Record<string, ReleaseScope> {
  const kinds = new Map<string, Set<string>>();
  const namespaces = new Map<string, Set<string>>();
  for (const r of releases) {
    const k = kinds.get(r.application) ?? new Set<string>();
    const n = namespaces.get(r.application) ?? new Set<string>();
    kinds.set(r.application, k);
    namespaces.set(r.application, n);
    for (const o of r.objects) {
      const ns = effectiveNamespace(o, r, clusterScoped);
      if (ns === undefined) k.add(groupKind(o));
      else n.add(ns);
    }
  }
  const out: Record<string, ReleaseScope> = {};
  for (const app of [...kinds.keys()].sort()) {
    out[app] = {
      clusterResources: [...kinds.get(app)!].sort().map((gk) => ({ group: gk.slice(0, gk.indexOf('/')), kind: gk.slice(gk.indexOf('/') + 1) })),
      namespaces: [...namespaces.get(app)!].sort(),
    };
  }
  return out;
}

export function writeScopes(cwd: string, scopes: Record<string, ReleaseScope>): string {
  writeFileSync(join(cwd, SCOPE_FILE), `${JSON.stringify(scopes, null, 2)}\n`);
  return SCOPE_FILE;
}
