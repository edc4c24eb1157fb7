import { diffValues } from './fields';
import { changedCrdKinds, isRecord, parseRevisions, type ParsedDist, type ParseProblem, type Resource } from './identity';
import type { KindSchemas } from './listkeys';
import { findRisks, type Risk } from './risks';
import { removalFate } from './fates';
import { TERRAFORM_INPUT } from './bootstrap';
import { crdUpgradeRisks } from './upgrade';
import type { ChangeKind, DiffResult, Fate, FieldChange, ResourceChange } from './types';

export type { ChangeKind, DiffCounts, DiffResult, Fate, FieldChange, ResourceChange } from './types';
export { diffValues } from './fields';
export { isSecretKey } from './secrets';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field changes of one resource, lists aligned by its kind's schema keys when `schemas` knows the kind; secrets hidden (secrets.ts). */
export function diffResource(a: Resource | undefined, b: Resource | undefined, schemas?: KindSchemas): FieldChange[] {
  const r = b ?? a;
  const schema = r ? schemas?.get(`${r.apiVersion}|${r.kind}`) : undefined;
  return diffValues(a ? stripNoise(a.body) : undefined, b ? stripNoise(b.body) : undefined, '', { hidden: false, schema });
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

function toChange(kind: ChangeKind, r: Resource, fields: FieldChange[], from?: string, fate?: Fate): ResourceChange {
  const c: ResourceChange = {
    kind,
    cluster: r.cluster,
    component: r.component,
    apiVersion: r.apiVersion,
    resourceKind: r.kind,
    namespace: r.namespace,
    name: r.name,
    file: r.file,
    fields,
  };
  return { ...c, ...(from === undefined ? {} : { from }), ...(fate === undefined ? {} : { fate }) };
}

function clustersOf(resources: ReadonlyMap<string, Resource>): Set<string> {
  return new Set([...resources.values()].map((r) => r.cluster));
}

/** Compares two dist trees (repo-relative path → file text). Pure: no git, no files. */
export function compareDist(
  baseFiles: ReadonlyMap<string, string>,
  headFiles: ReadonlyMap<string, string>,
  labels: { base: string; head: string } = { base: 'base', head: 'head' },
): DiffResult {
  let { base, head } = parseRevisions(baseFiles, headFiles);
  const kinds = changedCrdKinds(base.resources, head.resources);
  if (kinds.length > 0) ({ base, head } = parseRevisions(baseFiles, headFiles, 'dist', kinds));
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
export function compareParsed(
  base: ParsedDist,
  head: ParsedDist,
  labels: { base: string; head: string },
  extra: { risks?: readonly Risk[]; problems?: readonly ParseProblem[]; schemas?: KindSchemas } = {},
): DiffResult {
  const changes: ResourceChange[] = [];
  const removed: Resource[] = [];
  const added: Resource[] = [];
  for (const [key, a] of base.resources) {
    const b = head.resources.get(key);
    if (!b) removed.push(a);
    else if (a === b)
      continue; // same bytes in both revisions: parsed once, shared
    else if (!sameJson(stripNoise(a.body), stripNoise(b.body)) || a.component !== b.component) {
      const fields = diffResource(a, b, extra.schemas);
      if (a.component !== b.component) fields.unshift({ path: '(component)', old: a.component, new: b.component });
      changes.push(toChange('changed', b, fields));
    }
  }
  for (const [key, b] of head.resources) if (!base.resources.has(key)) added.push(b);
  // Renames: same cluster/kind/namespace and identical content apart from metadata.
  const byPrint = new Map<string, Resource[]>();
  for (const r of removed) byPrint.set(renameFingerprint(r), [...(byPrint.get(renameFingerprint(r)) ?? []), r]);
  const renamedFrom = new Set<string>();
  const headClusters = clustersOf(head.resources);
  // A removed cluster is one risk of its own (risks.ts); the objects of a remaining cluster get their Argo CD fate
  // (the Terraform input is no object of the cluster: Argo CD never sees it, bootstrap.ts judges its content).
  const fate = (r: Resource) => (headClusters.has(r.cluster) && r.kind !== TERRAFORM_INPUT.kind ? removalFate(r, base.resources, head.resources) : undefined);
  for (const b of added) {
    const candidates = byPrint.get(renameFingerprint(b));
    const a = candidates?.shift();
    if (a) {
      renamedFrom.add(a.key);
      changes.push(toChange('renamed', b, diffResource(a, b, extra.schemas), a.name, fate(a)));
    } else changes.push(toChange('added', b, []));
  }
  for (const a of removed) if (!renamedFrom.has(a.key)) changes.push(toChange('removed', a, [], undefined, fate(a)));
  changes.sort(compareChanges);
  const count = (k: ChangeKind) => changes.filter((c) => c.kind === k).length;
  const baseClusters = clustersOf(base.resources);
  return {
    base: labels.base,
    head: labels.head,
    counts: { added: count('added'), removed: count('removed'), changed: count('changed'), renamed: count('renamed') },
    risks: findRisks(changes, base.resources, head.resources, [...(extra.risks ?? []), ...crdUpgradeRisks(changes, head.resources)]),
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
