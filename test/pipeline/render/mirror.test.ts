import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EnvironmentError, ConfigError } from '../../../lib/errors';
import { renderReleases } from '../../../pipeline/render';
import { treeDigest } from '../../../pipeline/render/charts';
import { cleanTemps, tempDir, tempRepo, useSchemaMirror, writeChart } from './helpers';

useSchemaMirror();
afterAll(cleanTemps);

const TEMPLATES = {
  'templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  ns: {{ .Release.Namespace }}\n  kube: {{ .Capabilities.KubeVersion.Version }}\n  hasQueue: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}\n  value: {{ .Values.greeting | quote }}\n',
  'templates/list.yaml':
    'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: a\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: b\n',
  'templates/hook.yaml':
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n',
  'templates/tests/test.yaml':
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke-test\n  annotations:\n    "helm.sh/hook": test\nspec:\n  containers: [{name: t, image: busybox}]\n',
  'templates/random.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  token: {{ randAlphaNum 16 | quote }}\n',
  'crds/widget.yaml':
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object}}\n',
  'values.yaml': 'greeting: hello\n',
};

function fixture() {
  const mirror = tempDir('render-mirror');
  const dir = writeChart(mirror, 'demo', '1.0.0', TEMPLATES);
  const lock = {
    lockfileVersion: 1,
    charts: { 'demo@1.0.0': { repoURL: 'https://charts.example.com', chart: 'demo', version: '1.0.0', treeDigest: treeDigest(dir) } },
  };
  const cwd = tempRepo(
    { c1: [{ name: 'demo', repoURL: 'https://charts.example.com', chart: 'demo', version: '1.0.0', namespace: 'apps', values: { greeting: 'hi' } }] },
    lock,
  );
  return { mirror, dir, cwd, cacheDir: tempDir('render-cache') };
}

describe('renderReleases on a fixture chart (offline mirror)', () => {
  test('renders with the release name, namespace, values and kube version; flattens Lists; keeps hooks, drops test hooks', async () => {
    const f = fixture();
    const r = await renderReleases({ cwd: f.cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.34' } });
    const objs = r.releases[0]!.objects;
    expect(objs.map((o) => `${o.kind as string}/${(o.metadata as { name: string }).name}`).sort()).toEqual([
      'ConfigMap/demo-cm',
      'CustomResourceDefinition/widgets.example.com',
      'Job/migrate',
      'Secret/token',
      'ServiceAccount/a',
      'ServiceAccount/b',
    ]);
    // The chart's own CRD is served in the steady state (fixpoint), so Has "example.com/v1/Widget" is true.
    expect(objs.find((o) => o.kind === 'ConfigMap')).toMatchObject({ data: { ns: 'apps', kube: 'v1.34.0', value: 'hi', hasQueue: 'true' } });
    expect(objs.find((o) => o.kind === 'Job')).toMatchObject({ metadata: { annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade' } } });
    expect(r.releases[0]).toMatchObject({ digestKind: 'tree', kubeVersion: '1.34.0', namespace: 'apps' });
    expect(r.clusterScoped.has('example.com/Widget')).toBe(true);
  });

  test('determinism: the second helm run differs where the chart randomizes', async () => {
    const f = fixture();
    const r = await renderReleases({ cwd: f.cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' }, determinism: true });
    const token = (objs: readonly Record<string, unknown>[]) => (objs.find((o) => o.kind === 'Secret') as { stringData: { token: string } }).stringData.token;
    expect(token(r.releases[0]!.second!)).not.toBe(token(r.releases[0]!.objects));
    expect(r.helmRuns).toBeGreaterThanOrEqual(2);
  });

  test("a disabled subchart's crds/ are not served: --api-versions holds only the CRDs really rendered", async () => {
    const mirror = tempDir('render-mirror');
    const dir = writeChart(mirror, 'parent', '1.0.0', {
      'Chart.yaml': 'apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n',
      'values.yaml': 'sub:\n  enabled: false\n',
      'templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  sub: {{ .Capabilities.APIVersions.Has "sub.example.com/v1" | quote }}\n  widget: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}\n',
      'crds/widget.yaml': TEMPLATES['crds/widget.yaml'],
      'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'charts/sub/crds/gadget.yaml': TEMPLATES['crds/widget.yaml']
        .replace(/widget/g, 'gadget')
        .replace(/Widget/g, 'Gadget')
        .replace('example.com', 'sub.example.com')
        .replace('group: example.com', 'group: sub.example.com'),
    });
    const lock = { lockfileVersion: 1, charts: { 'parent@1.0.0': { repoURL: 'https://x', chart: 'parent', version: '1.0.0', treeDigest: treeDigest(dir) } } };
    const cwd = tempRepo({ c1: [{ name: 'parent', repoURL: 'https://x', chart: 'parent', version: '1.0.0' }] }, lock);
    const r = await renderReleases({ cwd, chartMirror: mirror, cacheDir: tempDir('render-cache'), kubeVersions: { c1: '1.35' } });
    expect(r.releases[0]!.objects.find((o) => o.kind === 'ConfigMap')).toMatchObject({ data: { sub: 'false', widget: 'true' } });
    expect(r.releases[0]!.apiVersions).toContain('example.com/v1/Widget');
    expect(r.releases[0]!.apiVersions.some((v) => v.startsWith('sub.example.com'))).toBe(false);
  });

  test('fails when the mirror tree differs from the locked treeDigest, naming both digests', async () => {
    const f = fixture();
    const locked = treeDigest(f.dir);
    writeFileSync(join(f.dir, 'values.yaml'), 'greeting: changed\n');
    const err = await renderReleases({ cwd: f.cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toContain(`has treeDigest ${treeDigest(f.dir)} but charts/charts.lock.json locks demo@1.0.0 at ${locked}`);
    expect((err as Error).message).toContain('eksai render --update-lock');
  });

  test('fails when the lock has no entry for the chart, and --update-lock records it', async () => {
    const f = fixture();
    const cwd = tempRepo({ c1: [{ name: 'demo', repoURL: 'https://charts.example.com', chart: 'demo', version: '1.0.0' }] });
    const err = await renderReleases({ cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' } }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('charts/charts.lock.json has no treeDigest for demo@1.0.0: run `eksai render --update-lock`');
    const r = await renderReleases({ cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' }, updateLock: true });
    expect(r.lock).toEqual([{ repoURL: 'https://charts.example.com', chart: 'demo', version: '1.0.0', treeDigest: treeDigest(f.dir) }]);
  });

  test('fails when the mirror lacks the chart version', async () => {
    const f = fixture();
    const cwd = tempRepo({ c1: [{ name: 'demo', repoURL: 'https://charts.example.com', chart: 'demo', version: '9.9.9' }] });
    await expect(renderReleases({ cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' } })).rejects.toThrow(
      `EKSAI_CHART_MIRROR=${f.mirror}: has no demo-9.9.9/Chart.yaml`,
    );
  });

  test('fails when helm template fails, naming the Application', async () => {
    const f = fixture();
    cpSync(f.dir, join(f.mirror, 'broken-1.0.0'), { recursive: true });
    writeFileSync(join(f.mirror, 'broken-1.0.0', 'Chart.yaml'), 'apiVersion: v2\nname: broken\nversion: 1.0.0\n');
    writeFileSync(join(f.mirror, 'broken-1.0.0', 'templates', 'bad.yaml'), '{{ required "values.image is required" .Values.image }}\n');
    const lock = {
      lockfileVersion: 1,
      charts: { 'broken@1.0.0': { repoURL: 'https://x', chart: 'broken', version: '1.0.0', treeDigest: treeDigest(join(f.mirror, 'broken-1.0.0')) } },
    };
    const cwd = tempRepo({ c1: [{ name: 'broken', repoURL: 'https://x', chart: 'broken', version: '1.0.0' }] }, lock);
    await expect(renderReleases({ cwd, chartMirror: f.mirror, cacheDir: f.cacheDir, kubeVersions: { c1: '1.35' } })).rejects.toThrow(
      /c1\/broken \(dist\/c1\/apps\/Application.broken.yaml\): helm template failed: .*values.image is required/,
    );
  });

  test('fails when the dist does not exist', async () => {
    const cwd = tempDir('render-empty');
    const err = await renderReleases({ cwd, kubeVersions: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('dist does not exist: run `eksai synth` first');
  });
});
