import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderReleases, type RenderResult, type RenderedRelease } from '../../../pipeline/render';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { join } from 'node:path';
import { releaseScopes, SCOPE_FILE } from '../../../pipeline/render/scope';
import { LOCK_FILE } from '../../../pipeline/render/charts';
import { templateArgs } from '../../../pipeline/render/template';
import { effectiveNamespace, groupKind } from '../../../pipeline/render/write';
import { clusters } from '../../../clusters';
import { loadClusters } from '../../../charts/checks';
import { REPO } from '../../helpers';
import { chartMirror, cleanTemps, tempDir, useSchemaMirror } from './helpers';

useSchemaMirror();
// What renderReleases reads from clusters/index.ts by default (the CLI path; vitest cannot require the registry).
const sources = Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input }));
const kubeVersions = Object.fromEntries(loadClusters(sources, REPO).configs.map((c) => [c.name, c.kubernetesVersion]));
let cacheDir: string;
let cold: RenderResult;

const kinds = (r: RenderedRelease) => {
  const k: Record<string, number> = {};
  for (const o of r.objects) k[String(o.kind)] = (k[String(o.kind)] ?? 0) + 1;
  return k;
};
const release = (cluster: string, application: string) => cold.releases.find((r) => r.cluster === cluster && r.application === application)!;
const named = (r: RenderedRelease, kind: string, name: string) => r.objects.find((o) => o.kind === kind && (o.metadata as { name?: string }).name === name);

beforeAll(async () => {
  cacheDir = tempDir('render-cache');
  cold = await renderReleases({ cwd: REPO, chartMirror: chartMirror(), cacheDir, kubeVersions });
}, 300_000);
afterAll(cleanTemps);

describe('renderReleases over the example clusters (chart mirror)', () => {
  test('renders the nine charts of every example cluster, each checked against the lock', () => {
    const clusters = [...new Set(cold.releases.map((r) => r.cluster))];
    expect(clusters).toEqual(['dev', 'prod', 'staging']);
    expect(release('dev', 'cilium')).toMatchObject({
      chart: 'cilium',
      version: '1.19.4',
      namespace: 'kube-system',
      releaseName: 'cilium',
      kubeVersion: '1.35.0',
      digestKind: 'tree',
      file: 'dist/dev/apps/Application.cilium.yaml',
    });
    expect(
      cold.releases
        .filter((r) => r.cluster === 'dev')
        .map((r) => r.chart)
        .sort(),
    ).toEqual([
      'aws-load-balancer-controller',
      'cilium',
      'dcgm-exporter',
      'jupyterhub',
      'karpenter',
      'kube-prometheus-stack',
      'kuberay-operator',
      'nvidia-device-plugin',
      'volcano',
    ]);
    expect(cold.helm.version).toMatch(/^v[34]\./);
    // OCI: the chart name is the last segment of the oci:// URL (the mirror folder is karpenter-1.14.1).
    expect(release('dev', 'karpenter')).toMatchObject({ chart: 'karpenter', repoURL: 'oci://public.ecr.aws/karpenter/karpenter', version: '1.14.1' });
  });

  test('cilium renders the cilium-secrets Namespace with its Roles (what AppProject platform must admit)', () => {
    const cilium = release('dev', 'cilium');
    expect(named(cilium, 'Namespace', 'cilium-secrets')).toBeDefined();
    expect(cilium.objects.filter((o) => o.kind === 'Role' && (o.metadata as { namespace?: string }).namespace === 'cilium-secrets').length).toBeGreaterThan(0);
    expect(kinds(cilium)).toMatchObject({ DaemonSet: 2, Deployment: 2 });
  });

  test('the ALB controller renders its cluster-scoped IngressClassParams and its CRDs', () => {
    const alb = release('prod', 'aws-load-balancer-controller');
    expect(alb.objects.find((o) => o.kind === 'IngressClassParams')).toMatchObject({ apiVersion: 'elbv2.k8s.aws/v1beta1' });
    expect(kinds(alb).CustomResourceDefinition).toBeGreaterThanOrEqual(2);
    expect(cold.clusterScoped.has('elbv2.k8s.aws/IngressClassParams')).toBe(true);
    expect(cold.clusterScoped.has('/Namespace')).toBe(true);
    expect(cold.clusterScoped.has('/ConfigMap')).toBe(false);
  });

  test('karpenter, kuberay and kube-prometheus-stack install their CRDs (--include-crds), which join --api-versions', () => {
    expect(kinds(release('dev', 'karpenter')).CustomResourceDefinition).toBe(5);
    expect(kinds(release('dev', 'kuberay-operator')).CustomResourceDefinition).toBe(4);
    expect(kinds(release('dev', 'kube-prometheus-stack')).CustomResourceDefinition).toBe(10);
    const apis = release('dev', 'cilium').apiVersions;
    expect(apis).toEqual(
      expect.arrayContaining([
        'v1',
        'v1/Pod',
        'apps/v1/Deployment',
        'karpenter.sh/v1/NodePool',
        'ray.io/v1/RayCluster',
        'monitoring.coreos.com/v1/ServiceMonitor',
        'scheduling.volcano.sh/v1beta1/Queue',
      ]),
    );
    expect(apis).not.toContain('v1/PodList');
  });

  test('kube-prometheus-stack renders its ServiceMonitors once its own CRDs are served (Argo CD steady state)', () => {
    // Its templates gate on .Capabilities.APIVersions.Has "monitoring.coreos.com/v1", which only its CRDs provide.
    expect(kinds(release('dev', 'kube-prometheus-stack')).ServiceMonitor).toBeGreaterThan(0);
    expect(
      release('dev', 'kube-prometheus-stack').objects.filter((o) => (o.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'])
        .length,
    ).toBeGreaterThan(0);
  });

  test('the NVIDIA device plugin keeps its DaemonSets and volcano its scheduler', () => {
    expect(kinds(release('prod', 'nvidia-device-plugin')).DaemonSet).toBeGreaterThanOrEqual(1);
    expect(named(release('prod', 'volcano'), 'Deployment', 'volcano-scheduler')).toBeDefined();
    expect(kinds(release('prod', 'jupyterhub'))).toMatchObject({ Deployment: expect.any(Number) });
  });

  test('a second run is served from the render cache: no helm run, the same objects', async () => {
    const warm = await renderReleases({ cwd: REPO, chartMirror: chartMirror(), cacheDir, kubeVersions });
    expect(warm.helmRuns).toBe(0);
    expect(warm.releases.map((r) => [r.cluster, r.application, r.objects.length])).toEqual(
      cold.releases.map((r) => [r.cluster, r.application, r.objects.length]),
    );
    expect(JSON.stringify(warm.releases.find((r) => r.application === 'cilium')!.objects)).toBe(JSON.stringify(release('dev', 'cilium').objects));
  });

  test('clusters with identical values share one render', () => {
    const key = (r: RenderedRelease) =>
      JSON.stringify([
        r.chart,
        r.releaseName,
        r.namespace,
        (r.manifest.spec as { sources?: unknown; source?: unknown }).sources ?? (r.manifest.spec as { source?: unknown }).source,
      ]);
    const pairs = cold.releases.flatMap((a, i) =>
      cold.releases
        .slice(i + 1)
        .filter((b) => b.cluster !== a.cluster && key(a) === key(b))
        .map((b) => [a, b] as const),
    );
    expect(pairs.length).toBeGreaterThan(0);
    for (const [a, b] of pairs) expect(a.objects).toBe(b.objects);
    expect(cold.helmRuns).toBeLessThan(cold.releases.length + 9);
  });
});

describe('committed generated files', () => {
  test(`${LOCK_FILE} locks exactly the charts the example clusters render (eksai render --update-lock is a no-op)`, async () => {
    const r = await renderReleases({ cwd: REPO, chartMirror: chartMirror(), cacheDir, kubeVersions, updateLock: true });
    expect(Object.values(JSON.parse(readFileSync(join(REPO, LOCK_FILE), 'utf8')).charts)).toEqual(r.lock);
  });

  test(`${SCOPE_FILE} is what the releases render: cilium creates into cilium-secrets, the ALB controller a cluster-scoped IngressClassParams`, () => {
    const committed = JSON.parse(readFileSync(join(REPO, SCOPE_FILE), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(releaseScopes(cold.releases, cold.clusterScoped))));
    expect(committed.cilium.namespaces).toEqual(['cilium-secrets', 'kube-system']);
    expect(committed['aws-load-balancer-controller'].clusterResources).toContainEqual({ group: 'elbv2.k8s.aws', kind: 'IngressClassParams' });
  });
});

describe('AppProject platform from charts/release-scope.json (apps/index.ts)', () => {
  test('admits every namespace and cluster-scoped kind the releases render, cilium-secrets and IngressClassParams included', () => {
    for (const cluster of ['dev', 'prod', 'staging']) {
      const project = load(readFileSync(join(REPO, 'dist', cluster, 'apps', 'AppProject.platform.yaml'), 'utf8')) as {
        spec: { destinations: { namespace: string }[]; clusterResourceWhitelist: { group: string; kind: string }[] };
      };
      const namespaces = new Set(project.spec.destinations.map((d) => d.namespace));
      const kinds = new Set(project.spec.clusterResourceWhitelist.map((k) => `${k.group}/${k.kind}`));
      for (const r of cold.releases.filter((x) => x.cluster === cluster)) {
        for (const o of r.objects) {
          const gk = groupKind(o);
          const ns = effectiveNamespace(o, r, cold.clusterScoped);
          if (ns === undefined) expect(kinds, `${cluster}/${r.application}: ${gk}`).toContain(gk);
          else expect(namespaces, `${cluster}/${r.application}: namespace ${ns}`).toContain(ns);
        }
      }
      expect(namespaces).toContain('cilium-secrets');
      expect(kinds).toContain('elbv2.k8s.aws/IngressClassParams');
    }
  });
});

describe('templateArgs', () => {
  test('passes the flags in Argo CD 3.5.1 util/helm/cmd.go template() order', () => {
    const args = templateArgs(
      { chartDir: '/c', releaseName: 'rel', namespace: 'ns', kubeVersion: '1.35', values: 'a: 1', apiVersions: ['v1', 'v1/Pod'], label: 'x' },
      '/tmp/values.yaml',
    );
    expect(args).toEqual([
      'template',
      '/c',
      '--name-template',
      'rel',
      '--namespace',
      'ns',
      '--kube-version',
      '1.35',
      '--values',
      '/tmp/values.yaml',
      '--api-versions',
      'v1',
      '--api-versions',
      'v1/Pod',
      '--include-crds',
    ]);
  });
});

describe('determinism renders (validate): twice only where something can vary', () => {
  // A fresh cache: every helm run below is independent of the cold render above.
  test('renders once exactly the releases whose charts call no varying function, and those equal an independent render; the others twice', async () => {
    const checked = await renderReleases({ cwd: REPO, chartMirror: chartMirror(), cacheDir: tempDir('render-determinism'), kubeVersions, determinism: true });
    const once = checked.releases.filter((r) => r.varying === undefined);
    expect([...new Set(once.map((r) => r.chart))].sort()).toEqual(['karpenter', 'kuberay-operator', 'nvidia-device-plugin', 'opencost', 'volcano']);
    for (const r of once) {
      // Its one render stands in for the second: the same objects.
      expect(r.second?.length, `${r.cluster}/${r.application}`).toBe(r.objects.length);
      expect(r.second!.every((o, i) => o === r.objects[i])).toBe(true);
      expect(JSON.stringify(r.objects), `${r.cluster}/${r.application}: a second helm run differs`).toBe(
        JSON.stringify(release(r.cluster, r.application).objects),
      );
    }
    for (const r of checked.releases.filter((x) => x.varying !== undefined)) {
      expect(r.varying, r.application).toMatch(/^chart \S+ \S+ calls (genCA|randNumeric|randAlphaNum) \(/);
    }
    // Twice for those, once for the rest: more helm runs than one render of each, fewer than two.
    expect(checked.helmRuns).toBeGreaterThan(cold.helmRuns);
    expect(checked.helmRuns).toBeLessThan(2 * cold.helmRuns);
  }, 300_000);
});
