/** The data diff returns (no logic here, so that every part of pipeline/diff can depend on it one way). */

export interface ParseProblem {
  readonly file: string;
  readonly message: string;
}

export type RiskLevel = 'high' | 'medium' | 'low';

export interface Risk {
  readonly level: RiskLevel;
  readonly cluster: string;
  readonly component: string;
  /** `Kind/name` the risk is about. */
  readonly resource: string;
  readonly message: string;
}

/** One leaf-level change; `hidden` changes never carry values. */
export interface FieldChange {
  /**
   * Dotted path; list items by identity (`containers[name=app]`, `ports[containerPort=80,protocol=TCP]`,
   * `profileList[slug=gpu]`), else by index: `spec.limits.nvidia.com/gpu`, `requirements[key=x].values`.
   */
  readonly path: string;
  readonly old?: unknown;
  readonly new?: unknown;
  readonly hidden?: true;
}

/**
 * What Argo CD does to a removed object (fates.ts): `deleted` on the next sync, deleted once someone
 * `confirm`s, or `orphaned`: left running, with what to do about it.
 */
export interface Fate {
  readonly action: 'deleted' | 'confirm' | 'orphaned';
  readonly reason: string;
  /** For orphaned objects: how to delete it, or that keeping it is a choice. */
  readonly fix?: string;
  /** Orphaned by the object's own choice (its Prune=false / Delete=false annotation, helm.sh/resource-policy: keep, a CRD). */
  readonly intended?: true;
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
  /** Removed objects, and the old name of renamed ones: what Argo CD does to the object that leaves dist. */
  readonly fate?: Fate;
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
