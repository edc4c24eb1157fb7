import { GPU_INSTANCE_FAMILIES } from './config/defaults';
import type { NodePool, Taint } from './config/types';
import { scalarText } from './text';

/**
 * Can a pod land on a NodePool? One model used twice: by config rules (Ray worker groups and notebook
 * profiles vs the cluster's pools, before anything is rendered) and by `eksai validate` (pod templates
 * vs NodePool manifests in dist). It mirrors what Karpenter checks when it picks a pool for a pending
 * pod: node selectors against the pool's labels and requirements, tolerations against its taints, and
 * GPU requests against GPU instance types.
 */

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/** One `matchExpressions` entry of a node selector term. */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[];
}

/** What a pod asks of a node. */
export interface PodPlacement {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** nvidia.com/gpu requested (0 = none). */
  readonly gpus: number;
  /**
   * affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: the node must
   * match one term (terms are ORed), every expression of it (ANDed). Absent or empty = no constraint.
   */
  readonly requiredTerms?: readonly (readonly NodeSelectorRequirement[])[];
}

/** Values a node label can take on a pool's nodes: a fixed set, or anything except a set. */
export type LabelValues = { readonly in: readonly string[] } | { readonly notIn: readonly string[] };

/** What a pool's nodes look like to the scheduler. */
export interface PoolShape {
  readonly name: string;
  readonly labels: Readonly<Record<string, LabelValues>>;
  /** Taints pods must tolerate (startup taints are not listed: they go away). */
  readonly taints: readonly Taint[];
  /** Whether the pool's instance types have NVIDIA GPUs. */
  readonly gpu: boolean;
}

/**
 * Labels Karpenter sets on every node it launches from any pool, with values it picks per instance; a
 * selector on one of them fits unless the pool's requirements rule the value out.
 */
const WELL_KNOWN_LABELS: readonly string[] = [
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'karpenter.sh/capacity-type',
  'karpenter.k8s.aws/instance-family',
  'karpenter.k8s.aws/instance-category',
  'karpenter.k8s.aws/instance-generation',
  'karpenter.k8s.aws/instance-size',
  'karpenter.k8s.aws/instance-cpu',
  'karpenter.k8s.aws/instance-memory',
  'karpenter.k8s.aws/instance-gpu-name',
  'karpenter.k8s.aws/instance-gpu-count',
];

const GPU_CATEGORIES = ['g', 'p'];

/** Does one toleration tolerate a taint (Kubernetes' rules: empty key + Exists tolerates everything)? */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

const taintText = (t: Taint): string => `${t.key}${t.value === undefined ? '' : `=${t.value}`}:${t.effect}`;

/** The values a label can take on a pool's nodes; undefined when its nodes never carry the label. */
function labelValues(pool: PoolShape, key: string): LabelValues | undefined {
  return pool.labels[key] ?? (key === 'karpenter.sh/nodepool' ? { in: [pool.name] } : WELL_KNOWN_LABELS.includes(key) ? { notIn: [] } : undefined);
}

/** Can some node of the pool satisfy one requirement (Kubernetes' NodeSelectorRequirement semantics)? Why not, if not. */
function requirementMismatch(r: NodeSelectorRequirement, pool: PoolShape): string | undefined {
  const values = labelValues(pool, r.key);
  const what = `${r.key} ${r.operator}${r.values.length > 0 ? ` [${r.values.join(', ')}]` : ''}`;
  const noLabel = `${what}: nodes of pool ${pool.name} have no ${r.key} label`;
  const some = (test: (v: string) => boolean): boolean => (values === undefined ? false : 'in' in values ? values.in.some(test) : true);
  const number = (v: string): number => (/^-?\d+$/.test(v) ? Number(v) : NaN);
  switch (r.operator) {
    case 'In':
      if (!values) return noLabel;
      if ('in' in values)
        return values.in.some((v) => r.values.includes(v)) ? undefined : `${what}: pool ${pool.name} has ${r.key} in [${values.in.join(', ')}]`;
      return r.values.some((v) => !values.notIn.includes(v)) ? undefined : `${what}: pool ${pool.name} excludes ${r.values.join(', ')}`;
    case 'NotIn':
      // A node without the label matches NotIn.
      return values && 'in' in values && values.in.every((v) => r.values.includes(v))
        ? `${what}: pool ${pool.name} has ${r.key} in [${values.in.join(', ')}]`
        : undefined;
    case 'Exists':
      return values ? undefined : noLabel;
    case 'DoesNotExist':
      return values && pool.labels[r.key] !== undefined
        ? `${what}: nodes of pool ${pool.name} carry ${r.key}`
        : values
          ? `${what}: every node carries ${r.key}`
          : undefined;
    case 'Gt':
    case 'Lt': {
      const bound = number(r.values[0] ?? '');
      if (!values) return noLabel;
      const ok = some((v) => (r.operator === 'Gt' ? number(v) > bound : number(v) < bound));
      return ok ? undefined : `${what}: pool ${pool.name} has ${r.key} in [${'in' in values ? values.in.join(', ') : ''}]`;
    }
    default:
      return `${what}: unknown operator`;
  }
}

/** Why a pod cannot land on a pool; empty when it can. */
export function mismatches(pod: PodPlacement, pool: PoolShape): string[] {
  const out: string[] = [];
  const terms = pod.requiredTerms ?? [];
  if (terms.length > 0) {
    const why = terms.map((t) => t.map((r) => requirementMismatch(r, pool)).filter((m): m is string => m !== undefined));
    if (why.every((w) => w.length > 0)) {
      out.push(`required node affinity matches no node of pool ${pool.name} (${why.map((w, i) => `term ${i}: ${w.join(', ')}`).join('; ')})`);
    }
  }
  for (const [key, value] of Object.entries(pod.nodeSelector)) {
    const values = labelValues(pool, key);
    if (!values) out.push(`nodeSelector ${key}=${value}: nodes of pool ${pool.name} have no ${key} label`);
    else if ('in' in values && !values.in.includes(value)) out.push(`nodeSelector ${key}=${value}: pool ${pool.name} has ${key} in [${values.in.join(', ')}]`);
    else if ('notIn' in values && values.notIn.includes(value)) out.push(`nodeSelector ${key}=${value}: pool ${pool.name} excludes ${key}=${value}`);
  }
  for (const taint of pool.taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!pod.tolerations.some((t) => tolerates(t, taint))) out.push(`pool ${pool.name} taints its nodes ${taintText(taint)} and the pod does not tolerate it`);
  }
  if (pod.gpus > 0 && !pool.gpu) out.push(`the pod requests nvidia.com/gpu: ${pod.gpus} and pool ${pool.name} has no GPU instance types`);
  return out;
}

/** The pools a pod fits, and for every other pool why not. */
export function placement(pod: PodPlacement, pools: readonly PoolShape[]): { readonly fits: string[]; readonly reasons: Readonly<Record<string, string[]>> } {
  const fits: string[] = [];
  const reasons: Record<string, string[]> = {};
  for (const pool of pools) {
    const why = mismatches(pod, pool);
    if (why.length === 0) fits.push(pool.name);
    else reasons[pool.name] = why;
  }
  return { fits, reasons };
}

/** One line for an error: why a pod fits none of the pools. */
export function explainNoFit(pools: readonly PoolShape[], reasons: Readonly<Record<string, string[]>>): string {
  if (pools.length === 0) return 'the cluster has no NodePools';
  return pools.map((p) => (reasons[p.name] ?? []).join('; ')).join(' | ');
}

const isGpuFamily = (family: string): boolean => GPU_INSTANCE_FAMILIES.includes(family);

/** The shape of a pool from normalised config (what node-pools.ts renders). */
export function poolShape(pool: NodePool): PoolShape {
  const labels: Record<string, LabelValues> = { 'eksai.io/pool': { in: [pool.name] } };
  for (const [k, v] of Object.entries(pool.labels)) labels[k] = { in: [v] };
  labels['karpenter.sh/capacity-type'] = { in: [...pool.capacityTypes] };
  labels['kubernetes.io/arch'] = { in: [...pool.arch] };
  labels['kubernetes.io/os'] = { in: ['linux'] };
  if (pool.instanceFamilies) labels['karpenter.k8s.aws/instance-family'] = { in: [...pool.instanceFamilies] };
  if (pool.instanceCategories) labels['karpenter.k8s.aws/instance-category'] = { in: [...pool.instanceCategories] };
  const gpu = pool.kind === 'gpu' || (pool.instanceFamilies ?? []).some(isGpuFamily) || (pool.instanceCategories ?? []).some((c) => GPU_CATEGORIES.includes(c));
  return { name: pool.name, labels, taints: pool.taints, gpu };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');

/** The shape of a pool from a karpenter.sh/v1 NodePool manifest (any NodePool, not only ours). */
export function poolShapeFromManifest(nodePool: unknown): PoolShape {
  const np = obj(nodePool);
  const template = obj(obj(np.spec).template);
  const labels: Record<string, LabelValues> = {};
  for (const [k, v] of Object.entries(obj(obj(template.metadata).labels))) if (typeof v === 'string') labels[k] = { in: [v] };
  for (const r of arr(obj(template.spec).requirements)) {
    const { key, operator, values } = obj(r);
    if (typeof key !== 'string') continue;
    if (operator === 'In') labels[key] = { in: strings(values) };
    else if (operator === 'NotIn') labels[key] = { notIn: strings(values) };
    else if (operator === 'Exists' || operator === 'Gt' || operator === 'Lt') labels[key] = { notIn: [] };
    else if (operator === 'DoesNotExist') delete labels[key];
  }
  const taints: Taint[] = arr(obj(template.spec).taints).map((t) => {
    const { key, value, effect } = obj(t);
    return { key: String(key), value: typeof value === 'string' ? value : undefined, effect: effect as Taint['effect'] };
  });
  const families = labels['karpenter.k8s.aws/instance-family'];
  const categories = labels['karpenter.k8s.aws/instance-category'];
  const gpuCount = labels['karpenter.k8s.aws/instance-gpu-count'];
  const gpu =
    (families !== undefined && 'in' in families && families.in.some(isGpuFamily)) ||
    (categories !== undefined && 'in' in categories && categories.in.some((c) => GPU_CATEGORIES.includes(c))) ||
    gpuCount !== undefined ||
    Number(obj(obj(np.spec).limits)['nvidia.com/gpu'] ?? 0) > 0;
  return { name: scalarText(obj(np.metadata).name), labels, taints, gpu };
}

/** What a pod spec (or pod template spec) asks of a node. */
export function podPlacement(podSpec: unknown): PodPlacement {
  const spec = obj(podSpec);
  const nodeSelector: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(spec.nodeSelector))) if (typeof v === 'string') nodeSelector[k] = v;
  const tolerations = arr(spec.tolerations).map((t) => obj(t) as Toleration);
  let gpus = 0;
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const res = obj(obj(c).resources);
    const n = Number(obj(res.limits)['nvidia.com/gpu'] ?? obj(res.requests)['nvidia.com/gpu'] ?? 0);
    if (Number.isFinite(n)) gpus += n;
  }
  const terms = arr(obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
  // matchFields (metadata.name) pins a node by name: not a pool property, so it is not judged here.
  const requiredTerms = terms.map((t) =>
    arr(obj(t).matchExpressions).map((e) => ({ key: scalarText(obj(e).key), operator: scalarText(obj(e).operator), values: strings(obj(e).values) })),
  );
  return { nodeSelector, tolerations, gpus, ...(requiredTerms.length > 0 ? { requiredTerms } : {}) };
}

/** Labels only GPU nodes carry (NVIDIA GPU feature discovery, NFD's PCI vendor 10de, Karpenter's GPU labels). */
const GPU_LABEL = /(^|\/)(nvidia\.com\/gpu|pci-10de|instance-gpu)|^nvidia\.com\//;

/**
 * Is a pod aimed at GPU nodes: it requests GPUs, tolerates the nvidia.com/gpu taint by key, or selects a
 * label only GPU nodes carry? Such a pod (a device plugin or DCGM DaemonSet, a GPU Deployment) that fits no
 * GPU pool never runs where it is needed.
 */
export function aimsAtGpuNodes(pod: PodPlacement): boolean {
  return (
    pod.gpus > 0 ||
    pod.tolerations.some((t) => t.key === 'nvidia.com/gpu') ||
    Object.keys(pod.nodeSelector).some((k) => GPU_LABEL.test(k)) ||
    (pod.requiredTerms ?? []).some((t) => t.some((r) => GPU_LABEL.test(r.key)))
  );
}
