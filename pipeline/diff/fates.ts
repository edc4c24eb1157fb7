import { isRecord, type Resource } from './identity';
import type { Fate } from './types';

/**
 * What Argo CD does to an object removed from dist, decided as argo-cd v3.5.1 does:
 * - Pruning (the object is gone from its Application's source): gitops-engine/pkg/sync/sync_context.go
 *   `isPruningDisabled` / `objRequiresPruneConfirmation`: the object's own `argocd.argoproj.io/sync-options`
 *   `Prune=` wins over the Application's `spec.syncPolicy.syncOptions`; `Prune=false` is never pruned,
 *   `Prune=confirm` waits for a confirmation (docs/user-guide/sync-options.md "No Prune Resources",
 *   "Resource Pruning With Confirmation"). An automated sync prunes only with `automated.prune: true`, and
 *   `automated.enabled: false` turns automated sync off (docs/user-guide/auto_sync.md "Automatic Pruning");
 *   a manual sync policy never prunes by itself.
 * - Application deletion: only with the `resources-finalizer.argocd.argoproj.io` finalizer (or its
 *   `/background` form) does deleting an Application delete its resources (docs/user-guide/app_deletion.md);
 *   then controller/appcontroller.go `shouldBeDeleted` spares CRDs, objects with `Delete=false` (object
 *   annotation over the Application's syncOptions) and `helm.sh/resource-policy: keep`; `Delete=confirm`
 *   waits for a confirmation (controller/state.go `isObjRequiresDeletionConfirmation`).
 * The Application that syncs a component is the one whose source path is `dist/<cluster>/<component>`;
 * a removed Application is itself an object of the app whose path is `dist/<cluster>/apps` (root).
 */

const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
const FINALIZERS = new Set(['resources-finalizer.argocd.argoproj.io', 'resources-finalizer.argocd.argoproj.io/background']);

type Resources = ReadonlyMap<string, Resource>;

function get(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

/** `Prune`/`Delete` option of an object's annotation (comma-separated, trimmed), else of its Application's syncOptions. */
export function syncOption(obj: Resource | undefined, app: Resource | undefined, option: 'Prune' | 'Delete'): string | undefined {
  const fromCsv = (items: readonly unknown[]) => {
    for (const item of items) if (typeof item === 'string' && item.trim().startsWith(`${option}=`)) return item.trim().slice(option.length + 1);
    return undefined;
  };
  const annotation = get(obj?.body, ['metadata', 'annotations', SYNC_OPTIONS]);
  const own = typeof annotation === 'string' ? fromCsv(annotation.split(',')) : undefined;
  if (own !== undefined) return own;
  const appOptions = get(app?.body, ['spec', 'syncPolicy', 'syncOptions']);
  return Array.isArray(appOptions) ? fromCsv(appOptions) : undefined;
}

export function sources(app: Resource | undefined): Record<string, unknown>[] {
  const spec = app?.body.spec;
  if (!isRecord(spec)) return [];
  if (Array.isArray(spec.sources)) return spec.sources.filter(isRecord);
  return isRecord(spec.source) ? [spec.source] : [];
}

/** The Application in dist/<cluster>/ whose source path is dist/<cluster>/<component>. */
export function owningApp(resources: Resources, cluster: string, component: string): Resource | undefined {
  // Objects a Helm release renders (rendered.ts) belong to that release's Application.
  const release = / \(rendered\)$/.exec(component) ? component.slice(0, -' (rendered)'.length) : undefined;
  for (const r of resources.values()) {
    if (release !== undefined) {
      if (r.cluster === cluster && r.kind === 'Application' && r.name === release && r.component === 'apps') return r;
      continue;
    }
    if (r.cluster !== cluster || r.kind !== 'Application') continue;
    if (
      sources(r).some(
        (s) =>
          typeof s.path === 'string' &&
          (s.path.replace(/\/$/, '') === `dist/${cluster}/${component}` || s.path.replace(/\/$/, '').endsWith(`/${cluster}/${component}`)),
      )
    )
      return r;
  }
  return undefined;
}

/** How an Application syncs: 'prune' (automated with prune), 'no-prune' (automated without), 'manual'. */
function syncMode(app: Resource): 'prune' | 'no-prune' | 'manual' {
  const automated = get(app.body, ['spec', 'syncPolicy', 'automated']);
  if (!isRecord(automated) || automated.enabled === false) return 'manual';
  return automated.prune === true ? 'prune' : 'no-prune';
}

function kubectlDelete(r: Resource): string {
  return `\`kubectl delete ${r.kind.toLowerCase()} ${r.name}${r.namespace ? ` -n ${r.namespace}` : ''}\``;
}

const keepOrDelete = (r: Resource) => `delete it by hand with ${kubectlDelete(r)}, or keep it`;

/** The fate of one object removed from dist: pruned by its Application, or deleted with it, or left running. */
export function removalFate(removed: Resource, base: Resources, head: Resources): Fate {
  const headApp = owningApp(head, removed.cluster, removed.component);
  if (headApp) return pruneFate(removed, headApp);
  const baseApp = owningApp(base, removed.cluster, removed.component);
  if (!baseApp)
    return {
      action: 'orphaned',
      reason: `no Application in dist syncs dist/${removed.cluster}/${removed.component}, so nothing deletes it`,
      fix: keepOrDelete(removed),
    };
  // Its Application is removed too: the object goes only if that Application is deleted with the finalizer.
  const appFate = removalFate(baseApp, base, head);
  if (appFate.action === 'orphaned')
    return {
      action: 'orphaned',
      reason: `its Application ${baseApp.name} is removed but stays in the cluster (${appFate.reason}), with no source left`,
      fix: keepOrDelete(removed),
    };
  const finalizers = get(baseApp.body, ['metadata', 'finalizers']);
  if (!Array.isArray(finalizers) || !finalizers.some((f) => typeof f === 'string' && FINALIZERS.has(f))) {
    return {
      action: 'orphaned',
      reason: `its Application ${baseApp.name} is deleted without the resources finalizer, which leaves its resources running`,
      fix: keepOrDelete(removed),
    };
  }
  const del = syncOption(removed, baseApp, 'Delete');
  if (removed.kind === 'CustomResourceDefinition')
    return { action: 'orphaned', reason: `Argo CD never deletes a CRD with its Application ${baseApp.name}`, fix: keepOrDelete(removed), intended: true };
  if (del === 'false')
    return {
      action: 'orphaned',
      reason: `Delete=false keeps it when its Application ${baseApp.name} is deleted`,
      fix: keepOrDelete(removed),
      ...(syncOption(removed, undefined, 'Delete') === 'false' ? { intended: true as const } : {}),
    };
  if (get(removed.body, ['metadata', 'annotations', 'helm.sh/resource-policy']) === 'keep')
    return {
      action: 'orphaned',
      reason: 'helm.sh/resource-policy: keep spares it when its Application is deleted',
      fix: keepOrDelete(removed),
      intended: true,
    };
  const confirmed = [
    del === 'confirm' ? 'Delete=confirm is confirmed' : '',
    appFate.action === 'confirm' ? `${baseApp.name}'s removal is confirmed` : '',
  ].filter(Boolean);
  if (confirmed.length > 0)
    return { action: 'confirm', reason: `deleted with its Application ${baseApp.name} (resources finalizer) once ${confirmed.join(' and ')}` };
  return { action: 'deleted', reason: `deleted with its Application ${baseApp.name} (resources finalizer; ${appFate.reason})` };
}

function pruneFate(removed: Resource, app: Resource): Fate {
  const prune = syncOption(removed, app, 'Prune');
  const own = syncOption(removed, undefined, 'Prune') !== undefined;
  const where = own ? 'its sync-options annotation' : `Application ${app.name}'s syncOptions`;
  if (prune === 'false')
    return {
      action: 'orphaned',
      reason: `Prune=false (${where}): Argo CD never prunes it and shows it as requiring pruning`,
      fix: keepOrDelete(removed),
      ...(own ? { intended: true as const } : {}),
    };
  const mode = syncMode(app);
  if (mode === 'prune') {
    if (prune === 'confirm') return { action: 'confirm', reason: `Application ${app.name} prunes it on sync once the pruning is confirmed (Prune=confirm)` };
    return { action: 'deleted', reason: `Application ${app.name} has automated prune on` };
  }
  const why =
    mode === 'manual'
      ? `Application ${app.name} syncs manually and a sync prunes only when asked`
      : `Application ${app.name} syncs automatically without prune`;
  return {
    action: 'orphaned',
    reason: `${why}, so it stays (OutOfSync, requires pruning)`,
    fix: `delete it by hand with ${kubectlDelete(removed)} or \`argocd app sync ${app.name} --prune\`, or keep it`,
  };
}
