import { z } from 'zod';

/**
 * The shape of a cluster file (`clusters/<name>.ts`), checked at run time with zod so that plain JS,
 * `as any` and JSON configs get the same errors as the type checker gives TypeScript configs.
 * Every object is strict: an unknown key is an error (the `blockDevice:` / `disruption.expireAfter`
 * class of silent misconfiguration). Semantic checks live in rules.ts; defaults live in defaults.ts.
 */

/** DNS-1123 label: what cluster, pool, class and team names become in Kubernetes. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-")');

/** Kubernetes quantity, e.g. `1000`, `500m`, `4000Gi`. */
const quantity = z.union([
  z.number(),
  z.string().regex(/^-?\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity such as 1000, 500m or 4000Gi'),
]);

/** Go duration as Karpenter accepts it, e.g. `30s`, `10m`, `720h`, `1h30m`. */
const duration = z.string().regex(/^(\d+(s|m|h))+$/, 'must be a duration such as 30s, 10m or 720h');

const labels = z.record(z.string(), z.string());

const taint = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const budget = z.strictObject({
  /** Percentage (`10%`) or count (`2`) of nodes that may be disrupted at once. */
  nodes: z.string().regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, 'must be a percentage such as 10% or a node count such as 2'),
  reasons: z.array(z.enum(['Underutilized', 'Empty', 'Drifted'])).optional(),
  /** Cron schedule (UTC) when the budget applies; needs `duration`. */
  schedule: z.string().optional(),
  duration: z.string().regex(/^((\d+h)?(\d+m)?)$/, 'must be hours and minutes such as 8h or 30m').optional(),
});

export const nodeClassSchema = z.strictObject({
  name: dnsLabel,
  /** Pinned AMI alias: `al2023@vYYYYMMDD` or `bottlerocket@vX.Y.Z` (`@latest` is rejected in prod). */
  amiAlias: z.string(),
  /** Root volume size (AL2023 xvda, Bottlerocket xvda OS volume). */
  rootVolumeGiB: z.number().int().positive().max(16384).optional(),
  /** Bottlerocket only: the xvdb data volume that holds images and ephemeral storage. */
  dataVolumeGiB: z.number().int().positive().max(16384).optional(),
  /** Extra EC2 tags for instances, volumes and network interfaces. */
  tags: labels.optional(),
});

export const nodePoolSchema = z.strictObject({
  name: dnsLabel,
  /** Pool kind; its defaults come from POOL_KINDS in lib/config/defaults.ts. */
  kind: z.enum(['cpu', 'memory', 'gpu']),
  nodeClass: dnsLabel.optional(),
  capacityTypes: z.array(z.enum(['spot', 'on-demand', 'reserved'])).min(1).optional(),
  instanceCategories: z.array(z.string().regex(/^[a-z]+$/, 'must be an instance category such as c, m or r')).min(1).optional(),
  instanceFamilies: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must be an instance family such as g5 or m7i')).min(1).optional(),
  /** Instance generations strictly greater than this are allowed. */
  minGenerationExclusive: z.number().int().min(0).optional(),
  arch: z.array(z.enum(['amd64', 'arm64'])).min(1).optional(),
  limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), gpu: z.number().int().optional() }),
  weight: z.number().int().min(0).max(100).optional(),
  consolidationPolicy: z.enum(['WhenEmpty', 'WhenEmptyOrUnderutilized']).optional(),
  consolidateAfter: z.union([duration, z.literal('Never')]).optional(),
  budgets: z.array(budget).optional(),
  expireAfter: z.union([duration, z.literal('Never')]).optional(),
  terminationGracePeriod: duration.optional(),
  labels: labels.optional(),
  taints: z.array(taint).optional(),
});

/** A team of data scientists: namespace, Volcano queue, Ray cluster, notebooks (issue 4 extends it). */
export const teamSchema = z.strictObject({
  name: dnsLabel,
  /** The team's Volcano queue (scheduling.volcano.sh/v1beta1 Queue named after the team). */
  queue: z
    .strictObject({
      /** Share of the cluster relative to other queues. @default 1 */
      weight: z.number().int().min(1).max(65535).optional(),
      /** Most the queue may use at once. */
      capability: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), gpu: z.number().int().min(0).optional() }).optional(),
      /** Whether other queues may reclaim resources lent to this one. @default true */
      reclaimable: z.boolean().optional(),
    })
    .optional(),
});

export const clusterSchema = z.strictObject({
  /** Cluster name; must equal the file name and the EKS cluster name. */
  name: dnsLabel,
  environment: z.enum(['dev', 'staging', 'prod']),
  region: z.string(),
  kubernetesVersion: z.string().regex(/^1\.\d+$/, 'must be a Kubernetes minor version such as 1.35').optional(),
  gitops: z.strictObject({
    /** Git repository Argo CD reads dist/ from. */
    repoURL: z.string(),
    targetRevision: z.string().min(1).optional(),
    /** `auto-prune` (automated, prune + selfHeal), `auto` (automated + selfHeal, no prune) or `manual`. */
    sync: z.enum(['auto-prune', 'auto', 'manual']).optional(),
  }),
  tags: labels.optional(),
  cilium: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** @default dev 1, staging/prod 2 */
      operatorReplicas: z.number().int().min(1).max(5).optional(),
      /** Hubble flow visibility with metrics. @default true */
      hubble: z.boolean().optional(),
    })
    .optional(),
  teams: z.array(teamSchema).optional(),
  /** NVIDIA device plugin and DCGM exporter. @default both on when a gpu pool exists */
  gpu: z.strictObject({ devicePlugin: z.boolean().optional(), dcgmExporter: z.boolean().optional() }).optional(),
  /** gp3 is always the default StorageClass; `efs` adds a shared EFS class (needs the storage/efs-file-system-id fact). @default efs false */
  storage: z.strictObject({ efs: z.boolean().optional() }).optional(),
  /** AWS Load Balancer Controller for Services/Ingresses (ALB/NLB). @default true */
  loadBalancer: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  /** KubeRay operator; `batchScheduler` 'volcano' gang-schedules Ray pods through Volcano queues. @default enabled true, batchScheduler volcano */
  kuberay: z.strictObject({ enabled: z.boolean().optional(), batchScheduler: z.enum(['volcano', 'none']).optional() }).optional(),
  /** Volcano batch scheduler with one Queue per team. @default true */
  volcano: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  /**
   * Smoke tests (charts/smoke.ts), run only by a manual sync of the `smoke` Argo CD app: a CPU Job that makes
   * Karpenter launch a spot node, a GPU Job (nvidia-smi) when a gpu pool exists, and a distributed XGBoost
   * RayJob on a team's RayCluster. `team` picks that team. @default enabled in dev and staging, off in prod; team: the first team
   */
  smoke: z.strictObject({ enabled: z.boolean().optional(), team: dnsLabel.optional() }).optional(),
  karpenter: z.strictObject({
    controller: z.strictObject({ replicas: z.number().int().min(1).max(5).optional() }).optional(),
    nodeClasses: z.array(nodeClassSchema).optional(),
    nodePools: z.array(nodePoolSchema).optional(),
  }),
});

/** What a cluster file exports (plain readonly data). */
export type ClusterConfigInput = z.input<typeof clusterSchema>;
export type NodePoolInput = z.input<typeof nodePoolSchema>;
export type NodeClassInput = z.input<typeof nodeClassSchema>;
export type TeamInput = z.input<typeof teamSchema>;

/** Identity helper for cluster files: gives editor completion and type errors. */
export function defineCluster(config: ClusterConfigInput): ClusterConfigInput {
  return config;
}
