import { z } from 'zod';
import { parseQuantity, type QuantityKind } from './quantity';
import { teamS3Schema } from './s3';

/**
 * The shape of a cluster file (`clusters/<name>.ts`), checked at run time with zod so that plain JS,
 * `as any` and JSON configs get the same errors as the type checker gives TypeScript configs.
 * Every object is strict: an unknown key is an error (the `blockDevice:` / `disruption.expireAfter`
 * class of silent misconfiguration). Semantic checks live in rules.ts; defaults live in defaults.ts.
 */

/** DNS-1123 label: what cluster, pool, class and team names become in Kubernetes. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-")');

/**
 * Kubernetes quantities by kind, checked by the one parser in quantity.ts: `cpu` takes numbers and
 * strings (`4`, `500m`); `memory`/`storage` need a unit (`256Gi`: a bare 256 is an error that says so).
 * Negative amounts are rejected.
 */
function quantityOf(kind: QuantityKind) {
  const notQuantity = (parseQuantity(null, kind) as { error: string }).error;
  return z.union([z.number(), z.string()], { error: notQuantity }).superRefine((q, ctx) => {
    const p = parseQuantity(q, kind);
    if ('error' in p) ctx.addIssue({ code: 'custom', message: p.error, input: q });
  });
}
const cpuQuantity = quantityOf('cpu');
const memoryQuantity = quantityOf('memory');
const storageQuantity = quantityOf('storage');

/** Go duration as Karpenter accepts it, e.g. `30s`, `10m`, `720h`, `1h30m`. */
const duration = z.string().regex(/^(\d+(s|m|h))+$/, 'must be a duration such as 30s, 10m or 720h');

/** Kubernetes label key (`[prefix/]name`) and value syntax (apimachinery validation.IsQualifiedName / IsValidLabelValue). */
const LABEL_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]';
const labelKey = z
  .string()
  .regex(new RegExp(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${LABEL_NAME}$`), 'must be a Kubernetes label key such as team or example.com/team');
const labelValue = z
  .string()
  .regex(new RegExp(`^(${LABEL_NAME})?$`), 'must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or "." (no spaces or line breaks)');
const labels = z.record(labelKey, labelValue);

/** AWS tag syntax (EC2 CreateTags): keys up to 128, values up to 256 characters of letters, digits, spaces and _ . : / = + - @. */
const AWS_TAG = /^[\p{L}\p{N} _.:/=+\-@]*$/u;
const tags = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .regex(AWS_TAG, 'must be an AWS tag key: letters, digits, spaces and _ . : / = + - @')
    .refine((k) => !k.startsWith('aws:'), 'must not start with aws: (reserved by AWS)'),
  z.string().max(256).regex(AWS_TAG, 'must be an AWS tag value: letters, digits, spaces and _ . : / = + - @'),
);

const taint = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const budget = z.strictObject({
  /** Percentage (`10%`) or count (`2`) of nodes that may be disrupted at once. */
  nodes: z.string().regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, 'must be a percentage such as 10% or a node count such as 2'),
  reasons: z.array(z.enum(['Underutilized', 'Empty', 'Drifted'])).optional(),
  /** Cron schedule (UTC) when the budget applies; needs `duration`. */
  schedule: z.string().optional(),
  duration: z
    .string()
    .regex(/^((\d+h)?(\d+m)?)$/, 'must be hours and minutes such as 8h or 30m')
    .optional(),
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
  tags: tags.optional(),
});

export const nodePoolSchema = z.strictObject({
  name: dnsLabel,
  /** Pool kind; its defaults come from POOL_KINDS in lib/config/defaults.ts. */
  kind: z.enum(['cpu', 'memory', 'gpu']),
  nodeClass: dnsLabel.optional(),
  capacityTypes: z
    .array(z.enum(['spot', 'on-demand', 'reserved']))
    .min(1)
    .optional(),
  instanceCategories: z
    .array(z.string().regex(/^[a-z]+$/, 'must be an instance category such as c, m or r'))
    .min(1)
    .optional(),
  instanceFamilies: z
    .array(z.string().regex(/^[a-z0-9-]+$/, 'must be an instance family such as g5 or m7i'))
    .min(1)
    .optional(),
  /** Instance generations strictly greater than this are allowed. */
  minGenerationExclusive: z.number().int().min(0).optional(),
  arch: z
    .array(z.enum(['amd64', 'arm64']))
    .min(1)
    .optional(),
  limits: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional(), gpu: z.number().int().optional() }),
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
      capability: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional(), gpu: z.number().int().min(0).optional() }).optional(),
      /** Whether other queues may reclaim resources lent to this one. @default true */
      reclaimable: z.boolean().optional(),
    })
    .optional(),
  /** The namespace's ResourceQuota. cpu/memory/gpu default to the queue capability; the rest to the environment defaults. */
  quota: z
    .strictObject({
      requests: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
      limits: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
      /** requests.nvidia.com/gpu (extended resources are quota'd by request only). */
      gpu: z.number().int().min(0).optional(),
      pods: z.number().int().min(1).optional(),
      persistentVolumeClaims: z.number().int().min(0).optional(),
      /** Total PVC storage requested (requests.storage). */
      storage: storageQuantity.optional(),
    })
    .optional(),
  /** LimitRange defaults for containers that set no requests/limits of their own (the quota rejects those otherwise). */
  containerDefaults: z
    .strictObject({
      request: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
      limit: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
    })
    .optional(),
  /**
   * The team's shared EFS volume (needs storage.efs): one ReadWriteMany claim mounted at `mountPath` in
   * its Ray pods (head and workers) and in notebooks whose team choice is this team.
   * @default size '100Gi', mountPath '/mnt/shared' (every team gets one when storage.efs is on)
   */
  sharedStorage: z.strictObject({ size: storageQuantity.optional(), mountPath: z.string().optional() }).optional(),
  /** The team's RayCluster (KubeRay). @default enabled when kuberay is, a CPU worker group on spot, a GPU group when a gpu pool exists */
  ray: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Head pod resources; the head runs no tasks (num-cpus 0), only GCS, dashboard and the autoscaler. */
      head: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional(), pool: dnsLabel.optional() }).optional(),
      /** Replaces the default worker groups. */
      workerGroups: z
        .array(
          z.strictObject({
            name: dnsLabel,
            cpu: cpuQuantity,
            memory: memoryQuantity,
            /** nvidia.com/gpu per worker pod. @default 0 */
            gpus: z.number().int().min(0).optional(),
            /** @default 0 (scale to zero) */
            minReplicas: z.number().int().min(0).optional(),
            maxReplicas: z.number().int().min(0),
            /** Pin the group to one NodePool by name. @default any pool of the group's kind (gpu when gpus > 0, else cpu) */
            pool: dnsLabel.optional(),
            /** @default 'spot' for CPU groups when a candidate pool offers spot; unset (the pool decides) for GPU groups */
            capacityType: z.enum(['spot', 'on-demand']).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /** S3 buckets the team's Ray pods, RayJobs and notebooks may use (EKS Pod Identity; lib/config/s3.ts). @default none: no AWS identity */
  s3: teamS3Schema.optional(),
});

/** A key of a Kubernetes Secret in the jupyterhub namespace: how OAuth client ids and secrets are given (never the values). */
const secretRef = z.strictObject(
  {
    /** Secret metadata.name (DNS subdomain). */
    secretName: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes Secret name'),
    /** Key inside the Secret's data. */
    key: z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret data key'),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a Secret reference { secretName, key } (never the value itself)' : undefined) },
);

const userNames = z.array(z.string().min(1));
const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+(\/\S*)?$/, 'must be an https URL');

/** Who may log in to JupyterHub. `dummy` (any name, no password) is for dev clusters only. */
export const jupyterhubAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('dummy'), adminUsers: userNames.optional() }),
  z.strictObject({
    kind: z.literal('github'),
    clientId: secretRef,
    clientSecret: secretRef,
    allowedUsers: userNames.optional(),
    /** GitHub organizations whose members may log in (requests the read:org scope). */
    allowedOrganizations: userNames.optional(),
    adminUsers: userNames.optional(),
  }),
  z.strictObject({
    kind: z.literal('generic-oauth'),
    clientId: secretRef,
    clientSecret: secretRef,
    authorizeUrl: httpsUrl,
    tokenUrl: httpsUrl,
    userdataUrl: httpsUrl,
    /** Userinfo claim that becomes the JupyterHub user name. @default 'preferred_username' */
    usernameClaim: z.string().min(1).optional(),
    /** Userinfo claim holding the user's groups (for allowedGroups). @default 'groups' */
    groupsClaim: z.string().min(1).optional(),
    /** @default ['openid', 'profile', 'email'] */
    scopes: z.array(z.string().min(1)).optional(),
    allowedUsers: userNames.optional(),
    allowedGroups: userNames.optional(),
    adminUsers: userNames.optional(),
  }),
  z.strictObject({
    kind: z.literal('cognito'),
    /** Cognito user pool domain, e.g. `ml-platform.auth.us-west-2.amazoncognito.com` or a custom domain. */
    domain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a hostname such as my-pool.auth.us-west-2.amazoncognito.com'),
    clientId: secretRef,
    clientSecret: secretRef,
    allowedUsers: userNames.optional(),
    /** Cognito groups (the ID token's cognito:groups claim) whose members may log in. */
    allowedGroups: userNames.optional(),
    adminUsers: userNames.optional(),
  }),
]);

/** JupyterHub (zero-to-jupyterhub): notebooks per team with RAY_ADDRESS set to the team's Ray head. */
export const jupyterhubSchema = z.strictObject({
  /** @default true when the cluster has teams */
  enabled: z.boolean().optional(),
  /** @default dev: { kind: 'dummy' }; required elsewhere */
  auth: jupyterhubAuthSchema.optional(),
  /** Stop a notebook server after this long without activity. @default dev 1h, staging 2h, prod 4h */
  idleTimeout: z
    .string()
    .regex(/^(\d+(s|m|h))+$/, 'must be a duration such as 30m, 1h or 4h')
    .optional(),
  /** Home volume per user (gp3). @default dev 10Gi, staging 20Gi, prod 50Gi */
  storage: z
    .string()
    .regex(/^\d+(Mi|Gi|Ti)$/, 'must be a size such as 10Gi')
    .optional(),
  /** Notebook image of the CPU profiles, `name:tag` (z2jh joins name and tag). @default the eksai notebook image in the GitOps repo's GHCR, `ghcr.io/<owner>/eksai-notebook:<ray>-py311` (defaultNotebookImages in lib/config/notebook-images.ts) */
  image: z
    .string()
    .regex(/^[^\s@]+:[\w][\w.-]{0,127}$/, 'must be an image with a tag, e.g. quay.io/jupyter/scipy-notebook:2025-12-31')
    .optional(),
  /** Notebook image of the GPU profile. @default its GPU variant, `ghcr.io/<owner>/eksai-notebook:<ray>-py311-gpu` */
  gpuImage: z
    .string()
    .regex(/^[^\s@]+:[\w][\w.-]{0,127}$/, 'must be an image with a tag, e.g. quay.io/jupyter/pytorch-notebook:cuda12-2025-12-31')
    .optional(),
  /** An ALB in front of the hub (AWS Load Balancer Controller; needs loadBalancer.enabled). Without it the hub is ClusterIP only. */
  ingress: z
    .strictObject({
      host: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a hostname such as notebooks.example.com'),
      /** ACM certificate for the host. */
      certificateArn: z.string().regex(/^arn:aws[-a-z]*:acm:[a-z0-9-]+:\d{12}:certificate\/[-a-f0-9]+$/, 'must be an ACM certificate ARN'),
      /** @default 'internal' */
      scheme: z.enum(['internal', 'internet-facing']).optional(),
    })
    .optional(),
});

export const clusterSchema = z.strictObject({
  /** Cluster name; must equal the file name and the EKS cluster name. */
  name: dnsLabel,
  environment: z.enum(['dev', 'staging', 'prod']),
  region: z.string(),
  kubernetesVersion: z
    .string()
    .regex(/^1\.\d+$/, 'must be a Kubernetes minor version such as 1.35')
    .optional(),
  gitops: z.strictObject({
    /** Git repository Argo CD reads dist/ from. */
    repoURL: z.string(),
    /** Branch, tag or commit Argo CD syncs (git check-ref-format: no spaces, `..`, `~^:?*[\\` or control characters). @default 'main' */
    targetRevision: z
      .string()
      .regex(/^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9][-A-Za-z0-9._/]{0,254}$/, 'must be a git branch, tag or commit such as main, release/1.4 or v1.2.0')
      .refine((r) => !r.endsWith('.lock') && !r.endsWith('/') && !r.endsWith('.'), 'must be a git branch, tag or commit such as main, release/1.4 or v1.2.0')
      .optional(),
    /** `auto-prune` (automated, prune + selfHeal), `auto` (automated + selfHeal, no prune) or `manual`. */
    sync: z.enum(['auto-prune', 'auto', 'manual']).optional(),
  }),
  tags: tags.optional(),
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
  /** gp3 is always the default StorageClass; `efs` creates the EFS file system (terraform/bootstrap), a shared EFS class and a shared volume per team (needs the storage/efs-file-system-id fact). @default efs false */
  storage: z.strictObject({ efs: z.boolean().optional() }).optional(),
  /** AWS Load Balancer Controller for Services/Ingresses (ALB/NLB). @default true */
  loadBalancer: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  /** KubeRay operator; `batchScheduler` 'volcano' gang-schedules Ray pods through Volcano queues. @default enabled true, batchScheduler volcano */
  kuberay: z.strictObject({ enabled: z.boolean().optional(), batchScheduler: z.enum(['volcano', 'none']).optional() }).optional(),
  /** Volcano batch scheduler with one Queue per team. @default true */
  volcano: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  /** Prometheus, Alertmanager, Grafana (kube-prometheus-stack) plus monitors, alerts and dashboards for the enabled components. @default enabled, per-environment retention and volume */
  observability: z
    .strictObject({
      enabled: z.boolean().optional(),
      prometheus: z
        .strictObject({
          /** How long Prometheus keeps samples (Prometheus duration). @default dev 3d, staging 7d, prod 15d */
          retention: z
            .string()
            .regex(/^[0-9]+(ms|s|m|h|d|w|y)$/, 'must be a Prometheus duration such as 3d, 12h or 2w')
            .optional(),
          /** Size of Prometheus' gp3 volume in GiB. @default dev 20, staging 50, prod 200 */
          volumeGiB: z.number().int().min(5, 'must be at least 5 GiB (room for the WAL and compaction)').max(16384).optional(),
        })
        .optional(),
      /** Grafana with the platform dashboards. @default true */
      grafana: z.boolean().optional(),
      /** Alertmanager (routes the platform alerts). @default dev false, staging/prod true */
      alertmanager: z.boolean().optional(),
      /**
       * Secret in namespace `monitoring`, created outside Git, whose `alertmanager.yaml` key holds the Alertmanager
       * configuration (receivers, routes). Without it the operator's minimal configuration drops every notification.
       * @default none
       */
      alertmanagerConfigSecret: z.string().regex(DNS_LABEL, 'must be a Secret name (lowercase letters, digits, "-")').optional(),
    })
    .optional(),
  /**
   * Cost view (charts/opencost.ts): OpenCost reading the platform Prometheus, a Grafana cost dashboard, and per team
   * a monthly budget whose projected spend raises an alert at `alertAtPercent` of it. Needs observability.
   * @default enabled false; alertAtPercent 80
   */
  cost: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Monthly budget per team, keyed by team name. */
      budgets: z
        .record(
          dnsLabel,
          z.strictObject({
            /** US dollars per month. */
            monthlyUSD: z.number().positive('must be a positive number of US dollars per month'),
            /** Alert when the projected monthly cost reaches this share of the budget. @default 80 */
            alertAtPercent: z.number().int().min(1, 'must be a percent from 1 to 1000').max(1000, 'must be a percent from 1 to 1000').optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /** JupyterHub with per-team Ray wiring. @default enabled when the cluster has teams */
  jupyterhub: jupyterhubSchema.optional(),
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
export type JupyterHubInput = z.input<typeof jupyterhubSchema>;
export type RayWorkerGroupInput = NonNullable<NonNullable<TeamInput['ray']>['workerGroups']>[number];

/** Identity helper for cluster files: gives editor completion and type errors. */
export function defineCluster(config: ClusterConfigInput): ClusterConfigInput {
  return config;
}
