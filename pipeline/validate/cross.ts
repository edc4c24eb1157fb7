import { basename } from 'node:path';
import { aimsAtGpuNodes, explainNoFit, placement, podPlacement, poolShapeFromManifest, type PodPlacement, type PoolShape } from '../../lib/placement';
import { argoProblems } from './argo';
import type { CrossDoc, ScopeOf, ValidationProblem } from './types';
import { clusterOf } from './owners';
import { projectProblems } from './project';
import { determinismProblem, releaseDifferences } from './determinism';
import { crdProblems } from './crds';
import type { RenderedRelease } from '../render';
import { notebookPods, podTemplates } from './pods';

export type { CrossDoc } from './types';

type Obj = Record<string, unknown>;

/** One reference a document makes: the field, the target's name and (for namespaced targets) namespace. */
interface Ref {
  readonly path: string;
  readonly name: string;
  readonly namespace?: string;
}

/**
 * One kind of reference: which documents point at which kind through which fields, and the noun for the
 * message. Namespaced targets are matched by namespace/name and only checked when the namespace holds at
 * least one document of the target kind (Helm-installed objects are not in dist: a reference into a
 * namespace where dist renders nothing of that kind cannot be judged).
 */
interface Reference {
  readonly id: string;
  readonly to: (d: CrossDoc) => boolean;
  readonly namespaced: boolean;
  readonly refs: (d: CrossDoc) => readonly Ref[];
  readonly noun: string;
}

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const get = (o: unknown, path: readonly string[]): unknown => path.reduce<unknown>((x, k) => obj(x)[k], o);
const is =
  (group: string, kind: string) =>
  (d: CrossDoc): boolean =>
    d.apiVersion.startsWith(group) && d.kind === kind;
const namespaceOf = (d: CrossDoc): string | undefined => str(get(d.obj, ['metadata', 'namespace']));
const one = (path: string, name: unknown, namespace?: string): Ref[] => (str(name) ? [{ path, name: str(name)!, namespace }] : []);

const QUEUE_LABEL = 'volcano.sh/queue-name';

/** References checked inside one cluster's dist (documents grouped by dist/<cluster>/). */
const REFERENCES: readonly Reference[] = [
  {
    id: 'nodeclass-exists',
    to: is('karpenter.k8s.aws/', 'EC2NodeClass'),
    namespaced: false,
    refs: (d) =>
      is('karpenter.sh/', 'NodePool')(d) ? one('spec.template.spec.nodeClassRef.name', get(d.obj, ['spec', 'template', 'spec', 'nodeClassRef', 'name'])) : [],
    noun: 'EC2NodeClass',
  },
  {
    id: 'appproject-exists',
    to: is('argoproj.io/', 'AppProject'),
    namespaced: false,
    // Argo CD creates the "default" project itself.
    refs: (d) =>
      is('argoproj.io/', 'Application')(d) && get(d.obj, ['spec', 'project']) !== 'default' ? one('spec.project', get(d.obj, ['spec', 'project'])) : [],
    noun: 'AppProject',
  },
  {
    id: 'queue-exists',
    to: is('scheduling.volcano.sh/', 'Queue'),
    namespaced: false,
    refs: (d) => {
      const out = one(`metadata.labels[${JSON.stringify(QUEUE_LABEL)}]`, get(d.obj, ['metadata', 'labels', QUEUE_LABEL]));
      if (is('scheduling.volcano.sh/', 'PodGroup')(d) || is('batch.volcano.sh/', 'Job')(d)) out.push(...one('spec.queue', get(d.obj, ['spec', 'queue'])));
      for (const t of podTemplates(d.apiVersion, d.kind, d.obj)) {
        const label = str(t.labels[QUEUE_LABEL]);
        if (label) out.push({ path: `${t.path.replace(/\.spec$/, '')}.metadata.labels[${JSON.stringify(QUEUE_LABEL)}]`, name: label });
      }
      return out;
    },
    noun: 'Volcano Queue',
  },
  {
    id: 'serviceaccount-exists',
    to: is('v1', 'ServiceAccount'),
    namespaced: true,
    // Every namespace has "default".
    refs: (d) =>
      podTemplates(d.apiVersion, d.kind, d.obj).flatMap((t) =>
        t.spec.serviceAccountName === 'default' ? [] : one(`${t.path}.serviceAccountName`, t.spec.serviceAccountName, namespaceOf(d)),
      ),
    noun: 'ServiceAccount',
  },
  {
    id: 'configmap-exists',
    to: is('v1', 'ConfigMap'),
    namespaced: true,
    refs: (d) =>
      podTemplates(d.apiVersion, d.kind, d.obj).flatMap((t) =>
        arr(t.spec.volumes).flatMap((v, i) => {
          const cm = obj(obj(v).configMap);
          return cm.optional === true ? [] : one(`${t.path}.volumes[${i}].configMap.name`, cm.name, namespaceOf(d));
        }),
      ),
    noun: 'ConfigMap',
  },
  {
    id: 'storageclass-exists',
    to: is('storage.k8s.io/', 'StorageClass'),
    namespaced: false,
    refs: (d) => {
      if (is('v1', 'PersistentVolumeClaim')(d)) return one('spec.storageClassName', get(d.obj, ['spec', 'storageClassName']));
      if (is('apps/', 'StatefulSet')(d)) {
        return arr(get(d.obj, ['spec', 'volumeClaimTemplates'])).flatMap((t, i) =>
          one(`spec.volumeClaimTemplates[${i}].spec.storageClassName`, get(t, ['spec', 'storageClassName'])),
        );
      }
      return [];
    },
    noun: 'StorageClass',
  },
];

type Findings = Map<number, ValidationProblem[]>;

function add(out: Findings, i: number, problem: ValidationProblem): void {
  out.set(i, [...(out.get(i) ?? []), problem]);
}

function referenceProblems(docs: readonly CrossDoc[], out: Findings): void {
  for (const ref of REFERENCES) {
    // targets per cluster; for namespaced kinds keyed by namespace
    const targets = new Map<string, Map<string, Set<string>>>();
    for (const d of docs) {
      if (!ref.to(d)) continue;
      const name = str(get(d.obj, ['metadata', 'name']));
      if (!name) continue;
      const byNs = targets.get(clusterOf(d)) ?? new Map<string, Set<string>>();
      const ns = ref.namespaced ? (namespaceOf(d) ?? '') : '';
      byNs.set(ns, (byNs.get(ns) ?? new Set()).add(name));
      targets.set(clusterOf(d), byNs);
    }
    docs.forEach((d, i) => {
      const byNs = targets.get(clusterOf(d));
      if (!byNs) return;
      for (const r of ref.refs(d)) {
        if (ref.namespaced && r.namespace === undefined) continue; // namespace set at sync time: cannot judge
        const names = byNs.get(ref.namespaced ? r.namespace! : '');
        if (!names || names.has(r.name)) continue;
        const where = ref.namespaced ? `namespace ${r.namespace} of ${clusterOf(d)}` : clusterOf(d);
        add(out, i, {
          path: r.path,
          message: `${ref.noun} ${JSON.stringify(r.name)} does not exist in ${where} (have: ${[...names].sort().join(', ')}): fix the name or add the ${ref.noun}`,
          rule: `cross/${ref.id}`,
        });
      }
    });
  }
}

/**
 * Node labels a DaemonSet selects to run only where a feature was switched on, so fitting no pool is by design:
 * the NVIDIA device plugin's MPS control daemon runs only on nodes labelled for MPS sharing
 * (nvidia-device-plugin 0.17.1 templates/daemonset-mps-control-daemon.yml: "We only deploy this pod if the
 * following sharing label is applied").
 */
const OPT_IN_NODE_LABELS: readonly string[] = ['nvidia.com/mps.capable'];

/** Pods on the managed core node group (CORE_NODE_SELECTOR in charts/karpenter.ts) are not Karpenter's to place. */
const CORE_NODE_GROUP_LABEL = 'eksai.io/node-group';

const CAPACITY = 'karpenter.sh/capacity-type';
const CAPACITY_TYPES = ['spot', 'on-demand', 'reserved'];

/** Capacity types a pod spec accepts: nodeSelector, then required node affinity (terms are ORed). */
function podCapacityTypes(spec: Obj): string[] {
  const selected = str(obj(spec.nodeSelector)[CAPACITY]);
  let allowed = selected ? [selected] : CAPACITY_TYPES;
  const terms = arr(get(spec, ['affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms']));
  if (terms.length > 0) {
    const union = new Set<string>();
    for (const term of terms) {
      let types = CAPACITY_TYPES;
      for (const e of arr(obj(term).matchExpressions).map(obj)) {
        if (e.key !== CAPACITY) continue;
        const values = arr(e.values).filter((v): v is string => typeof v === 'string');
        if (e.operator === 'In') types = types.filter((t) => values.includes(t));
        else if (e.operator === 'NotIn') types = types.filter((t) => !values.includes(t));
        else if (e.operator === 'DoesNotExist') types = [];
      }
      types.forEach((t) => union.add(t));
    }
    allowed = allowed.filter((t) => union.has(t));
  }
  return allowed;
}

/** Capacity types a pool launches; without a capacity-type requirement Karpenter launches on-demand only. */
function poolCapacityTypes(pool: PoolShape): readonly string[] {
  const values = pool.labels[CAPACITY];
  if (!values) return ['on-demand'];
  return 'in' in values ? values.in : CAPACITY_TYPES.filter((t) => !values.notIn.includes(t));
}

function placementProblems(docs: readonly CrossDoc[], out: Findings): void {
  const pools = new Map<string, PoolShape[]>();
  for (const d of docs) {
    if (is('karpenter.sh/', 'NodePool')(d)) pools.set(clusterOf(d), [...(pools.get(clusterOf(d)) ?? []), poolShapeFromManifest(d.obj)]);
  }
  // Every pod must fit some pool; a pod aimed at GPU nodes (lib/placement.ts aimsAtGpuNodes) a GPU pool — DaemonSet
  // pods too (they are not placed by Karpenter, but a GPU DaemonSet that fits no GPU node never runs where needed).
  const check = (i: number, d: CrossDoc, path: string, role: string, pod: PodPlacement, daemon = false): void => {
    const shapes = pools.get(clusterOf(d));
    if (!shapes || CORE_NODE_GROUP_LABEL in pod.nodeSelector) return;
    const gpu = aimsAtGpuNodes(pod);
    if (daemon && (!gpu || Object.keys(pod.nodeSelector).some((k) => OPT_IN_NODE_LABELS.includes(k)))) return;
    const candidates = gpu ? shapes.filter((p) => p.gpu) : shapes;
    const { fits, reasons } = placement(pod, candidates);
    if (fits.length > 0) return;
    if (!gpu) {
      add(out, i, {
        path,
        message: `${role} fits no NodePool of ${clusterOf(d)}: ${explainNoFit(shapes, reasons)}: add the missing toleration or node selector, or a NodePool that offers it`,
        rule: 'cross/pod-fits-a-nodepool',
      });
      return;
    }
    const affinityHint =
      (pod.requiredTerms ?? []).length > 0
        ? ' (a chart default affinity survives `affinity: {}` in Helm values, which merge maps: set affinity: null, or the nodeAffinity you need)'
        : '';
    add(out, i, {
      path,
      message: `${role} is aimed at GPU nodes but fits no GPU NodePool of ${clusterOf(d)}: ${candidates.length === 0 ? 'the cluster has no GPU NodePool' : explainNoFit(candidates, reasons)}: make its node selector, affinity and tolerations match a GPU pool${affinityHint}`,
      rule: 'cross/gpu-pod-fits-a-gpu-nodepool',
    });
  };
  // policy heads-not-on-spot: with the cluster's pools known, a head that fits a spot-capable pool and does not
  // rule spot out is flagged; without pools only a head that asks for spot is.
  const headOnSpot = (i: number, d: CrossDoc, path: string, spec: Obj): void => {
    const accepts = podCapacityTypes(spec);
    if (!accepts.includes('spot')) return;
    const shapes = pools.get(clusterOf(d));
    let spotPools: string[] = [];
    if (shapes) {
      spotPools = placement(podPlacement(spec), shapes).fits.filter((name) => poolCapacityTypes(shapes.find((p) => p.name === name)!).includes('spot'));
      if (spotPools.length === 0) return;
    } else if (accepts.length === CAPACITY_TYPES.length) {
      return;
    }
    add(out, i, {
      path,
      message: `the Ray head can be scheduled on spot capacity${spotPools.length > 0 ? ` (NodePool ${spotPools.join(', ')})` : ''}, and losing it loses the cluster: add nodeSelector karpenter.sh/capacity-type: on-demand (or a node affinity that excludes spot)`,
      rule: 'policy/heads-not-on-spot',
    });
  };
  docs.forEach((d, i) => {
    for (const t of podTemplates(d.apiVersion, d.kind, d.obj)) {
      check(i, d, t.path, t.role, podPlacement(t.spec), t.daemon === true);
      if (t.rayHead) headOnSpot(i, d, t.path, t.spec);
    }
    if (is('argoproj.io/', 'Application')(d)) for (const p of notebookPods(d.obj)) check(i, d, p.path, p.role, p.placement);
  });
}

/**
 * Cross-resource findings per document index, inside each cluster of a dist (dist/<cluster>/…): references
 * (REFERENCES), pod templates vs the cluster's NodePools (lib/placement.ts), and Argo CD Application checks
 * (argo.ts). A check only runs when its targets are among the validated files, so validating a single file
 * never reports a false "missing".
 */
export function crossProblems(docs: readonly CrossDoc[], cwd = process.cwd(), context: CrossContext = {}): Map<number, ValidationProblem[]> {
  const out: Findings = new Map();
  referenceProblems(docs, out);
  placementProblems(docs, out);
  argoProblems(docs, out, cwd);
  if (context.scopeOf) projectProblems(docs, context.scopeOf, out);
  if (context.releases) renderProblems(docs, context.releases, out);
  if (context.releases && context.isBuiltin) crdProblems(docs, context.releases, context.isBuiltin, out);
  return out;
}

/** Per release: fields that differ between its two renders and no ignoreDifferences entry masks (determinism.ts). */
function renderProblems(docs: readonly CrossDoc[], releases: readonly RenderedRelease[], out: Findings): void {
  const at = new Map<string, number>();
  docs.forEach((d, i) => {
    if (d.application !== undefined && d.renderIndex !== undefined) at.set(`${basename(clusterOf(d))}\0${d.application}\0${d.renderIndex}`, i);
  });
  for (const r of releases) {
    for (const [index, pointers] of releaseDifferences(r)) {
      const i = at.get(`${r.cluster}\0${r.application}\0${index}`);
      if (i !== undefined) add(out, i, determinismProblem(r, r.objects[index]!, pointers));
    }
  }
}

/** What the checks over dist ∪ rendered need beyond the documents. */
export interface CrossContext {
  /** Scope of each kind (scopes.ts); without it AppProject admission is not checked. */
  readonly scopeOf?: ScopeOf;
  /** The rendered releases (determinism, CRDs installed before their CRs). */
  readonly releases?: readonly RenderedRelease[];
  /** Whether Kubernetes itself serves a group/kind (CRD check). */
  readonly isBuiltin?: (group: string, kind: string) => boolean;
}
