import { afterAll, describe, expect, it } from 'vitest';
import { renderDiff } from '../../../pipeline/diff';
import { childApp, cleanupDiffRepos, diffTrees, exampleDist, rootApp, type Tree, withoutTeam } from './helpers';

afterAll(cleanupDiffRepos);
const diffOf = diffTrees;

const risksOf = (result: Awaited<ReturnType<typeof diffOf>>) => result.risks.map((r) => `${r.level} ${r.resource}: ${r.message}`);

const cm = (name: string, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ml', ...(annotations ? { annotations } : {}) },
  data: { a: '1' },
});
type App = ReturnType<typeof childApp>;
const withPolicy = (app: App, syncPolicy: Record<string, unknown>, finalizers?: string[]): App => ({
  ...app,
  metadata: { ...app.metadata, finalizers: finalizers ?? app.metadata.finalizers },
  spec: { ...app.spec, syncPolicy } as App['spec'],
});

describe('diff says what Argo CD does to each removal (issue 15 item 7)', () => {
  it('fails when a removed prod team (prune off) has no orphan note, or its Prune=false Namespace reads as HIGH deleted', async () => {
    const result = await diffOf(exampleDist('prod'), exampleDist('prod', withoutTeam('ml-eng')));
    const removed = result.changes.filter((c) => c.kind === 'removed');
    // 12 team objects, and ml-eng's EFS class and its two claims (team and jupyterhub namespaces).
    expect(removed).toHaveLength(15);
    expect(removed.every((c) => c.fate?.action === 'orphaned')).toBe(true);
    const risks = risksOf(result);
    expect(risks.filter((r) => r.startsWith('high'))).toEqual([]);
    expect(risks).toContain(
      'low Namespace/ml-eng: left running (orphaned): Prune=false (its sync-options annotation): Argo CD never prunes it and shows it as requiring pruning; delete it by hand with `kubectl delete namespace ml-eng`, or keep it',
    );
    expect(risks).toContain(
      'medium NetworkPolicy/allow-dns: left running (orphaned): Application teams syncs automatically without prune, so it stays (OutOfSync, requires pruning); delete it by hand with `kubectl delete networkpolicy allow-dns -n ml-eng` or `argocd app sync teams --prune`, or keep it',
    );
    expect(risks).toContain(
      'medium RayCluster/ray: left running (orphaned): Application ray-clusters syncs automatically without prune, so it stays (OutOfSync, requires pruning); delete it by hand with `kubectl delete raycluster ray -n ml-eng` or `argocd app sync ray-clusters --prune`, or keep it',
    );
    expect(renderDiff(result, 'text')).toContain('- Namespace/ml-eng (left running (orphaned))');
  });

  it('fails when a removed staging team (prune on) does not read as deleted on sync, except its Prune=false Namespace', async () => {
    const result = await diffOf(exampleDist('staging'), exampleDist('staging', withoutTeam('ml-eng')));
    const fates = new Map(result.changes.filter((c) => c.kind === 'removed').map((c) => [`${c.resourceKind}/${c.name}`, c.fate?.action]));
    expect(fates.get('Namespace/ml-eng')).toBe('orphaned');
    expect([...fates].filter(([k]) => k !== 'Namespace/ml-eng').every(([, v]) => v === 'deleted')).toBe(true);
    expect(risksOf(result)).toContain('high Queue/ml-eng: deleted from the cluster on sync: Application volcano has automated prune on');
    expect(risksOf(result).filter((r) => r.includes('Namespace/ml-eng'))).toEqual([
      expect.stringMatching(/^low Namespace\/ml-eng: left running \(orphaned\): Prune=false/),
    ]);
  });

  it('fails when Prune=confirm, app-level Prune=false, a manual policy or automated.enabled: false are not honoured', async () => {
    const app = childApp('dev', 'ml', true);
    const cases: [App, Record<string, string> | undefined, string][] = [
      [
        app,
        { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true, Prune=confirm' },
        'medium ConfigMap/c: deleted after confirmation: Application ml prunes it on sync once the pruning is confirmed (Prune=confirm)',
      ],
      [
        withPolicy(app, { automated: { prune: true }, syncOptions: ['Prune=false'] }),
        undefined,
        "medium ConfigMap/c: left running (orphaned): Prune=false (Application ml's syncOptions): Argo CD never prunes it and shows it as requiring pruning; delete it by hand with `kubectl delete configmap c -n ml`, or keep it",
      ],
      // The object's own annotation wins over the Application's syncOptions (gitops-engine isPruningDisabled).
      [
        withPolicy(app, { automated: { prune: true }, syncOptions: ['Prune=false'] }),
        { 'argocd.argoproj.io/sync-options': 'Prune=true' },
        'high ConfigMap/c: deleted from the cluster on sync: Application ml has automated prune on',
      ],
      [
        withPolicy(app, {}),
        undefined,
        'medium ConfigMap/c: left running (orphaned): Application ml syncs manually and a sync prunes only when asked, so it stays (OutOfSync, requires pruning); delete it by hand with `kubectl delete configmap c -n ml` or `argocd app sync ml --prune`, or keep it',
      ],
      [
        withPolicy(app, { automated: { enabled: false, prune: true } }),
        undefined,
        expect.stringContaining('medium ConfigMap/c: left running (orphaned): Application ml syncs manually'),
      ],
    ];
    for (const [owner, annotations, risk] of cases) {
      const tree = (withCm: boolean): Tree => ({
        'dist/dev/apps/Application.ml.yaml': owner,
        ...(withCm ? { 'dist/dev/ml/ConfigMap.c.yaml': cm('c', annotations) } : {}),
      });
      expect(risksOf(await diffOf(tree(true), tree(false)))).toEqual([risk]);
    }
  });

  it('fails when an Application deletion is not decided by its finalizer, Delete=false, helm keep and its parent prune', async () => {
    const base = (app: App, root: boolean): Tree => ({
      'dist/dev/root/Application.root.yaml': rootApp('dev', root),
      'dist/dev/apps/Application.ml.yaml': app,
      'dist/dev/ml/ConfigMap.plain.yaml': cm('plain'),
      'dist/dev/ml/ConfigMap.kept.yaml': cm('kept', { 'argocd.argoproj.io/sync-options': 'Delete=false' }),
      'dist/dev/ml/ConfigMap.helm.yaml': cm('helm', { 'helm.sh/resource-policy': 'keep' }),
    });
    const head = (root: boolean): Tree => ({ 'dist/dev/root/Application.root.yaml': rootApp('dev', root) });
    const fates = async (app: App, root: boolean) =>
      Object.fromEntries((await diffOf(base(app, root), head(root))).changes.map((c) => [c.name, `${c.fate?.action}: ${c.fate?.reason}`]));

    expect(await fates(childApp('dev', 'ml', true), true)).toEqual({
      ml: 'deleted: Application root has automated prune on',
      plain: 'deleted: deleted with its Application ml (resources finalizer; Application root has automated prune on)',
      kept: 'orphaned: Delete=false keeps it when its Application ml is deleted',
      helm: 'orphaned: helm.sh/resource-policy: keep spares it when its Application is deleted',
    });
    const noFinalizer = withPolicy(childApp('dev', 'ml', true), { automated: { prune: true } }, []);
    expect((await fates(noFinalizer, true)).plain).toBe(
      'orphaned: its Application ml is deleted without the resources finalizer, which leaves its resources running',
    );
    // Root without prune (prod): the removed Application stays, and so does everything it deployed.
    expect((await fates(childApp('dev', 'ml', true), false)).plain).toMatch(
      /^orphaned: its Application ml is removed but stays in the cluster \(Application root syncs automatically without prune/,
    );
  });
});
