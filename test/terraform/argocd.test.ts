import { beforeAll, describe, expect, it } from 'vitest';
import { ARGOCD_VERSION } from '../../lib/schemas/pins';
import { distClusters, distObjects, loadBootstrap, resource, type Block, type Tf } from './hcl';

/**
 * Every Argo CD feature the generated dist uses is supported by the Argo CD that terraform/bootstrap
 * installs (issue 14, item 1). A feature the table does not know fails the test: add it with its
 * first release and the source that shows it.
 *
 * Minimum versions were read in the argoproj/argo-cd repository: the first release tag containing the
 * commit that introduced the field (`git log -S` on pkg/apis/application/v1alpha1/types.go, then
 * `git tag --contains`) or, for sync options and annotations, the first release whose docs describe it.
 */
const FEATURES: Record<string, { readonly since: string; readonly source: string }> = {
  'spec.source (Git directory, Helm repository chart)': { since: '1.3.0', source: 'types.go `json:"chart,omitempty"` first in v1.3.0' },
  'spec.source.helm.releaseName': { since: '0.11.0', source: 'types.go `json:"releaseName,omitempty"` first in v0.11.0' },
  'spec.source.helm.valuesObject': { since: '2.8.0', source: 'types.go ValuesObject first in v2.8.0 (docs/user-guide/helm.md)' },
  'spec.sources (multiple sources)': { since: '2.6.0', source: 'types.go `Sources ApplicationSources` first in v2.6.0 (docs/user-guide/multiple_sources.md)' },
  'OCI Helm source (oci:// repoURL, path: .)': { since: '3.1.0', source: 'docs/user-guide/oci.md added in v3.1.0: "source: path: . repoURL: oci://..."' },
  'spec.syncPolicy.automated (prune, selfHeal)': { since: '1.2.0', source: 'types.go SelfHeal first in v1.2.0' },
  'spec.syncPolicy.retry.backoff': { since: '1.7.0', source: 'types.go `Retry *RetryStrategy` and Backoff first in v1.7.0' },
  'spec.syncPolicy.managedNamespaceMetadata': {
    since: '2.6.0',
    source: 'types.go ManagedNamespaceMetadata first in v2.6.0 (docs/user-guide/sync-options.md "Namespace Metadata")',
  },
  'spec.ignoreDifferences.jsonPointers': { since: '0.12.0', source: 'types.go JSONPointers first in v0.12.0' },
  'spec.ignoreDifferences.jqPathExpressions': { since: '2.1.0', source: 'types.go JQPathExpressions first in v2.1.0' },
  'spec.ignoreDifferences.managedFieldsManagers': { since: '2.3.0', source: 'types.go ManagedFieldsManagers first in v2.3.0' },
  'metadata.finalizers resources-finalizer.argocd.argoproj.io': { since: '1.1.0', source: 'docs/user-guide/app_deletion.md, first in v1.1.0' },
  'AppProject sourceRepos, destinations, clusterResourceWhitelist': { since: '0.9.0', source: 'types.go ClusterResourceWhitelist first in v0.9.0' },
  'syncOption CreateNamespace=true': { since: '1.7.0', source: 'controller: "CreateNamespace=true" first in v1.7.0' },
  'syncOption ServerSideApply=true': { since: '2.5.0', source: 'docs/user-guide/sync-options.md "Server-Side Apply", first in v2.5.0' },
  'syncOption RespectIgnoreDifferences=true': {
    since: '2.3.0',
    source: 'docs/user-guide/sync-options.md "Respect ignore differences configs", first in v2.3.0',
  },
  'syncOption SkipDryRunOnMissingResource=true': {
    since: '1.5.3',
    source: 'docs/user-guide/sync-options.md "Skip Dry Run for new custom resources types", first in v1.5.3',
  },
  'syncOption Prune=false': { since: '1.1.0', source: 'docs/user-guide/sync-options.md "No Prune Resources", first in v1.1.0' },
  'syncOption Delete=false': { since: '2.7.0', source: 'docs/user-guide/sync-options.md "No Resource Deletion", first in v2.7.0' },
  'annotation argocd.argoproj.io/sync-wave': { since: '1.1.0', source: 'docs/user-guide/sync-waves.md, first in v1.1.0' },
  'annotation argocd.argoproj.io/hook: Sync': { since: '1.3.0', source: 'docs/user-guide/resource_hooks.md, first in v1.3.0' },
  'annotation argocd.argoproj.io/hook-delete-policy: BeforeHookCreation': { since: '1.3.0', source: 'docs/user-guide/resource_hooks.md, first in v1.3.0' },
  'argocd-cm resource.customizations.health.<group_kind>': { since: '2.1.0', source: 'docs/operator-manual/health.md, per-kind key first in v2.1.0' },
};

/**
 * Argo CD version each argo-cd chart ships (argo-helm charts/argo-cd/Chart.yaml `appVersion`). The
 * stored argoproj/argo-helm snapshot ends at argo-cd-10.1.1 (appVersion v3.4.4, 2026-07-02); 10.3.3 →
 * v3.5.1 is taken from two independent deployments that record the pair (chart 10.3.3 "ships Argo CD
 * v3.5.1"). Check with `helm show chart argo/argo-cd --version 10.3.3 | grep appVersion`.
 */
const CHART_APP_VERSIONS: Record<string, string> = {
  '8.1.2': '3.0.6',
  '10.1.1': '3.4.4',
  '10.3.3': '3.5.1',
};

/** Major.minor.patch comparison. */
function atLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The features one dist object uses (keys of FEATURES, or `unknown: …` for anything not in the table). */
function featuresOf(obj: Block): string[] {
  const out = new Set<string>();
  const annotations = (obj.metadata?.annotations ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith('argocd.argoproj.io/')) continue;
    if (k === 'argocd.argoproj.io/sync-wave') out.add('annotation argocd.argoproj.io/sync-wave');
    else if (k === 'argocd.argoproj.io/sync-options') for (const o of v.split(',')) out.add(`syncOption ${o.trim()}`);
    else out.add(`annotation ${k}: ${v}`);
  }
  if (obj.kind === 'ConfigMap' && obj.metadata.name === 'argocd-cm') {
    for (const k of Object.keys(obj.data ?? {}))
      out.add(k.startsWith('resource.customizations.health.') ? 'argocd-cm resource.customizations.health.<group_kind>' : `unknown: argocd-cm key ${k}`);
  }
  if (obj.apiVersion !== 'argoproj.io/v1alpha1') return [...out];
  if (obj.kind === 'AppProject') {
    for (const k of Object.keys(obj.spec))
      if (!['description', 'sourceRepos', 'destinations', 'clusterResourceWhitelist'].includes(k)) out.add(`unknown: AppProject spec.${k}`);
    out.add('AppProject sourceRepos, destinations, clusterResourceWhitelist');
    return [...out];
  }
  const spec = obj.spec as Block;
  for (const f of obj.metadata.finalizers ?? [])
    out.add(f === 'resources-finalizer.argocd.argoproj.io' ? 'metadata.finalizers resources-finalizer.argocd.argoproj.io' : `unknown: finalizer ${f}`);
  for (const k of Object.keys(spec))
    if (!['project', 'destination', 'source', 'sources', 'syncPolicy', 'ignoreDifferences'].includes(k)) out.add(`unknown: Application spec.${k}`);
  const sources: Block[] = spec.sources ?? [spec.source];
  if (spec.sources) out.add('spec.sources (multiple sources)');
  for (const s of sources) {
    out.add('spec.source (Git directory, Helm repository chart)');
    if (String(s.repoURL).startsWith('oci://')) out.add('OCI Helm source (oci:// repoURL, path: .)');
    for (const k of Object.keys(s)) if (!['repoURL', 'chart', 'path', 'targetRevision', 'helm'].includes(k)) out.add(`unknown: source.${k}`);
    for (const k of Object.keys(s.helm ?? {}))
      out.add(k === 'releaseName' ? 'spec.source.helm.releaseName' : k === 'valuesObject' ? 'spec.source.helm.valuesObject' : `unknown: source.helm.${k}`);
  }
  const sp = (spec.syncPolicy ?? {}) as Block;
  for (const k of Object.keys(sp)) {
    if (k === 'automated') out.add('spec.syncPolicy.automated (prune, selfHeal)');
    else if (k === 'retry') out.add('spec.syncPolicy.retry.backoff');
    else if (k === 'managedNamespaceMetadata') out.add('spec.syncPolicy.managedNamespaceMetadata');
    else if (k === 'syncOptions') for (const o of sp.syncOptions as string[]) out.add(`syncOption ${o}`);
    else out.add(`unknown: syncPolicy.${k}`);
  }
  for (const d of (spec.ignoreDifferences ?? []) as Block[]) {
    for (const k of Object.keys(d)) if (!['group', 'kind', 'name', 'namespace'].includes(k)) out.add(`spec.ignoreDifferences.${k}`);
  }
  return [...out];
}

let tf: Tf;
beforeAll(async () => {
  tf = await loadBootstrap();
});

/** Argo CD version terraform/bootstrap installs by default. */
function installedArgoCd(): string {
  const chart = String(tf.variable.argocd_chart_version![0]!.default);
  const app = CHART_APP_VERSIONS[chart];
  if (!app)
    throw new Error(
      `argocd_chart_version default ${chart}: add its appVersion (argo-helm charts/argo-cd/Chart.yaml at argo-cd-${chart}) to CHART_APP_VERSIONS`,
    );
  return app;
}

describe('Argo CD installed by terraform/bootstrap', () => {
  it('is the Argo CD release whose CRDs eksai validates against', () => {
    expect(resource(tf, 'helm_release', 'argocd').version).toBe('${var.argocd_chart_version}');
    expect(`v${installedArgoCd()}`).toBe(ARGOCD_VERSION);
  });

  it.each(distClusters())('%s: supports every feature the generated Argo CD objects use', (cluster) => {
    const installed = installedArgoCd();
    const used = new Map<string, string>();
    for (const { path, obj } of distObjects(cluster)) for (const f of featuresOf(obj)) if (!used.has(f)) used.set(f, path);
    const unknown = [...used].filter(([f]) => !(f in FEATURES)).map(([f, path]) => `${f} (dist/${cluster}/${path})`);
    expect(unknown, 'add these to FEATURES with the first Argo CD release that has them and the source').toEqual([]);
    const tooNew = [...used.keys()].filter((f) => !atLeast(installed, FEATURES[f]!.since)).map((f) => `${f} needs Argo CD ${FEATURES[f]!.since}`);
    expect(tooNew, `Argo CD ${installed} is installed`).toEqual([]);
    expect(used.has('OCI Helm source (oci:// repoURL, path: .)'), 'the Karpenter chart is an OCI source').toBe(true);
  });

  it('fails when the installed Argo CD predates a feature in use (the old default, chart 8.1.2 = Argo CD 3.0.6)', () => {
    const used = new Set(distClusters().flatMap((c) => distObjects(c).flatMap(({ obj }) => featuresOf(obj))));
    const tooNew = [...used].filter((f) => f in FEATURES && !atLeast(CHART_APP_VERSIONS['8.1.2']!, FEATURES[f]!.since));
    expect(tooNew).toEqual(['OCI Helm source (oci:// repoURL, path: .)']);
  });

  it('flags a field the table does not know', () => {
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'x' },
      spec: { project: 'p', source: { repoURL: 'https://g', path: 'd', directory: { recurse: true } }, syncPolicy: { syncOptions: ['PruneLast=true'] } },
    };
    expect(featuresOf(app).filter((f) => !(f in FEATURES))).toEqual(['unknown: source.directory', 'syncOption PruneLast=true']);
  });
});
