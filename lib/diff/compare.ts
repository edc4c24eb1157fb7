import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { isRecord, parseRevisions, type ParsedDist, type ParseProblem, type Resource } from './identity';
import { findRisks, type Risk } from './risks';

/** One leaf-level change; `hidden` changes never carry values. */
export interface FieldChange {
  /** Dotted path, list items keyed by name/key when they have one: `spec.limits.nvidia.com/gpu`, `requirements[key=x].values[0]`. */
  readonly path: string;
  readonly old?: unknown;
  readonly new?: unknown;
  readonly hidden?: true;
}

export type ChangeKind = 'added' | 'removed' | 'changed' | 'renamed';

export interface ResourceChange {
  readonly kind: ChangeKind;
  readonly cluster: string;
  readonly component: string;
  readonly apiVersion: string;
  readonly resourceKind: string;
  readonly namespace: string;
  readonly name: string;
  /** Previous name for renames. */
  readonly from?: string;
  readonly file: string;
  readonly fields: readonly FieldChange[];
}

export interface DiffCounts {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly renamed: number;
}

export interface DiffResult {
  readonly base: string;
  readonly head: string;
  readonly counts: DiffCounts;
  readonly risks: readonly Risk[];
  /** Sorted by cluster, component, kind, name. */
  readonly changes: readonly ResourceChange[];
  readonly clusters: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly problems: readonly ParseProblem[];
}

const SECRET_KEY = /pass|token|secret|key|credential/i;

/** A map key that names a secret-like value (`password`, `apiKey`, `clientSecret`); a bare `key` is a selector, not a secret. */
export function isSecretKey(segment: string): boolean {
  return segment.toLowerCase() !== 'key' && SECRET_KEY.test(segment);
}

function listItemId(item: unknown): string | undefined {
  if (!isRecord(item)) return undefined;
  for (const k of ['name', 'key', 'deviceName']) if (typeof item[k] === 'string') return `${k}=${item[k]}`;
  return undefined;
}

function joinPath(path: string, seg: string): string {
  return path === '' ? seg : `${path}.${seg}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field-level changes between two values, down to scalar leaves; values under secret-like keys are hidden. */
export function diffValues(a: unknown, b: unknown, path = '', hidden = false, out: FieldChange[] = []): FieldChange[] {
  if (sameJson(a, b)) return out;
  if ((isRecord(a) || a === undefined) && (isRecord(b) || b === undefined) && (a !== undefined || b !== undefined)) {
    const ra = (a ?? {}) as Record<string, unknown>;
    const rb = (b ?? {}) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
    for (const k of keys) {
      const sub = joinPath(path, k);
      // Helm values given as a YAML string: compare them parsed.
      if (k === 'values' && typeof ra[k] === 'string' && typeof rb[k] === 'string' && path.endsWith('helm')) {
        diffValues(safeParse(ra[k]), safeParse(rb[k]), sub, hidden || isSecretKey(k), out);
      } else diffValues(ra[k], rb[k], sub, hidden || isSecretKey(k), out);
    }
    return out;
  }
  if ((Array.isArray(a) || a === undefined) && (Array.isArray(b) || b === undefined)) {
    const la = a ?? [];
    const lb = b ?? [];
    const ids = [...la, ...lb].map(listItemId);
    const keyed = ids.every((id) => id !== undefined) && new Set(la.map(listItemId)).size === la.length && new Set(lb.map(listItemId)).size === lb.length;
    if (keyed) {
      const order = [...new Set(ids as string[])];
      for (const id of order) diffValues(la.find((x) => listItemId(x) === id), lb.find((x) => listItemId(x) === id), `${path}[${id}]`, hidden, out);
    } else if (la.every((x) => !isRecord(x) && !Array.isArray(x)) && lb.every((x) => !isRecord(x) && !Array.isArray(x))) {
      out.push(hidden ? { path, hidden: true } : { path, old: a, new: b });
    } else {
      for (let i = 0; i < Math.max(la.length, lb.length); i++) diffValues(la[i], lb[i], `${path}[${i}]`, hidden, out);
    }
    return out;
  }
  out.push(hidden ? { path, hidden: true } : { path, old: a, new: b });
  return out;
}

function safeParse(text: unknown): unknown {
  try {
    return loadYaml(String(text), { schema: CORE_SCHEMA });
  } catch {
    return text;
  }
}

/** Field changes of one resource; all of a Secret's data/stringData is hidden. */
export function diffResource(a: Resource | undefined, b: Resource | undefined): FieldChange[] {
  const kind = (b ?? a)?.kind;
  const strip = (r: Resource | undefined) => (r ? stripNoise(r.body) : undefined);
  const out: FieldChange[] = [];
  const ra = strip(a) ?? {};
  const rb = strip(b) ?? {};
  for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    diffValues(ra[k], rb[k], k, kind === 'Secret' && (k === 'data' || k === 'stringData'), out);
  }
  return out;
}

function stripNoise(body: Record<string, unknown>): Record<string, unknown> {
  const meta = isRecord(body.metadata) ? { ...body.metadata } : {};
  for (const k of ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields']) delete meta[k];
  return { ...body, metadata: meta };
}

/** What a rename keeps: everything except metadata (spec, data, rules...), plus the kind. */
function renameFingerprint(r: Resource): string {
  const { metadata: _m, ...rest } = r.body;
  return `${r.cluster}\u0000${r.apiVersion}\u0000${r.kind}\u0000${r.namespace}\u0000${JSON.stringify(rest)}`;
}

function toChange(kind: ChangeKind, r: Resource, fields: FieldChange[], from?: string): ResourceChange {
  const c: ResourceChange = { kind, cluster: r.cluster, component: r.component, apiVersion: r.apiVersion, resourceKind: r.kind, namespace: r.namespace, name: r.name, file: r.file, fields };
  return from === undefined ? c : { ...c, from };
}

function clustersOf(resources: ReadonlyMap<string, Resource>): Set<string> {
  return new Set([...resources.values()].map((r) => r.cluster));
}

/** Compares two dist trees (repo-relative path → file text). Pure: no git, no files. */
export function compareDist(baseFiles: ReadonlyMap<string, string>, headFiles: ReadonlyMap<string, string>, labels: { base: string; head: string } = { base: 'base', head: 'head' }): DiffResult {
  const { base, head } = parseRevisions(baseFiles, headFiles);
  return compareParsed(base, head, labels);
}

/** Resources present in both revisions whose bodies differ (what the API server sees as updates). */
export function updatedResources(base: ParsedDist, head: ParsedDist): { before: Resource; after: Resource }[] {
  const out: { before: Resource; after: Resource }[] = [];
  for (const [key, after] of head.resources) {
    const before = base.resources.get(key);
    if (before && before !== after && !sameJson(stripNoise(before.body), stripNoise(after.body))) out.push({ before, after });
  }
  return out;
}

/** compareDist on already parsed revisions; `extra` adds risks and problems found elsewhere (CRD transition rules). */
export function compareParsed(base: ParsedDist, head: ParsedDist, labels: { base: string; head: string }, extra: { risks?: readonly Risk[]; problems?: readonly ParseProblem[] } = {}): DiffResult {
  const changes: ResourceChange[] = [];
  const removed: Resource[] = [];
  const added: Resource[] = [];
  for (const [key, a] of base.resources) {
    const b = head.resources.get(key);
    if (!b) removed.push(a);
    else if (a === b) continue; // same bytes in both revisions: parsed once, shared
    else if (!sameJson(stripNoise(a.body), stripNoise(b.body)) || a.component !== b.component) {
      const fields = diffResource(a, b);
      if (a.component !== b.component) fields.unshift({ path: '(component)', old: a.component, new: b.component });
      changes.push(toChange('changed', b, fields));
    }
  }
  for (const [key, b] of head.resources) if (!base.resources.has(key)) added.push(b);
  // Renames: same cluster/kind/namespace and identical content apart from metadata.
  const byPrint = new Map<string, Resource[]>();
  for (const r of removed) byPrint.set(renameFingerprint(r), [...(byPrint.get(renameFingerprint(r)) ?? []), r]);
  const renamedFrom = new Set<string>();
  for (const b of added) {
    const candidates = byPrint.get(renameFingerprint(b));
    const a = candidates?.shift();
    if (a) {
      renamedFrom.add(a.key);
      changes.push(toChange('renamed', b, diffResource(a, b), a.name));
    } else changes.push(toChange('added', b, []));
  }
  for (const a of removed) if (!renamedFrom.has(a.key)) changes.push(toChange('removed', a, []));
  changes.sort(compareChanges);
  const count = (k: ChangeKind) => changes.filter((c) => c.kind === k).length;
  const baseClusters = clustersOf(base.resources);
  const headClusters = clustersOf(head.resources);
  return {
    base: labels.base,
    head: labels.head,
    counts: { added: count('added'), removed: count('removed'), changed: count('changed'), renamed: count('renamed') },
    risks: findRisks(changes, base.resources, head.resources, extra.risks),
    changes,
    clusters: { added: [...headClusters].filter((c) => !baseClusters.has(c)).sort(), removed: [...baseClusters].filter((c) => !headClusters.has(c)).sort() },
    problems: [...base.problems.map((p) => ({ ...p, file: `${labels.base}:${p.file}` })), ...head.problems, ...(extra.problems ?? [])],
  };
}

function compareChanges(a: ResourceChange, b: ResourceChange): number {
  const ka = [a.cluster, a.component, a.resourceKind, a.namespace, a.name].join('\u0000');
  const kb = [b.cluster, b.component, b.resourceKind, b.namespace, b.name].join('\u0000');
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function hasChanges(d: DiffResult): boolean {
  return d.changes.length > 0;
}
