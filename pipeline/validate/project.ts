import type { CrossDoc, ScopeOf, ValidationProblem } from './types';
import { clusterOf, nameOf, owners } from './owners';

export type { Scope, ScopeOf } from './types';

/**
 * AppProject admission, decided the way Argo CD decides it when it syncs (argo-cd v3.5.1
 * controller/sync.go validateSyncPermissions): every object of an Application must be a permitted group/kind
 * (pkg/apis/application/v1alpha1/app_project_types.go IsGroupKindNamePermitted), and a namespaced object's
 * namespace a permitted destination (IsDestinationPermitted → isDestinationMatched). Argo CD refuses the whole
 * sync when one object is not permitted.
 */

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const GLOBS = new Map<string, RegExp>();

/**
 * gobwas/glob Match without separators (what Argo CD uses for destinations): `*` any run, `?` one character,
 * `[abc]` / `[!abc]` / `[a-z]` a class, `{a,b}` alternatives; everything else literal.
 */
export function globMatch(pattern: string, value: string): boolean {
  let re = GLOBS.get(pattern);
  if (!re) {
    let src = '';
    let inBraces = 0;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') src += '.*';
      else if (c === '?') src += '.';
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) src += '\\[';
        else {
          const body = pattern.slice(i + 1, end);
          src += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\/g, '\\\\');
          i = end;
        }
      } else if (c === '{') {
        inBraces += 1;
        src += '(?:';
      } else if (c === '}' && inBraces > 0) {
        inBraces -= 1;
        src += ')';
      } else if (c === ',' && inBraces > 0) src += '|';
      else if (c === '\\' && i + 1 < pattern.length) src += `\\${pattern[++i]!}`;
      else src += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
    }
    try {
      re = new RegExp(`^${src}$`, 's');
    } catch {
      re = /(?!)/; // a pattern gobwas would not compile matches nothing
    }
    GLOBS.set(pattern, re);
  }
  return re.test(value);
}

/** Go's filepath.Match on names without `/` (Argo CD's group/kind/name lists): `*`, `?`, `[…]`, no braces. */
export function fileMatch(pattern: string, value: string): boolean {
  return globMatch(pattern.replace(/[{},]/g, '\\$&'), value);
}

const isDeny = (p: string): boolean => p.startsWith('!');

/** app_project_types.go globMatch(pattern, val, allowNegation=true). */
function argoGlob(pattern: string, value: string): boolean {
  if (isDeny(pattern)) return !globMatch(pattern.slice(1), value);
  if (pattern === '*') return true;
  return globMatch(pattern, value);
}

export interface Destination {
  readonly server: string;
  readonly name: string;
  readonly namespace: string;
}

/** isDestinationMatched, line for line (argo-cd v3.5.1 app_project_types.go). */
export function destinationPermitted(projectSpec: Obj, dst: Destination): boolean {
  let any = false;
  for (const item of arr(projectSpec.destinations).map(obj)) {
    const name = str(item.name);
    const server = str(item.server);
    const namespace = str(item.namespace);
    const nameMatched = dst.name !== '' && argoGlob(name, dst.name);
    const serverMatched = dst.server !== '' && argoGlob(server, dst.server);
    const namespaceMatched = argoGlob(namespace, dst.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if ((!nameMatched && isDeny(name)) || (!serverMatched && isDeny(server) && namespaceMatched)) return false;
    else if (!namespaceMatched && isDeny(namespace) && serverMatched) return false;
  }
  return any;
}

const inList = (list: readonly Obj[], group: string, kind: string, name?: string): boolean =>
  list.some(
    (item) =>
      fileMatch(str(item.kind), kind) && fileMatch(str(item.group), group) && (name === undefined || !str(item.name) || fileMatch(str(item.name), name)),
  );

/**
 * IsGroupKindNamePermitted: a namespaced kind is permitted unless a namespaceResourceWhitelist exists and
 * misses it (an empty list permits nothing; absent permits everything) or the blacklist has it; a
 * cluster-scoped kind only when the clusterResourceWhitelist has it (by group, kind and optional name) and
 * the blacklist does not.
 */
export function groupKindPermitted(projectSpec: Obj, group: string, kind: string, name: string, namespaced: boolean): boolean {
  if (namespaced) {
    const white = projectSpec.namespaceResourceWhitelist;
    const black = arr(projectSpec.namespaceResourceBlacklist).map(obj);
    const whiteListed = white === undefined || white === null || (arr(white).length !== 0 && inList(arr(white).map(obj), group, kind));
    return whiteListed && !inList(black, group, kind);
  }
  const white = arr(projectSpec.clusterResourceWhitelist).map(obj);
  const black = arr(projectSpec.clusterResourceBlacklist).map(obj);
  return inList(white, group, kind, name) && !inList(black, group, kind, name);
}

/**
 * The cluster an Application's destination resolves to: Argo CD's in-cluster Cluster has server
 * https://kubernetes.default.svc and name in-cluster (util/db cluster.go); other clusters are known by what
 * the Application names.
 */
export function destinationCluster(app: Obj): { server: string; name: string } {
  const dest = obj(obj(app.spec).destination);
  const server = str(dest.server);
  const name = str(dest.name);
  const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };
  if (server === IN_CLUSTER.server || (!server && name === IN_CLUSTER.name)) return IN_CLUSTER;
  return { server, name };
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/**
 * Findings per document index: objects an Application applies that its AppProject (found among the
 * validated documents of the same cluster) does not admit, with the entry to add. Objects of kinds whose
 * scope is unknown are left to the CRD check.
 */
export function projectProblems(docs: readonly CrossDoc[], scopeOf: ScopeOf, out: Map<number, ValidationProblem[]>): void {
  const projects = new Map<string, CrossDoc>();
  for (const d of docs) if (d.apiVersion.startsWith('argoproj.io/') && d.kind === 'AppProject') projects.set(`${clusterOf(d)}\0${nameOf(d)}`, d);
  const owner = owners(docs);
  docs.forEach((d, i) => {
    const app = owner.get(i);
    if (!app) return;
    const projectName = str(obj(app.obj.spec).project) || 'default';
    const project = projects.get(`${clusterOf(d)}\0${projectName}`);
    if (!project) return;
    const spec = obj(project.obj.spec);
    const group = groupOf(d.apiVersion);
    const scope = scopeOf(group, d.kind);
    if (!scope) return;
    const name = nameOf(d);
    const gk = `${group || '""'}/${d.kind}`;
    const appName = nameOf(app);
    const add = (path: string, message: string): void => {
      out.set(i, [...(out.get(i) ?? []), { path, message, rule: 'cross/project-admits-object' }]);
    };
    if (!groupKindPermitted(spec, group, d.kind, name, scope === 'Namespaced')) {
      const list = scope === 'Namespaced' ? 'namespaceResourceWhitelist/Blacklist' : 'clusterResourceWhitelist';
      add(
        'kind',
        `resource ${group}:${d.kind} is not permitted in project ${projectName}: Argo CD refuses to sync Application ${appName}; add {group: ${JSON.stringify(group)}, kind: ${d.kind}} to the AppProject's ${list}${scope === 'Cluster' ? ' (it is cluster-scoped)' : ''}, or stop rendering it (${gk})`,
      );
      return;
    }
    if (scope !== 'Namespaced') return;
    // Argo CD sets the destination namespace on namespaced objects that have none (controller/state.go DeduplicateTargetObjects).
    const namespace = str(obj(d.obj.metadata).namespace) || str(obj(obj(app.obj.spec).destination).namespace);
    const cluster = destinationCluster(app.obj);
    if (!destinationPermitted(spec, { ...cluster, namespace })) {
      add(
        'metadata.namespace',
        `namespace ${namespace} is not permitted in project '${projectName}': Argo CD refuses to sync Application ${appName}; add {server: ${cluster.server || '?'}, namespace: ${namespace}} to the AppProject's destinations, or stop rendering into it`,
      );
    }
  });
}
