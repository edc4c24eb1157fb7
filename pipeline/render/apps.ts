/**
 * The Helm releases Argo CD will render, read from what Argo CD sees: the Helm-source Applications in
 * dist/<cluster>/apps/ (a source with `chart`, or an `oci://` repoURL).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ConfigError } from '../../lib/errors';

export interface HelmApplication {
  readonly cluster: string;
  /** Argo CD Application name. */
  readonly application: string;
  /** Path relative to cwd of the Application's file, for messages. */
  readonly file: string;
  readonly repoURL: string;
  /** Chart name: `chart` of a classic repo, the last path segment of an OCI URL. */
  readonly chart: string;
  readonly oci: boolean;
  readonly version: string;
  readonly releaseName: string;
  readonly namespace: string;
  /** The values Argo CD writes to its temp values file (valuesObject wins over values, as in Argo CD). */
  readonly values: string;
  /** spec.source.helm.kubeVersion / apiVersions overrides (Argo CD ≥ 2.13), when set. */
  readonly kubeVersion?: string;
  readonly apiVersions?: readonly string[];
  /** The whole Application, for checks that need more (project, ignoreDifferences, sync waves). */
  readonly manifest: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every Helm-source Application under `<distDir>/<cluster>/apps/`, sorted by cluster then name. */
export function readHelmApplications(cwd: string, distDir: string, clusters?: readonly string[]): HelmApplication[] {
  const root = join(cwd, distDir);
  if (!existsSync(root)) throw new ConfigError([{ file: distDir, path: '', message: 'does not exist', fix: 'run `eksai synth` first' }]);
  const names =
    clusters ??
    readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'apps')))
      .map((d) => d.name)
      .sort();
  const out: HelmApplication[] = [];
  for (const cluster of names) {
    const appsDir = join(root, cluster, 'apps');
    if (!existsSync(appsDir))
      throw new ConfigError([
        {
          file: `${distDir}/${cluster}`,
          path: '',
          message: 'has no apps/ folder (unknown cluster or dist not synthesized)',
          fix: 'check --cluster or run `eksai synth`',
        },
      ]);
    for (const entry of readdirSync(appsDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const file = `${distDir}/${cluster}/apps/${entry}`;
      const text = readFileSync(join(appsDir, entry), 'utf8');
      if (!text.includes('kind: Application')) continue;
      for (const doc of loadAll(text)) {
        out.push(...helmApplications(cluster, file, doc));
      }
    }
  }
  return out;
}

/** One entry per Helm source of the Application (`spec.source`, or each of `spec.sources`). */
function helmApplications(cluster: string, file: string, doc: unknown): HelmApplication[] {
  if (!isObj(doc) || doc.kind !== 'Application' || !isObj(doc.spec) || !isObj(doc.metadata)) return [];
  const sources = Array.isArray(doc.spec.sources) ? doc.spec.sources : [doc.spec.source];
  return sources.flatMap((s) => {
    const app = isObj(s) ? helmApplication(cluster, file, doc as Obj & { spec: Obj; metadata: Obj }, s) : undefined;
    return app ? [app] : [];
  });
}

function helmApplication(cluster: string, file: string, doc: Obj & { spec: Obj; metadata: Obj }, source: Obj): HelmApplication | undefined {
  const spec = doc.spec;
  if (typeof source.repoURL !== 'string') return undefined;
  const oci = source.repoURL.startsWith('oci://');
  if (typeof source.chart !== 'string' && !oci) return undefined;
  const name = String(doc.metadata.name);
  const where = Array.isArray(spec.sources) ? `spec.sources[${spec.sources.indexOf(source)}]` : 'spec.source';
  const problem = (path: string, message: string, value?: unknown) =>
    new ConfigError([{ file, path, message, ...(value === undefined ? {} : { value }), fix: 'fix the generator (apps/) and run `eksai synth`' }]);
  const chart = typeof source.chart === 'string' ? source.chart : source.repoURL.replace(/\/+$/, '').split('/').pop()!;
  if (typeof source.targetRevision !== 'string' || !source.targetRevision)
    throw problem(`${where}.targetRevision`, 'must pin the chart version', source.targetRevision);
  const helm = isObj(source.helm) ? source.helm : {};
  for (const unsupported of ['valueFiles', 'parameters', 'fileParameters'] as const) {
    if (helm[unsupported] !== undefined) throw problem(`${where}.helm.${unsupported}`, 'is not supported by eksai render (use valuesObject)');
  }
  const destination = isObj(spec.destination) ? spec.destination : {};
  const namespace =
    typeof helm.namespace === 'string' && helm.namespace ? helm.namespace : typeof destination.namespace === 'string' ? destination.namespace : '';
  // Argo CD ApplicationSourceHelm.ValuesYAML(): valuesObject when set, else the values string.
  const values = isObj(helm.valuesObject) ? JSON.stringify(helm.valuesObject) : typeof helm.values === 'string' ? helm.values : '';
  return {
    cluster,
    application: name,
    file,
    repoURL: source.repoURL,
    chart,
    oci,
    version: source.targetRevision,
    releaseName: typeof helm.releaseName === 'string' && helm.releaseName ? helm.releaseName : name,
    namespace,
    values,
    ...(typeof helm.kubeVersion === 'string' && helm.kubeVersion ? { kubeVersion: helm.kubeVersion } : {}),
    ...(Array.isArray(helm.apiVersions) && helm.apiVersions.length > 0 ? { apiVersions: helm.apiVersions.map(String) } : {}),
    manifest: doc,
  };
}
