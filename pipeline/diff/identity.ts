import type { ParseProblem } from './types';
import { parseYamlBounded } from './yaml';

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

export type { ParseProblem } from './types';

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

interface ParsedFile {
  readonly resources: readonly Resource[];
  readonly problems: readonly ParseProblem[];
}

/**
 * One dist file's objects, read with diff's bounded YAML reader (yaml.ts: an alias bomb or an oversized
 * file is one problem, not a hang). A `List` (any object whose `items` is a list) stands for its items, as
 * Argo CD's repo-server flattens it (argo-cd v3.5.1 reposerver/repository/repository.go, `obj.IsList()` →
 * `EachListItem`): each item is compared, masked and risk-checked as the object it is.
 */
function parseFile(file: string, text: string, where: { cluster: string; component: string }): ParsedFile {
  const resources: Resource[] = [];
  const problems: ParseProblem[] = [];
  const add = (body: unknown, where_: string) => {
    const meta = isRecord(body) && isRecord(body.metadata) ? body.metadata : undefined;
    if (!isRecord(body) || typeof body.apiVersion !== 'string' || typeof body.kind !== 'string' || !meta || typeof meta.name !== 'string') {
      problems.push({ file, message: `${where_}not a kubernetes object: apiVersion, kind and metadata.name are required` });
      return;
    }
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
    const key = `${where.cluster}:${resourceKey(body.apiVersion, body.kind, namespace, meta.name)}`;
    resources.push({ key, ...where, file, apiVersion: body.apiVersion, kind: body.kind, namespace, name: meta.name, body });
  };
  for (const doc of parseYamlBounded(text)) {
    if (doc.error !== undefined) {
      problems.push({ file, message: `document at line ${doc.line}: ${doc.error}` });
      continue;
    }
    const body = doc.value;
    if (body === null || body === undefined) continue;
    if (isRecord(body) && Array.isArray(body.items)) body.items.forEach((item, i) => add(item, `items[${i}] of ${String(body.kind)}: `));
    else if (!(isRecord(body) && 'items' in body && body.items === null && !('spec' in body))) add(body, '');
  }
  return { resources, problems };
}

export interface ParsedDist {
  readonly resources: Map<string, Resource>;
  readonly problems: ParseProblem[];
}

/** Parses every YAML document of every dist file into keyed resources. Never throws: bad files become problems. */
export function parseResources(
  files: ReadonlyMap<string, string>,
  distDir = 'dist',
  reuse?: (file: string, text: string) => ParsedFile | undefined,
  skip?: (file: string, text: string) => boolean,
): ParsedDist & { readonly parsed: Map<string, ParsedFile> } {
  const resources = new Map<string, Resource>();
  const problems: ParseProblem[] = [];
  const parsed = new Map<string, ParsedFile>();
  for (const [file, text] of files) {
    if (skip?.(file, text)) continue;
    const where = locate(file, distDir);
    if (!where) continue;
    const one = reuse?.(file, text) ?? parseFile(file, text, where);
    parsed.set(file, one);
    for (const r of one.resources) resources.set(r.key, r);
    problems.push(...one.problems);
  }
  return { resources, problems, parsed };
}

/**
 * Files whose objects the risk rules read even when unchanged: the Application that owns a changed
 * resource (prune on?) and the NodePools that use a changed EC2NodeClass (which pools drain?).
 */
const CONTEXT_KINDS = /^[ \t-]*kind:[ \t]*["']?(?:Application|NodePool)["']?[ \t]*$/m;

/**
 * Both revisions of dist. A file with the same bytes at the same path in both holds the same objects in
 * both, so it can add, remove, change or rename nothing: it is not parsed at all, unless it holds kinds the
 * risk rules need as context (then it is parsed once and shared). A fleet diff parses what changed.
 */
export function parseRevisions(
  baseFiles: ReadonlyMap<string, string>,
  headFiles: ReadonlyMap<string, string>,
  distDir = 'dist',
  alsoKinds: readonly string[] = [],
): { base: ParsedDist; head: ParsedDist } {
  const unchanged = (file: string, text: string): boolean => baseFiles.get(file) === text && headFiles.get(file) === text;
  // Objects of kinds whose CRD changed are read too: upgrade.ts checks them against the new CRD.
  const also =
    alsoKinds.length === 0
      ? undefined
      : new RegExp(`^[ \\t-]*kind:[ \\t]*["']?(?:${alsoKinds.map((k) => k.replace(/[^\w]/g, '')).join('|')})["']?[ \\t]*$`, 'm');
  const skip = (file: string, text: string): boolean => unchanged(file, text) && !CONTEXT_KINDS.test(text) && !(also?.test(text) ?? false);
  const base = parseResources(baseFiles, distDir, undefined, skip);
  const head = parseResources(headFiles, distDir, (file, text) => (unchanged(file, text) ? base.parsed.get(file) : undefined), skip);
  return { base, head };
}

/** `spec.names.kind` of every CRD whose body differs between the revisions (their objects need the new CRD's check). */
export function changedCrdKinds(base: ReadonlyMap<string, Resource>, head: ReadonlyMap<string, Resource>): string[] {
  const kinds = new Set<string>();
  for (const [key, r] of head) {
    const before = base.get(key);
    if (r.kind !== 'CustomResourceDefinition' || !before || before === r || JSON.stringify(before.body.spec) === JSON.stringify(r.body.spec)) continue;
    const kind = isRecord(r.body.spec) && isRecord(r.body.spec.names) ? r.body.spec.names.kind : undefined;
    if (typeof kind === 'string') kinds.add(kind);
  }
  return [...kinds].sort();
}
