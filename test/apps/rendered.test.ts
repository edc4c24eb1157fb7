import { afterAll, describe, expect } from 'vitest';
import { buildCluster, type Manifest } from '../../pipeline/synth/build';
import {
  cleanupHelm,
  testEachExampleCluster,
  crdScopes,
  exampleClusters,
  groupOf,
  helmApps,
  isNamespaced,
  parseRendered,
  renderApp,
  renderCached,
  renderText,
  type HelmApp,
} from '../charts/render';

/**
 * Checks over what every example cluster really deploys. Admission: what every example cluster really deploys — eksai's dist plus each Helm release rendered with the real helm
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

type Cluster = ReturnType<typeof exampleClusters>[number];

function rendered(cluster: Cluster): Deployed[] {
  return helmApps(cluster).flatMap((helmApp) =>
    renderApp(helmApp, cluster.kubernetesVersion).map((o) => ({ application: helmApp.application, object: o, defaultNamespace: helmApp.namespace })),
  );
}

function deployed(cluster: Cluster): Deployed[] {
  const built = buildCluster(cluster);
  const apps = built.charts.get('apps') ?? [];
  const out: Deployed[] = [];
  for (const app of apps) {
    if (app.kind !== 'Application') continue;
    const ns = (app.spec as { destination: { namespace: string } }).destination.namespace;
    for (const o of built.charts.get(app.metadata.name) ?? []) out.push({ application: app.metadata.name, object: o, defaultNamespace: ns });
  }
  out.push(...rendered(cluster));
  return out;
}

describe('AppProject platform admits everything the releases and dist deploy', () => {
  const clusters = exampleClusters();
  const all = new Map(clusters.map((c) => [c.name, deployed(c)]));
  /** Applications with plain manifests in dist (their Namespaces are eksai's own). */
  const buildClusterApps = new Set(clusters.flatMap((c) => [...buildCluster(c).charts.keys()]));
  const crds = crdScopes([...all.values()].flat().map((d) => d.object));

  testEachExampleCluster('fails when an object of cluster %s is outside the AppProject', (cluster) => {
    const project = buildCluster(cluster)
      .charts.get('apps')!
      .find((o) => o.kind === 'AppProject')!;
    const spec = project.spec as { clusterResourceWhitelist: { group: string; kind: string }[]; destinations: { namespace: string }[] };
    const kinds = new Set(spec.clusterResourceWhitelist.map((r) => `${r.group}/${r.kind}`));
    const namespaces = new Set(spec.destinations.map((d) => d.namespace));
    const refused: string[] = [];
    const used = new Set<string>();
    for (const { application, object, defaultNamespace } of all.get(cluster.name)!) {
      const kind = `${groupOf(object.apiVersion)}/${object.kind}`;
      const what = `${application}: ${kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
      if (isNamespaced(object, crds)) {
        const ns = object.metadata.namespace ?? defaultNamespace;
        if (!namespaces.has(ns)) refused.push(`${what}: namespace ${ns} is not a destination`);
      } else {
        used.add(kind);
        if (!kinds.has(kind)) refused.push(`${what}: ${kind} is not in clusterResourceWhitelist`);
        if (object.kind === 'Namespace' && kind === '/Namespace' && !namespaces.has(object.metadata.name))
          refused.push(`${what}: namespace ${object.metadata.name} is not a destination`);
      }
    }
    expect(refused).toEqual([]);
    // Least privilege: nothing is whitelisted that no release and no dist file of the cluster creates.
    expect([...kinds].filter((k) => !used.has(k))).toEqual([]);
  });

  // Data outlives its Application: a PVC, a StorageClass bound volumes name, or a Namespace eksai creates
  // (teams: PVCs, Secrets) carries Delete=false (only that keeps an object when its Application is deleted)
  // and Prune=false.
  testEachExampleCluster('fails when a data-holding object of cluster %s is deleted with its Application', (cluster) => {
    const unsafe: string[] = [];
    for (const { application, object } of all.get(cluster.name)!) {
      const fromDist = buildClusterApps.has(application);
      const holdsData = object.kind === 'PersistentVolumeClaim' || object.kind === 'StorageClass' || (object.kind === 'Namespace' && fromDist);
      if (!holdsData) continue;
      const options = ((object.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-options'] ?? '')
        .split(',')
        .map((o) => o.trim());
      if (!options.includes('Delete=false') || !options.includes('Prune=false'))
        unsafe.push(`${application}: ${object.kind} ${object.metadata.name} (sync-options: ${options.join(',') || 'none'})`);
    }
    expect(unsafe).toEqual([]);
  });
});

/** JSON pointers (RFC 6901) of the leaves where two values differ. */
function differingPointers(a: unknown, b: unknown, path = ''): string[] {
  if (a === b) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [path || '/'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    differingPointers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
  );
}

const identity = (d: Deployed) =>
  `${d.application} ${d.object.apiVersion}/${d.object.kind} ${d.object.metadata.namespace ?? d.defaultNamespace}/${d.object.metadata.name}`;

describe("Helm releases render the same twice, outside their Applications' ignoreDifferences", () => {
  // Argo CD renders on every refresh: a field that changes between two renders is a permanent diff, and
  // self-heal re-applies it (rotating CAs and tokens) unless the Application ignores it.
  testEachExampleCluster('fails when a release of cluster %s renders differently each time', (cluster) => {
    const apps = buildCluster(cluster)
      .charts.get('apps')!
      .filter((o) => o.kind === 'Application');
    const ignored = new Map(apps.map((a) => [a.metadata.name, (a.spec as { ignoreDifferences?: IgnoreEntry[] }).ignoreDifferences ?? []]));
    const problems: string[] = [];
    for (const app of helmApps(cluster)) {
      const once = renderCached(app, cluster.kubernetesVersion);
      const again = renderText(app, cluster.kubernetesVersion);
      if (again !== once.text) problems.push(...renderDifferences(app, once.objects, parseRendered(again), ignored.get(app.application) ?? []));
    }
    expect(problems).toEqual([]);
  });
});

type IgnoreEntry = { group?: string; kind: string; name?: string; namespace?: string; jsonPointers?: string[] };

/** Fields that differ between two renders of one release and no ignoreDifferences entry covers. */
function renderDifferences(app: HelmApp, once: Manifest[], again: Manifest[], entries: readonly IgnoreEntry[]): string[] {
  const wrap = (objects: Manifest[]) =>
    new Map(objects.map((o) => [identity({ application: app.application, object: o, defaultNamespace: app.namespace }), o]));
  const first = wrap(once);
  const second = wrap(again);
  const problems: string[] = [];
  for (const key of new Set([...first.keys(), ...second.keys()])) {
    const a = first.get(key);
    const b = second.get(key);
    if (!a || !b) {
      problems.push(`${key}: only in one of two renders (a generated name)`);
      continue;
    }
    for (const pointer of differingPointers(a, b)) {
      const covered = entries.some(
        (e) =>
          (e.group ?? '') === groupOf(a.apiVersion) &&
          e.kind === a.kind &&
          (e.name === undefined || e.name === a.metadata.name) &&
          (e.jsonPointers ?? []).some((p) => pointer === p || pointer.startsWith(`${p}/`)),
      );
      if (!covered)
        problems.push(
          `${key}: ${pointer} differs between renders; ignore it in the Application (ignoreDifferences + RespectIgnoreDifferences=true) or make the chart generate it in the cluster`,
        );
    }
  }
  return problems;
}

/** Pod specs of the workload kinds a release renders. */
function podSpecs(o: Manifest): { containers?: { image?: string }[]; initContainers?: { image?: string }[] }[] {
  const spec = o.spec as Record<string, any> | undefined;
  if (!spec) return [];
  if (o.kind === 'CronJob') return [spec.jobTemplate?.spec?.template?.spec].filter(Boolean);
  if (['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicaSet'].includes(o.kind)) return [spec.template?.spec].filter(Boolean);
  if (o.kind === 'Pod') return [spec];
  return [];
}

describe("control-plane binaries a release runs match the cluster's Kubernetes minor", () => {
  // A kube-scheduler may be at most its API server's minor and not older than allowed by the version skew
  // policy; eksai pins the API server minor (kubernetesVersion), so a scheduler binary must carry it.
  testEachExampleCluster('fails when a release of cluster %s runs a kube-scheduler of another minor', (cluster) => {
    const wrong: string[] = [];
    for (const app of helmApps(cluster)) {
      for (const o of renderApp(app, cluster.kubernetesVersion)) {
        for (const pod of podSpecs(o)) {
          for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
            const m = /\/kube-scheduler:v(\d+\.\d+)\./.exec(c.image ?? '');
            if (m && m[1] !== cluster.kubernetesVersion)
              wrong.push(`${app.application}: ${o.kind} ${o.metadata.name} runs ${c.image} against Kubernetes ${cluster.kubernetesVersion}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
