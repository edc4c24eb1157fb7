/**
 * Render: every Helm release Argo CD will apply, rendered offline with the real helm, the way Argo CD's
 * repo-server renders it. Public API (validate and diff import it; keep it stable):
 *
 *   const { releases, helm, timingsMs } = await renderReleases({ cwd, clusters: ['dev'], determinism: true });
 *   for (const r of releases) r.objects   // what Argo CD applies for Application r.application of r.cluster
 *
 * Inputs are what Argo CD sees: the Helm-source Applications in `<distDir>/<cluster>/apps/` (repoURL, chart,
 * targetRevision, helm.releaseName, helm.valuesObject/values, destination.namespace) and the cluster's
 * Kubernetes version (ClusterConfig.kubernetesVersion, read from clusters/ under cwd unless given).
 * Charts come from EKSAI_CHART_MIRROR (`<dir>/<chart>-<version>/`) or `helm pull` into the chart cache, and
 * are checked against charts/charts.lock.json. Renders are cached on disk by (chart digest, release name,
 * namespace, values, Kubernetes version, API versions when the chart reads them, helm version), so clusters
 * with identical values share one render and an unchanged release is never rendered twice.
 * Errors: EnvironmentError (no helm, chart unavailable, digest mismatch, helm failed) → exit 2;
 * ConfigError (dist missing, unsupported Application source) → exit 1.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRegistry } from '../../lib/config/load';
import { loadClusters } from '../../charts/checks';
import { ConfigError } from '../../lib/errors';
import { readHelmApplications, type HelmApplication } from './apps';
import { addClusterScopedCrd, builtinApis, crdApiVersions, distClusterScopedCrds, distCrdApiVersions } from './api-versions';
import { ChartSource, defaultChartCache, helmEnv, readLock, refOf, type LockEntry, type ResolvedChart } from './charts';
import { resolveHelm, type Helm } from './helm';
import { RenderCache, type CachedRender } from './cache';
import { queriedApiVersions, staticCrdApiVersions, valuesVary, varyingFunction } from './chart-scan';
import { runTemplate, splitManifests } from './template';

export type { Helm, HelmSource } from './helm';
export type { HelmApplication } from './apps';
export type { LockEntry } from './charts';

export interface RenderedRelease {
  readonly cluster: string;
  /** Argo CD Application name. */
  readonly application: string;
  /** The Application's file, relative to cwd (e.g. `dist/dev/apps/Application.cilium.yaml`), for messages. */
  readonly file: string;
  /** Helm release name (spec.source.helm.releaseName, else the Application name). */
  readonly releaseName: string;
  /** Destination namespace (helm --namespace). */
  readonly namespace: string;
  readonly repoURL: string;
  readonly chart: string;
  /** targetRevision (the pinned chart version). */
  readonly version: string;
  /** `sha256:<hex>` of the chart archive (pulled) or of the unpacked tree (mirror), see digestKind. */
  readonly digest: string;
  readonly digestKind: 'archive' | 'tree';
  /** --kube-version passed to helm. */
  readonly kubeVersion: string;
  /** --api-versions passed to helm (shared by the cluster's releases; do not mutate). */
  readonly apiVersions: readonly string[];
  /**
   * Rendered objects: `kind: List` flattened, Helm hooks kept with their annotations, test hooks dropped.
   * Do not mutate: identical objects (across releases, clusters and `second`) are the same JS object, so `===`
   * is a fast first equality check.
   */
  readonly objects: readonly Record<string, unknown>[];
  /**
   * A second, independent helm run of the same inputs (only with `determinism: true`), for determinism checks;
   * `objects` itself when the chart and the values call no function whose result varies between runs
   * (chart-scan.ts varyingFunction), which `varying` then leaves undefined.
   */
  readonly second?: readonly Record<string, unknown>[];
  /** With `determinism: true`: why the release was rendered twice (the first varying function and where), or undefined when once sufficed. */
  readonly varying?: string;
  /** The Application object itself (project, ignoreDifferences, sync waves). */
  readonly manifest: Record<string, unknown>;
}

export interface RenderOptions {
  /** Repository root: dist, clusters/ and charts/charts.lock.json are read relative to it. */
  readonly cwd: string;
  /** Only these clusters (default: every cluster folder of dist with an apps/ folder). */
  readonly clusters?: readonly string[];
  /** @default 'dist' (relative to cwd) */
  readonly distDir?: string;
  /**
   * Render each release twice (independent helm runs) and return the second in `second`, except releases whose
   * chart templates and values call no varying function (time, randomness, map order): their one render is
   * their `second`. @default false
   */
  readonly determinism?: boolean;
  /** @default process.env.EKSAI_CHART_MIRROR (relative paths resolve against cwd) */
  readonly chartMirror?: string;
  /** @default process.env.EKSAI_CHART_CACHE ?? ~/.cache/eksai/charts */
  readonly cacheDir?: string;
  /** @default process.env.EKSAI_HELM, else helm on PATH, else the bundled helm (linux-x64) */
  readonly helm?: string;
  /** Kubernetes version by cluster; default: ClusterConfig.kubernetesVersion of clusters/ under cwd. */
  readonly kubeVersions?: Readonly<Record<string, string>>;
  /** Accept charts whose digest is missing from or differs from the lock, and return the new lock entries (`--update-lock`). */
  readonly updateLock?: boolean;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface RenderResult {
  readonly releases: RenderedRelease[];
  readonly helm: Helm;
  readonly timingsMs: Record<string, number>;
  /** How many helm template runs happened (0 when everything came from the render cache). */
  readonly helmRuns: number;
  /** `group/Kind` (core: `/Kind`) of every cluster-scoped kind: the built-ins plus CRDs of scope Cluster in dist or the renders. */
  readonly clusterScoped: ReadonlySet<string>;
  /** With updateLock: the lock entries to write (pipeline/render/charts.ts writeLock). */
  readonly lock?: LockEntry[];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A bounded pool: at most `limit` tasks run at once. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolvePromise, reject) => {
      const run = () => {
        active++;
        task()
          .then(resolvePromise, reject)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < limit) run();
      else queue.push(run);
    });
}

/**
 * The --kube-version Argo CD passes: k8s ParseGeneric(<server GitVersion>).String(), i.e. MAJOR.MINOR.PATCH
 * without `v` or build suffix (argo-cd reposerver parseKubeVersion). Config holds MAJOR.MINOR; the patch of a
 * live cluster is unknown offline, so .0 stands for it.
 */
export function argoKubeVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return m ? `${m[1]}.${m[2]}.${m[3] ?? 0}` : version;
}

function kubeVersionsFromConfig(cwd: string, clusters: readonly string[]): Record<string, string> {
  const sources = readRegistry(cwd).filter((s) => clusters.includes(s.name));
  const missing = clusters.filter((c) => !sources.some((s) => s.name === c));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((c) => ({
        file: 'clusters/index.ts',
        path: 'clusters',
        message: `has no cluster ${c}, but dist/${c}/ exists`,
        fix: `register clusters/${c}.ts or remove dist/${c}/ (eksai synth removes folders of removed clusters)`,
      })),
    );
  }
  return Object.fromEntries(loadClusters(sources, cwd).configs.map((c) => [c.name, c.kubernetesVersion]));
}

/** Renders every Helm release of the selected clusters. */
export async function renderReleases(options: RenderOptions): Promise<RenderResult> {
  const t0 = performance.now();
  const timingsMs: Record<string, number> = {};
  const lap = (name: string, since: number) => (timingsMs[name] = Math.round(performance.now() - since));
  const log = options.log ?? (() => {});
  const cwd = options.cwd;
  const cacheDir = resolve(cwd, options.cacheDir ?? defaultChartCache());
  const mirrorOption = options.chartMirror ?? process.env.EKSAI_CHART_MIRROR;
  const mirror = mirrorOption ? resolve(cwd, mirrorOption) : undefined;
  const distDir = options.distDir ?? 'dist';

  let t = performance.now();
  const helm = resolveHelm({ helm: options.helm, cacheDir });
  const env = helmEnv(cacheDir);
  lap('helm', t);

  t = performance.now();
  const apps = readHelmApplications(cwd, distDir, options.clusters);
  const clusterNames = [...new Set(apps.map((a) => a.cluster))];
  const kubeVersions = options.kubeVersions ?? kubeVersionsFromConfig(cwd, clusterNames);
  const builtin = await builtinApis(cacheDir, cwd);
  const builtins = builtin.apiVersions;
  lap('inputs', t);

  t = performance.now();
  const source = new ChartSource({ cacheDir, mirror, helm: helm.path, lock: readLock(cwd), updateLock: options.updateLock });
  const charts = new Map<HelmApplication, ResolvedChart>();
  await Promise.all(apps.map(async (a) => charts.set(a, await source.resolve(refOf(a)))));
  lap('charts', t);

  t = performance.now();
  const cache = new RenderCache(join(cacheDir, '.renders'));
  const tmpRoot = join(tmpdir(), 'eksai-render');
  mkdirSync(tmpRoot, { recursive: true });
  const pool = limiter(Math.max(1, availableParallelism()));
  const inflight = new Map<string, Promise<CachedRender>>();
  let helmRuns = 0;

  /** Everything a render depends on except the cluster's API versions. */
  const releaseInputs = (app: HelmApplication) => ({
    v: 1,
    helm: helm.version,
    digest: charts.get(app)!.digest,
    release: app.releaseName,
    namespace: app.namespace,
    kubeVersion: argoKubeVersion(app.kubeVersion ?? kubeVersions[app.cluster]!),
    values: app.values,
    determinism: options.determinism === true,
    apiVersionsOverride: app.apiVersions ?? null,
  });

  const queried = (chart: ResolvedChart, apiVersions: readonly string[]) => {
    const q = queriedApiVersions(chart);
    return q === 'all' ? apiVersions : apiVersions.filter((v) => q.has(v));
  };

  /** Why a release must be rendered twice for the determinism check, or undefined when one render is the same as two (once per app). */
  const varying = new Map<HelmApplication, string | undefined>();
  const varyingOf = (app: HelmApplication): string | undefined => {
    if (varying.has(app)) return varying.get(app);
    const found = varyingFunction(charts.get(app)!);
    const why = found
      ? `chart ${app.chart} ${app.version} calls ${found.fn} (${found.file})`
      : valuesVary(app.values)
        ? `the values of Application ${app.application} hold a template action with a varying function`
        : undefined;
    varying.set(app, why);
    return why;
  };

  const render = (app: HelmApplication, clusterApiVersions: readonly string[]): Promise<CachedRender> => {
    const apiVersions = app.apiVersions ?? clusterApiVersions;
    const chart = charts.get(app)!;
    const kubeVersion = argoKubeVersion(app.kubeVersion ?? kubeVersions[app.cluster]!);
    const key = sha(
      JSON.stringify({
        ...releaseInputs(app),
        apiVersions: queried(chart, apiVersions),
      }),
    );
    let p = inflight.get(key);
    if (p) return p;
    p = (async () => {
      const cached = cache.get(key);
      if (cached) return cached;
      const label = `${app.cluster}/${app.application} (${app.file})`;
      const input = { chartDir: chart.dir, releaseName: app.releaseName, namespace: app.namespace, kubeVersion, values: app.values, apiVersions, label };
      const twice = options.determinism === true && varyingOf(app) !== undefined;
      const runs = await Promise.all(Array.from({ length: twice ? 2 : 1 }, () => pool(() => runTemplate(helm.path, env, input, tmpRoot))));
      helmRuns += runs.length;
      const objects = splitManifests(runs[0]!, label);
      const second = runs[1] !== undefined ? splitManifests(runs[1], label) : options.determinism ? objects : undefined;
      return cache.put(key, { objects, ...(second ? { second } : {}) });
    })();
    inflight.set(key, p);
    return p;
  };

  const releases: RenderedRelease[] = [];
  let done = 0;
  await Promise.all(
    clusterNames.map(async (cluster) => {
      const own = apps.filter((a) => a.cluster === cluster);
      // Fixpoint: the API versions the cluster serves include the CRDs its releases render, and a chart that
      // reads .Capabilities.APIVersions may render differently once they are served (Argo CD's steady state).
      const seed = [...new Set([...builtins, ...distCrdApiVersions(join(cwd, distDir, cluster))])].sort();
      const settle = async (start: readonly string[]) => {
        let apiVersions = start;
        let rendered: CachedRender[] = [];
        for (let round = 0; round < 5; round++) {
          rendered = await Promise.all(own.map((a) => render(a, apiVersions)));
          const next = [...new Set([...apiVersions, ...rendered.flatMap((r) => r.objects.flatMap(crdApiVersions))])].sort();
          if (next.length === apiVersions.length) break;
          apiVersions = next;
        }
        return { apiVersions, rendered };
      };
      // Start from the settled set of an earlier run, else guess it with the charts' static crds/ folders
      // (saves a round for charts that ask for their own CRDs, like kube-prometheus-stack). The result must
      // be exactly the seed plus the CRDs rendered; a guess from a disabled subchart's crds/ adds more, so then
      // settle again from what was rendered, and as a last resort from the seed alone.
      const fixKey = sha(JSON.stringify([seed, own.map(releaseInputs)]));
      const settled = cache.getFixpoint(fixKey);
      const guess = settled ?? [...new Set([...seed, ...own.flatMap((a) => staticCrdApiVersions(charts.get(a)!))])].sort();
      const served = (r: CachedRender[]) => [...new Set([...seed, ...r.flatMap((x) => x.objects.flatMap(crdApiVersions))])].sort();
      let { apiVersions, rendered } = await settle(guess);
      if (served(rendered).length !== apiVersions.length) ({ apiVersions, rendered } = await settle(served(rendered)));
      if (served(rendered).length !== apiVersions.length) ({ apiVersions, rendered } = await settle(seed));
      if (settled?.length !== apiVersions.length) cache.putFixpoint(fixKey, apiVersions);
      own.forEach((app, i) => {
        const chart = charts.get(app)!;
        const r = rendered[i]!;
        releases.push({
          cluster,
          application: app.application,
          file: app.file,
          releaseName: app.releaseName,
          namespace: app.namespace,
          repoURL: app.repoURL,
          chart: app.chart,
          version: app.version,
          digest: chart.digest,
          digestKind: chart.digestKind,
          kubeVersion: argoKubeVersion(app.kubeVersion ?? kubeVersions[cluster]!),
          apiVersions: app.apiVersions ?? apiVersions,
          objects: r.objects,
          ...(r.second ? { second: r.second } : {}),
          ...(options.determinism ? { varying: varyingOf(app) } : {}),
          manifest: app.manifest,
        });
      });
      done++;
      log(`rendered ${cluster} (${own.length} releases; ${done}/${clusterNames.length} clusters)`);
    }),
  );
  lap('render', t);
  releases.sort((a, b) => (a.cluster === b.cluster ? (a.application < b.application ? -1 : 1) : a.cluster < b.cluster ? -1 : 1));
  const clusterScoped = new Set(builtin.clusterScoped);
  for (const r of releases) for (const o of r.objects) addClusterScopedCrd(clusterScoped, o);
  for (const c of clusterNames) for (const k of distClusterScopedCrds(join(cwd, distDir, c))) clusterScoped.add(k);
  timingsMs.total = Math.round(performance.now() - t0);
  return {
    releases,
    helm,
    timingsMs,
    helmRuns,
    clusterScoped,
    ...(options.updateLock ? { lock: await source.lockEntries(options.clusters !== undefined) } : {}),
  };
}
