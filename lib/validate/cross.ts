import { dirname } from 'node:path';
import type { ValidationProblem } from './index';

type Obj = Record<string, unknown>;

/** A document as the cross-resource checks see it. */
export interface CrossDoc {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly obj: Obj;
}

/** One reference: which kind points at which kind through which field, and the fix. */
interface Reference {
  readonly id: string;
  readonly from: (d: CrossDoc) => boolean;
  readonly to: (d: CrossDoc) => boolean;
  readonly path: string;
  readonly name: (obj: Obj) => string | undefined;
  readonly noun: string;
}

const get = (obj: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Obj)[k] : undefined), obj);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** References checked inside one cluster's dist (documents grouped by dist/<cluster>/). */
const REFERENCES: readonly Reference[] = [
  {
    id: 'nodeclass-exists',
    from: (d) => d.apiVersion.startsWith('karpenter.sh/') && d.kind === 'NodePool',
    to: (d) => d.apiVersion.startsWith('karpenter.k8s.aws/') && d.kind === 'EC2NodeClass',
    path: 'spec.template.spec.nodeClassRef.name',
    name: (o) => str(get(o, ['spec', 'template', 'spec', 'nodeClassRef', 'name'])),
    noun: 'EC2NodeClass',
  },
  {
    id: 'appproject-exists',
    from: (d) => d.apiVersion.startsWith('argoproj.io/') && d.kind === 'Application',
    to: (d) => d.apiVersion.startsWith('argoproj.io/') && d.kind === 'AppProject',
    path: 'spec.project',
    name: (o) => {
      const p = str(get(o, ['spec', 'project']));
      return p === 'default' ? undefined : p; // Argo CD creates "default" itself
    },
    noun: 'AppProject',
  },
];

/** The cluster a dist file belongs to: dist/<cluster>/<component>/<file> → dist/<cluster>. */
const groupOf = (file: string): string => dirname(dirname(file));

/**
 * Cross-resource findings per document index. A reference is only checked when its group holds at least
 * one document of the target kind, so validating a single file never reports a false "missing".
 */
export function crossProblems(docs: readonly CrossDoc[]): Map<number, ValidationProblem[]> {
  const out = new Map<number, ValidationProblem[]>();
  for (const ref of REFERENCES) {
    const targets = new Map<string, Set<string>>();
    for (const d of docs) {
      if (!ref.to(d)) continue;
      const name = str(get(d.obj, ['metadata', 'name']));
      if (name) targets.set(groupOf(d.file), (targets.get(groupOf(d.file)) ?? new Set()).add(name));
    }
    docs.forEach((d, i) => {
      if (!ref.from(d)) return;
      const names = targets.get(groupOf(d.file));
      const wanted = ref.name(d.obj);
      if (!names || !wanted || names.has(wanted)) return;
      const problem = { path: ref.path, message: `${ref.noun} ${JSON.stringify(wanted)} does not exist in ${groupOf(d.file)} (have: ${[...names].sort().join(', ')}): fix the name or add the ${ref.noun}`, rule: `cross/${ref.id}` };
      out.set(i, [...(out.get(i) ?? []), problem]);
    });
  }
  return out;
}
