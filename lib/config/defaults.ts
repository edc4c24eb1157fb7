import type { CapacityType, Environment, PoolKind, SyncMode, Taint } from './types';

/**
 * Defaults, one layer per level: platform (every cluster) → environment (dev/staging/prod) →
 * cluster file. Later layers win; arrays replace, objects merge. Each default says why.
 */

export interface LayerDefaults {
  /** @default '1.35' */
  readonly kubernetesVersion?: string;
  readonly gitops?: {
    /** @default 'main' */
    readonly targetRevision?: string;
    /** @default dev/staging 'auto-prune', prod 'auto' (automated + selfHeal, never prune: a deleted file must not delete a prod resource without a human) */
    readonly sync?: SyncMode;
  };
  readonly cilium?: {
    /** @default true (kube-proxy-free Cilium is the platform CNI) */
    readonly enabled?: boolean;
    /** @default dev 1, staging/prod 2 */
    readonly operatorReplicas?: number;
  };
  readonly karpenter?: {
    readonly controller?: {
      /** @default dev 1, staging/prod 2 (leader election; survive a node drain) */
      readonly replicas?: number;
    };
  };
  readonly pools?: {
    /** Disruption budgets for every pool. @default dev 20%, staging/prod 10% */
    readonly budgets?: readonly { readonly nodes: string; readonly reasons?: readonly ('Underutilized' | 'Empty' | 'Drifted')[] }[];
    /** Node lifetime. @default dev 168h, staging 336h, prod 720h (Karpenter's own default) */
    readonly expireAfter?: string;
    /** How long a draining node waits for pods (set with expireAfter: do-not-disrupt pods exist). @default 24h, prod 48h */
    readonly terminationGracePeriod?: string;
  };
  readonly observability?: {
    /** @default true */
    readonly enabled?: boolean;
    readonly prometheus?: {
      /** Sample retention. @default dev 3d (debug last week-end), staging 7d (one release rehearsal), prod 15d (two weeks of incident history and week-over-week comparisons) */
      readonly retention?: string;
      /**
       * gp3 volume (GiB). Sized for ~300k active series at a 30 s scrape (≈1.5 B/sample → ≈1.3 GB/day) times the
       * retention, plus WAL and compaction headroom (≈2x), plus room for high-cardinality Ray/DCGM series.
       * @default dev 20, staging 50, prod 200
       */
      readonly volumeGiB?: number;
    };
    /** @default true */
    readonly grafana?: boolean;
    /** @default true; dev false (nobody is paged for dev, the alerts stay visible in Prometheus) */
    readonly alertmanager?: boolean;
  };
  /** `@latest` AMI aliases: allowed with a warning in dev, rejected where nodes must not drift on their own. @default dev true, else false */
  readonly allowLatestAmi?: boolean;
  /** Team namespaces: quota items not derived from the queue, and LimitRange container defaults. */
  readonly teams?: {
    readonly quota?: {
      /** @default 500, dev 100 */
      readonly pods?: number;
      /** @default 50, dev 20 */
      readonly persistentVolumeClaims?: number;
      /** @default '2Ti', dev '500Gi' */
      readonly storage?: string;
    };
    /** Requests/limits given to containers that set none (a namespace with a cpu/memory quota rejects those otherwise). @default request 250m/512Mi, limit 1/1Gi; dev request 100m/256Mi */
    readonly containerDefaults?: {
      readonly request?: { readonly cpu?: string; readonly memory?: string };
      readonly limit?: { readonly cpu?: string; readonly memory?: string };
    };
  };
  readonly smoke?: {
    /** Render the smoke tests (they only run on a manual sync). @default true, prod false (nobody should launch GPU nodes in prod to test the platform) */
    readonly enabled?: boolean;
  };
}

export const PLATFORM_DEFAULTS: LayerDefaults = {
  kubernetesVersion: '1.35',
  gitops: { targetRevision: 'main', sync: 'auto-prune' },
  cilium: { enabled: true, operatorReplicas: 2 },
  karpenter: { controller: { replicas: 2 } },
  pools: { budgets: [{ nodes: '10%' }], expireAfter: '720h', terminationGracePeriod: '24h' },
  allowLatestAmi: false,
  observability: { enabled: true, prometheus: { retention: '15d', volumeGiB: 200 }, grafana: true, alertmanager: true },
  teams: {
    quota: { pods: 500, persistentVolumeClaims: 50, storage: '2Ti' },
    containerDefaults: { request: { cpu: '250m', memory: '512Mi' }, limit: { cpu: '1', memory: '1Gi' } },
  },
  smoke: { enabled: true },
};

export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, LayerDefaults>> = {
  dev: {
    cilium: { operatorReplicas: 1 },
    karpenter: { controller: { replicas: 1 } },
    pools: { budgets: [{ nodes: '20%' }], expireAfter: '168h' },
    allowLatestAmi: true,
    observability: { prometheus: { retention: '3d', volumeGiB: 20 }, alertmanager: false },
    teams: { quota: { pods: 100, persistentVolumeClaims: 20, storage: '500Gi' }, containerDefaults: { request: { cpu: '100m', memory: '256Mi' } } },
  },
  staging: {
    pools: { expireAfter: '336h' },
    observability: { prometheus: { retention: '7d', volumeGiB: 50 } },
  },
  prod: {
    gitops: { sync: 'auto' },
    pools: {
      // Drift (AMI bumps) replaces at most one node at a time in prod; other reasons keep 10%.
      budgets: [
        { nodes: '10%', reasons: ['Empty', 'Underutilized'] },
        { nodes: '1', reasons: ['Drifted'] },
      ],
      terminationGracePeriod: '48h',
    },
    smoke: { enabled: false },
  },
};

/** The Cilium agent's startup taint; on every NodePool when Cilium is on (else Karpenter over-provisions). */
export const CILIUM_STARTUP_TAINT: Taint = { key: 'node.cilium.io/agent-not-ready', value: 'true', effect: 'NoExecute' };

/** The GPU taint: only pods that ask for GPUs land on GPU nodes. */
export const GPU_TAINT: Taint = { key: 'nvidia.com/gpu', effect: 'NoSchedule' };

export interface PoolKindDefaults {
  readonly capacityTypes: readonly CapacityType[];
  readonly instanceCategories?: readonly string[];
  readonly instanceFamilies?: readonly string[];
  readonly minGenerationExclusive?: number;
  /** Sizes too small to be useful or bare metal (slow to boot). */
  readonly excludedSizes: readonly string[];
  readonly consolidationPolicy: 'WhenEmpty' | 'WhenEmptyOrUnderutilized';
  readonly consolidateAfter: string;
  readonly weight: number;
  readonly taints: readonly Taint[];
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeClass: string;
}

/** Per pool kind: what a pool of that kind is unless the cluster file says otherwise. */
export const POOL_KINDS: Readonly<Record<PoolKind, PoolKindDefaults>> = {
  cpu: {
    // Broad c/m/r, gen > 4: ≥15 instance types keep spot diverse and consolidation possible.
    capacityTypes: ['spot', 'on-demand'],
    instanceCategories: ['c', 'm', 'r'],
    minGenerationExclusive: 4,
    excludedSizes: ['nano', 'micro', 'small', 'medium', 'metal'],
    consolidationPolicy: 'WhenEmptyOrUnderutilized',
    consolidateAfter: '1m',
    weight: 50,
    taints: [],
    labels: { 'eksai.io/pool-kind': 'cpu' },
    nodeClass: 'default',
  },
  memory: {
    capacityTypes: ['spot', 'on-demand'],
    instanceCategories: ['r'],
    minGenerationExclusive: 4,
    excludedSizes: ['nano', 'micro', 'small', 'medium', 'large', 'metal'],
    consolidationPolicy: 'WhenEmptyOrUnderutilized',
    consolidateAfter: '5m',
    weight: 10,
    taints: [],
    labels: { 'eksai.io/pool-kind': 'memory' },
    nodeClass: 'default',
  },
  gpu: {
    // On-demand: a spot reclaim kills a training step. WhenEmpty: utilization consolidation ignores GPU load.
    capacityTypes: ['on-demand'],
    instanceFamilies: ['g5', 'g6', 'g6e'],
    excludedSizes: ['metal'],
    consolidationPolicy: 'WhenEmpty',
    consolidateAfter: '10m',
    weight: 20,
    taints: [GPU_TAINT],
    labels: { 'eksai.io/pool-kind': 'gpu', 'eksai.io/accelerator': 'nvidia' },
    nodeClass: 'default',
  },
};

/** EC2 families with NVIDIA GPUs that Karpenter can provision; a gpu pool may only use these. */
export const GPU_INSTANCE_FAMILIES: readonly string[] = [
  'g4dn',
  'g5',
  'g6',
  'g6e',
  'g6f',
  'gr6',
  'gr6f',
  'g7e',
  'p3',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
  'p6-b200',
  'p6e-gb200',
];

/** Root volume per AMI family (GiB); Bottlerocket's OS volume is small, its data volume is separate. */
export const AMI_FAMILY_VOLUMES = {
  al2023: { rootVolumeGiB: 100 },
  bottlerocket: { rootVolumeGiB: 4, dataVolumeGiB: 100 },
} as const;

/** Commercial AWS regions with EKS. */
export const AWS_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
];

/** Ray head ports (Ray defaults): client (ray://), dashboard + job API, GCS, metrics. NetworkPolicies and Services use these. */
export const RAY_PORTS = { client: 10001, dashboard: 8265, gcs: 6379, metrics: 8080, serve: 8000 } as const;

/** JupyterHub defaults per environment (the cluster file's `jupyterhub` block overrides them). */
export interface JupyterHubDefaults {
  /** Whether `auth: { kind: 'dummy' }` (any user name, no password) is allowed; it is also the default auth where allowed. @default dev true, else false */
  readonly allowDummyAuth: boolean;
  /** Idle culling: dev frees nodes fast, prod lets long interactive sessions breathe. @default dev 1h, staging 2h, prod 4h */
  readonly idleTimeout: string;
  /** Home volume per user. @default dev 10Gi, staging 20Gi, prod 50Gi */
  readonly storage: string;
}

export const JUPYTERHUB_DEFAULTS: Readonly<Record<Environment, JupyterHubDefaults>> = {
  dev: { allowDummyAuth: true, idleTimeout: '1h', storage: '10Gi' },
  staging: { allowDummyAuth: false, idleTimeout: '2h', storage: '20Gi' },
  prod: { allowDummyAuth: false, idleTimeout: '4h', storage: '50Gi' },
};
/**
 * Ray defaults per team (KubeRay). The head runs no tasks (`num-cpus: 0`): GCS, dashboard and the
 * autoscaler only, so 2 CPU / 8Gi is enough for tens of workers. Default worker groups fit the
 * smallest instances of the default pool kinds after daemonsets (m/c 2xlarge for CPU, g5/g6.xlarge for
 * GPU: 4 vCPU, 16 GiB, 1 GPU) so that a single task never waits for a big instance.
 */
export const RAY_DEFAULTS = {
  head: { cpu: '2', memory: '8Gi' },
  cpuGroup: { name: 'cpu', cpu: '4', memory: '16Gi', gpus: 0, minReplicas: 0, maxReplicas: 10 },
  gpuGroup: { name: 'gpu', cpu: '2', memory: '12Gi', gpus: 1, minReplicas: 0, maxReplicas: 4 },
} as const;

/**
 * Namespaces a team may not be named after (a team name becomes its namespace): Kubernetes' own, Argo
 * CD's and every platform component's. test/config/teams.test.ts keeps this in step with the components.
 */
export const RESERVED_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'argocd',
  'kuberay-system',
  'volcano-system',
  'nvidia-device-plugin',
  'gpu-monitoring',
  'jupyterhub',
  'monitoring',
  'opencost',
  'eksai-smoke',
];

/**
 * A team's shared EFS volume when storage.efs is on and the team file sets no size/mountPath.
 * Mount paths a team volume must not cover or sit under: what the pods already mount or write there.
 */
export const SHARED_STORAGE_DEFAULTS = { size: '100Gi', mountPath: '/mnt/shared' } as const;
export const RESERVED_MOUNT_PATHS: Readonly<Record<string, string>> = {
  '/home/jovyan': 'the notebook home volume (z2jh singleuser.storage.homeMountPath)',
  '/home/ray': "the home of the Ray images' user",
  '/tmp': "scratch space, with Ray's session directory /tmp/ray (logs, spilled objects)",
  '/dev/shm': "the shared memory of Ray's object store",
  '/etc': "the image's system files",
  '/usr': "the image's system files",
  '/opt': "the image's Python environment (conda)",
  '/var': "the image's system files",
  '/proc': "the kernel's process files",
  '/sys': "the kernel's system files",
};

/**
 * Cost view. Off by default: OpenCost is one more Deployment and a few thousand series, worth it where someone reads
 * the bill. A budget alert at 80% of the month's budget leaves a week or so to act before the money is spent.
 */
export const COST_DEFAULTS = { enabled: false, alertAtPercent: 80 } as const;
