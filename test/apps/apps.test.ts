import { describe, expect, test } from 'vitest';
import { APPLICATION_HEALTH_LUA } from '../../apps/argocd-cm';
import { chartObjects, find, loadOk, minimalInput } from '../helpers';

describe('argo cd app-of-apps', () => {
  const cluster = loadOk(minimalInput());
  const apps = chartObjects(cluster, 'apps');

  test('root points at dist/<cluster>/apps on the configured repo and revision', () => {
    const root = find(chartObjects(cluster, 'root'), 'Application', 'root');
    expect(root.spec).toMatchObject({
      project: 'default',
      source: { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main', path: 'dist/minimal/apps' },
    });
  });

  test('the AppProject is not default and allows only what the platform needs', () => {
    const project = find(apps, 'AppProject', 'platform');
    const spec = project.spec as any;
    expect(spec.sourceRepos).toEqual(
      expect.arrayContaining(['https://github.com/acme/platform.git', 'https://helm.cilium.io', 'oci://public.ecr.aws/karpenter/karpenter']),
    );
    expect(spec.sourceRepos).toEqual([...spec.sourceRepos].sort());
    expect(spec.destinations).toContainEqual({ server: 'https://kubernetes.default.svc', namespace: 'kube-system' });
    expect(spec.sourceRepos).not.toContain('*');
    expect((project.spec as any).clusterResourceWhitelist).toContainEqual({ group: 'karpenter.sh', kind: 'NodePool' });
    expect((project.spec as any).clusterResourceWhitelist).not.toContainEqual({ group: '*', kind: '*' });
  });

  test('children: platform project, sync wave, retry with backoff, finalizer, CreateNamespace', () => {
    for (const name of ['karpenter', 'node-pools']) {
      const app = find(apps, 'Application', name);
      expect(app.metadata).toMatchObject({
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
        annotations: { 'argocd.argoproj.io/sync-wave': expect.stringMatching(/^-?\d+$/) },
      });
      expect(app.spec).toMatchObject({ project: 'platform', syncPolicy: { retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } } });
      expect((app.spec as any).syncPolicy.syncOptions).toContain('CreateNamespace=true');
    }
  });

  test('karpenter syncs before its CRs; CRs skip dry-run; the chart uses server-side apply', () => {
    const wave = (n: string) => Number((find(apps, 'Application', n).metadata.annotations as Record<string, string>)['argocd.argoproj.io/sync-wave']);
    expect(wave('karpenter')).toBeLessThan(wave('node-pools'));
    expect((find(apps, 'Application', 'node-pools').spec as any).syncPolicy.syncOptions).toContain('SkipDryRunOnMissingResource=true');
    expect((find(apps, 'Application', 'karpenter').spec as any).syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect((find(apps, 'Application', 'node-pools').spec as any).source.path).toBe('dist/minimal/node-pools');
  });

  test('dev prunes, prod does not, manual has no automated sync', () => {
    const automated = (sync?: string, environment = 'dev') =>
      (
        find(
          chartObjects(loadOk(minimalInput({ environment, gitops: { repoURL: 'https://github.com/acme/platform.git', ...(sync ? { sync } : {}) } })), 'apps'),
          'Application',
          'karpenter',
        ).spec as any
      ).syncPolicy.automated;
    expect(automated()).toEqual({ prune: true, selfHeal: true });
    expect(automated(undefined, 'prod')).toEqual({ prune: false, selfHeal: true });
    expect(automated('manual')).toBeUndefined();
  });

  test('argocd-cm restores the Application health check, applied server-side and never pruned', () => {
    const cm = find(apps, 'ConfigMap', 'argocd-cm');
    expect(cm.metadata).toMatchObject({
      namespace: 'argocd',
      annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false,Delete=false' },
    });
    expect((cm as any).data['resource.customizations.health.argoproj.io_Application']).toBe(APPLICATION_HEALTH_LUA);
    expect(APPLICATION_HEALTH_LUA).toContain('obj.status.health.status');
  });
});
