import { afterAll, describe, expect, test } from 'vitest';
import { buildCluster, type Manifest } from '../../lib/synth/build';
import { cleanupHelm, crdScopes, exampleClusters, groupOf, helmApps, isNamespaced, mirrorCrds, renderApp } from '../charts/render';

/**
 * What every example cluster really deploys — eksai's dist plus each Helm release rendered with the real helm
 * from the pinned chart — against its AppProject `platform`, decided the way Argo CD decides: a cluster-scoped
 * object needs its group/kind in clusterResourceWhitelist; a namespaced object (and a Namespace object itself)
 * needs its namespace, or the Application's destination namespace when it has none, among the destinations.
 */

afterAll(cleanupHelm);

interface Deployed {
  readonly application: string;
  readonly object: Manifest;
  readonly defaultNamespace: string;
}

function deployed(cluster: ReturnType<typeof exampleClusters>[number]): Deployed[] {
  const built = buildCluster(cluster);
  const apps = built.charts.get('apps') ?? [];
  const out: Deployed[] = [];
  for (const app of apps) {
    if (app.kind !== 'Application') continue;
    const ns = (app.spec as { destination: { namespace: string } }).destination.namespace;
    for (const o of built.charts.get(app.metadata.name) ?? []) out.push({ application: app.metadata.name, object: o, defaultNamespace: ns });
  }
  for (const helmApp of helmApps(cluster)) {
    for (const o of renderApp(helmApp, cluster.kubernetesVersion)) out.push({ application: helmApp.application, object: o, defaultNamespace: helmApp.namespace });
  }
  return out;
}

describe('AppProject platform admits everything the releases and dist deploy', () => {
  const clusters = exampleClusters();
  const all = new Map(clusters.map((c) => [c.name, deployed(c)]));
  /** Applications with plain manifests in dist (their Namespaces are eksai's own). */
  const buildClusterApps = new Set(clusters.flatMap((c) => [...buildCluster(c).charts.keys()]));
  const crds = new Map([...crdScopes(mirrorCrds()), ...crdScopes([...all.values()].flat().map((d) => d.object))]);

  test.each(clusters.map((c) => c.name))('fails when an object of cluster %s is outside the AppProject', (name) => {
    const cluster = clusters.find((c) => c.name === name)!;
    const project = buildCluster(cluster).charts.get('apps')!.find((o) => o.kind === 'AppProject')!;
    const spec = project.spec as { clusterResourceWhitelist: { group: string; kind: string }[]; destinations: { namespace: string }[] };
    const kinds = new Set(spec.clusterResourceWhitelist.map((r) => `${r.group}/${r.kind}`));
    const namespaces = new Set(spec.destinations.map((d) => d.namespace));
    const refused: string[] = [];
    const used = new Set<string>();
    for (const { application, object, defaultNamespace } of all.get(name)!) {
      const kind = `${groupOf(object.apiVersion)}/${object.kind}`;
      const what = `${application}: ${kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
      if (isNamespaced(object, crds)) {
        const ns = object.metadata.namespace ?? defaultNamespace;
        if (!namespaces.has(ns)) refused.push(`${what}: namespace ${ns} is not a destination`);
      } else {
        used.add(kind);
        if (!kinds.has(kind)) refused.push(`${what}: ${kind} is not in clusterResourceWhitelist`);
        if (object.kind === 'Namespace' && kind === '/Namespace' && !namespaces.has(object.metadata.name)) refused.push(`${what}: namespace ${object.metadata.name} is not a destination`);
      }
    }
    expect(refused).toEqual([]);
    // Least privilege: nothing is whitelisted that no release and no dist file of the cluster creates.
    expect([...kinds].filter((k) => !used.has(k))).toEqual([]);
  });

  // Data outlives its Application: a PVC, a StorageClass bound volumes name, or a Namespace eksai creates
  // (teams: PVCs, Secrets) carries Delete=false (only that keeps an object when its Application is deleted)
  // and Prune=false.
  test.each(clusters.map((c) => c.name))('fails when a data-holding object of cluster %s is deleted with its Application', (name) => {
    const unsafe: string[] = [];
    for (const { application, object } of all.get(name)!) {
      const fromDist = buildClusterApps.has(application);
      const holdsData = object.kind === 'PersistentVolumeClaim' || object.kind === 'StorageClass' || (object.kind === 'Namespace' && fromDist);
      if (!holdsData) continue;
      const options = ((object.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-options'] ?? '').split(',').map((o) => o.trim());
      if (!options.includes('Delete=false') || !options.includes('Prune=false')) unsafe.push(`${application}: ${object.kind} ${object.metadata.name} (sync-options: ${options.join(',') || 'none'})`);
    }
    expect(unsafe).toEqual([]);
  });
});
