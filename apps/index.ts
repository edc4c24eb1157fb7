import { ApiObject, Chart, type App } from 'cdk8s';
import * as argo from '../imports/argoproj.io';
import type { Component, ClusterResource, HelmRelease } from '../charts/component';
import type { ClusterConfig } from '../lib/config/types';
import { ARGOCD_NAMESPACE, argocdHealthConfig } from './argocd-cm';

/** Name of the AppProject every child Application belongs to (never `default`). */
export const PROJECT_NAME = 'platform';
export const ROOT_APP_NAME = 'root';
const IN_CLUSTER = 'https://kubernetes.default.svc';
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** Retry with backoff: 5 tries, 10s doubling to 5m (CRDs and webhooks settle within that). */
const RETRY: argo.ApplicationSpecSyncPolicyRetry = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } };

/** Path of a chart's folder inside the git repo. */
export function distPath(cluster: ClusterConfig, chartId: string): string {
  return `dist/${cluster.name}/${chartId}`;
}

function automated(cluster: ClusterConfig): argo.ApplicationSpecSyncPolicyAutomated | undefined {
  switch (cluster.gitops.sync) {
    case 'auto-prune':
      return { prune: true, selfHeal: true };
    case 'auto':
      return { prune: false, selfHeal: true };
    case 'manual':
      return undefined;
  }
}

function podSecurityLabels(component: Component): Record<string, string> | undefined {
  if (!component.podSecurity) return undefined;
  const level = component.podSecurity;
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}

/** Whether a component's build produced objects: an empty dist folder is not written, so no source may point at it. */
function hasManifests(app: App, component: Component): boolean {
  return component.build !== undefined && app.charts.some((c) => c.node.id === component.name && c.node.findAll().some((o) => ApiObject.isApiObject(o)));
}

function sources(app: App, cluster: ClusterConfig, component: Component, release: HelmRelease | undefined): argo.ApplicationSpecSources[] {
  const out: argo.ApplicationSpecSources[] = [];
  if (release) {
    out.push({
      repoUrl: release.repoURL,
      chart: release.chart,
      path: release.chart === undefined ? '.' : undefined,
      targetRevision: release.version,
      helm: { releaseName: release.releaseName, valuesObject: release.values },
    });
  }
  if (hasManifests(app, component)) {
    out.push({ repoUrl: cluster.gitops.repoURL, targetRevision: cluster.gitops.targetRevision, path: distPath(cluster, component.name) });
  }
  return out;
}

function childApplication(app: App, scope: Chart, cluster: ClusterConfig, component: Component, release: HelmRelease | undefined): void {
  const [first, ...rest] = sources(app, cluster, component, release);
  // Neither a chart nor manifests (e.g. a manifests-only component with nothing to deploy): no Application.
  if (first === undefined) return;
  const labels = podSecurityLabels(component);
  new argo.Application(scope, `app-${component.name}`, {
    metadata: {
      name: component.name,
      namespace: ARGOCD_NAMESPACE,
      annotations: { 'argocd.argoproj.io/sync-wave': String(component.wave) },
      finalizers: [RESOURCES_FINALIZER],
    },
    spec: {
      project: PROJECT_NAME,
      // One source when the component has either a chart or manifests; both → multi-source.
      source: rest.length === 0 ? first : undefined,
      sources: rest.length === 0 ? undefined : [first!, ...rest],
      destination: { server: IN_CLUSTER, namespace: component.namespace },
      ignoreDifferences: component.ignoreDifferences?.map((d) => ({ ...d, jsonPointers: [...d.jsonPointers] })),
      syncPolicy: {
        automated: component.syncPolicy === 'manual' ? undefined : automated(cluster),
        retry: RETRY,
        syncOptions: ['CreateNamespace=true', ...(component.syncOptions ?? [])],
        managedNamespaceMetadata: labels ? { labels } : undefined,
      },
    },
  });
}

function clusterResources(components: readonly Component[]): ClusterResource[] {
  const all = new Map<string, ClusterResource>([['/Namespace', { group: '', kind: 'Namespace' }]]);
  for (const c of components) for (const r of c.clusterResources ?? []) all.set(`${r.group}/${r.kind}`, r);
  return [...all.keys()].sort().map((k) => all.get(k)!);
}

function project(scope: Chart, cluster: ClusterConfig, components: readonly Component[], releases: ReadonlyMap<string, HelmRelease>): void {
  const repos = new Set<string>([cluster.gitops.repoURL]);
  for (const release of releases.values()) repos.add(release.repoURL);
  const namespaces = [...new Set(components.flatMap((c) => [c.namespace, ...(c.namespaces?.(cluster) ?? [])]))].sort();
  new argo.AppProject(scope, 'project', {
    metadata: { name: PROJECT_NAME, namespace: ARGOCD_NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': '-50' } },
    spec: {
      description: `eksai platform components of cluster ${cluster.name}`,
      sourceRepos: [...repos].sort(),
      destinations: namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
      clusterResourceWhitelist: clusterResources(components),
    },
  });
}

/**
 * The Argo CD side of one cluster: `root/` holds the root Application (applied once by bootstrap,
 * project `default` because it is admin-owned) pointing at `apps/`; `apps/` holds the argocd-cm
 * health patch, the `platform` AppProject and one child Application per enabled component.
 */
export function buildArgoApps(app: App, cluster: ClusterConfig, components: readonly Component[]): void {
  const root = new Chart(app, 'root', { disableResourceNameHashes: true });
  new argo.Application(root, 'root', {
    metadata: { name: ROOT_APP_NAME, namespace: ARGOCD_NAMESPACE },
    spec: {
      project: 'default',
      source: { repoUrl: cluster.gitops.repoURL, targetRevision: cluster.gitops.targetRevision, path: distPath(cluster, 'apps') },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: automated(cluster), retry: RETRY },
    },
  });

  const apps = new Chart(app, 'apps', { disableResourceNameHashes: true });
  argocdHealthConfig(apps);
  const releases = new Map<string, HelmRelease>();
  for (const c of components) if (c.helm) releases.set(c.name, c.helm(cluster));
  project(apps, cluster, components, releases);
  for (const component of components) childApplication(app, apps, cluster, component, releases.get(component.name));
}
