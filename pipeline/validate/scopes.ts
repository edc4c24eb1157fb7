import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { builtinApis } from '../render/api-versions';
import { defaultChartCache } from '../render/charts';
import { CRD_URLS } from '../../lib/schemas/pins';
import { schemaPath } from '../../lib/schemas/resolve';
import type { Scope, ScopeOf } from './types';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Scopes of the pinned CRD files (`spec.scope` and `spec.names.kind` read without parsing megabytes of YAML). */
async function pinnedScopes(cwd: string): Promise<Map<string, Scope>> {
  const out = new Map<string, Scope>();
  for (const [group, urls] of Object.entries(CRD_URLS as Readonly<Record<string, readonly string[]>>)) {
    for (const url of urls) {
      let text: string;
      try {
        text = readFileSync(await schemaPath(url, { cwd }), 'utf8');
      } catch {
        continue; // unavailable pins are reported by schema loading
      }
      const kind = /^ {4}kind: *['"]?(\w+)/m.exec(text)?.[1];
      const scope = /^ {2}scope: *['"]?(Cluster|Namespaced)/m.exec(text)?.[1] as Scope | undefined;
      if (kind && scope) out.set(`${group}/${kind}`, scope);
    }
  }
  return out;
}

/**
 * Whether each kind is cluster-scoped or namespaced, as the cluster will serve it: the built-in kinds of the
 * pinned Kubernetes OpenAPI, the CRDs among the objects (dist and rendered: they win), then the pinned CRDs.
 */
export async function kindScopes(
  cwd: string,
  docs: readonly { readonly value?: unknown }[],
): Promise<{ readonly clusterScoped: ReadonlySet<string>; readonly scopeOf: ScopeOf; readonly isBuiltin: (group: string, kind: string) => boolean }> {
  const scopes = await pinnedScopes(cwd);
  const builtin = await builtinApis(resolve(cwd, defaultChartCache()), cwd);
  const builtins = new Set<string>(builtin.clusterScoped);
  for (const gvk of builtin.apiVersions) {
    const parts = gvk.split('/');
    if (parts.length < 2 || !/^[A-Z]/.test(parts[parts.length - 1]!)) continue; // group/version only
    const kind = parts[parts.length - 1]!;
    const group = parts.length === 3 ? parts[0]! : '';
    scopes.set(`${group}/${kind}`, 'Namespaced');
    builtins.add(`${group}/${kind}`);
  }
  for (const gk of builtin.clusterScoped) scopes.set(gk, 'Cluster');
  for (const { value } of docs) {
    if (!isObj(value) || value.kind !== 'CustomResourceDefinition' || !isObj(value.spec)) continue;
    const { group, names, scope } = value.spec;
    if (typeof group === 'string' && isObj(names) && typeof names.kind === 'string' && (scope === 'Cluster' || scope === 'Namespaced'))
      scopes.set(`${group}/${names.kind}`, scope);
  }
  const clusterScoped = new Set([...scopes].filter(([, s]) => s === 'Cluster').map(([gk]) => gk));
  return { clusterScoped, scopeOf: (group, kind) => scopes.get(`${group}/${kind}`), isBuiltin: (group, kind) => builtins.has(`${group}/${kind}`) };
}
