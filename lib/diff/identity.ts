import { parseAllDocuments } from 'yaml';

/** One Kubernetes object found in dist/<cluster>/<component>/<file>.yaml. */
export interface Resource {
  /** `apiVersion/kind/namespace/name` (namespace empty for cluster-scoped objects). */
  readonly key: string;
  readonly cluster: string;
  readonly component: string;
  /** Path relative to the repository root, e.g. `dist/prod/node-pools/NodePool.gpu.yaml`. */
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

export interface ParseProblem {
  readonly file: string;
  readonly message: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function resourceKey(apiVersion: string, kind: string, namespace: string, name: string): string {
  return `${apiVersion}/${kind}/${namespace}/${name}`;
}

/** `dist/<cluster>/<component>/...` → cluster and component; undefined for files outside that shape. */
export function locate(file: string, distDir = 'dist'): { cluster: string; component: string } | undefined {
  const parts = file.split('/');
  const base = distDir.split('/').filter(Boolean);
  if (parts.length < base.length + 3 || base.some((b, i) => parts[i] !== b)) return undefined;
  const cluster = parts[base.length];
  const component = parts[base.length + 1];
  return cluster && component ? { cluster, component } : undefined;
}

/** Parses every YAML document of every dist file into keyed resources. Never throws: bad files become problems. */
export function parseResources(files: ReadonlyMap<string, string>, distDir = 'dist'): { resources: Map<string, Resource>; problems: ParseProblem[] } {
  const resources = new Map<string, Resource>();
  const problems: ParseProblem[] = [];
  for (const [file, text] of files) {
    const where = locate(file, distDir);
    if (!where) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        problems.push({ file, message: `invalid yaml: ${doc.errors[0]?.message ?? 'parse error'}` });
        continue;
      }
      const body: unknown = doc.toJSON();
      if (body === null || body === undefined) continue;
      const meta = isRecord(body) && isRecord(body.metadata) ? body.metadata : undefined;
      if (!isRecord(body) || typeof body.apiVersion !== 'string' || typeof body.kind !== 'string' || !meta || typeof meta.name !== 'string') {
        problems.push({ file, message: 'not a kubernetes object: apiVersion, kind and metadata.name are required' });
        continue;
      }
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
      const key = `${where.cluster}:${resourceKey(body.apiVersion, body.kind, namespace, meta.name)}`;
      resources.set(key, { key, ...where, file, apiVersion: body.apiVersion, kind: body.kind, namespace, name: meta.name, body });
    }
  }
  return { resources, problems };
}
