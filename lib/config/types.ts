import type { TeamS3 } from './s3';

/**
 * The normalised cluster config every chart receives: plain, readonly, fully defaulted.
 * Built by lib/config/load.ts from a cluster file + its lookups file; charts never see raw input.
 */

export type Environment = 'dev' | 'staging' | 'prod';
export type PoolKind = 'cpu' | 'memory' | 'gpu';
export type CapacityType = 'spot' | 'on-demand' | 'reserved';
export type SyncMode = 'auto-prune' | 'auto' | 'manual';
export type AmiFamily = 'al2023' | 'bottlerocket';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface DisruptionBudget {
  readonly nodes: string;
  readonly reasons?: readonly ('Underutilized' | 'Empty' | 'Drifted')[];
  readonly schedule?: string;
  readonly duration?: string;
}

export interface NodeClass {
  readonly name: string;
  readonly amiAlias: string;
  readonly amiFamily: AmiFamily;
  readonly rootVolumeGiB: number;
  /** Bottlerocket data volume (xvdb); undefined for AL2023. */
  readonly dataVolumeGiB?: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface NodePool {
  readonly name: string;
  readonly kind: PoolKind;
  readonly nodeClass: string;
  readonly capacityTypes: readonly CapacityType[];
  /** Exactly one of categories / families is set. */
  readonly instanceCategories?: readonly string[];
  readonly instanceFamilies?: readonly string[];
  readonly minGenerationExclusive?: number;
  readonly excludedSizes: readonly string[];
  readonly arch: readonly ('amd64' | 'arm64')[];
  readonly limits: { readonly cpu?: string; readonly memory?: string; readonly gpu?: number };
  readonly weight: number;
  readonly consolidationPolicy: 'WhenEmpty' | 'WhenEmptyOrUnderutilized';
  readonly consolidateAfter: string;
  readonly budgets: readonly DisruptionBudget[];
  readonly expireAfter: string;
  readonly terminationGracePeriod: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Taints pods must tolerate (kind taints + user taints). */
  readonly taints: readonly Taint[];
  /** Taints removed by an agent once the node is ready (the Cilium taint when Cilium is on). */
  readonly startupTaints: readonly Taint[];
}

/** Facts about the cluster's AWS infrastructure (lib/lookups/facts.ts, where the lookups file is read into them). */
export type { ClusterFacts } from '../lookups/facts';
import type { ClusterFacts } from '../lookups/facts';

export interface Team {
  readonly name: string;
  /** Namespace of the team's workloads (= team name). */
  readonly namespace: string;
  readonly queue: {
    /** Volcano Queue name (= team name). */
    readonly name: string;
    readonly weight: number;
    readonly capability: { readonly cpu?: string; readonly memory?: string; readonly gpu?: number };
    readonly reclaimable: boolean;
  };
  /**
   * The team's RayCluster and its head Service: a contract JupyterHub (RAY_ADDRESS), the smoke RayJob
   * and NetworkPolicies rely on. Names are fixed by normalize.ts, never derived elsewhere.
   */
  readonly ray: {
    /** RayCluster metadata.name (in the team namespace). */
    readonly clusterName: string;
    /** Head Service metadata.name (set explicitly on the RayCluster, not KubeRay's generated name). */
    readonly headService: string;
    /** `ray://<headService>.<namespace>.svc:10001`: what notebooks put in RAY_ADDRESS. */
    readonly clientAddress: string;
    /** `http://<headService>.<namespace>.svc:8265`: dashboard / job submission API. */
    readonly dashboardAddress: string;
    /** Whether the team gets a RayCluster (default: when kuberay is enabled). */
    readonly enabled: boolean;
    readonly head: { readonly cpu: string; readonly memory: string; readonly pool?: string };
    readonly workerGroups: readonly RayWorkerGroup[];
  };
  /** The team's shared EFS volume; undefined when storage.efs is off. Names fixed here (normalize.ts), never derived elsewhere. */
  readonly sharedStorage?: SharedStorage;
  /** ResourceQuota of the team namespace (absent keys are not limited). */
  readonly quota: {
    readonly requests: { readonly cpu?: string; readonly memory?: string };
    readonly limits: { readonly cpu?: string; readonly memory?: string };
    readonly gpu?: number;
    readonly pods: number;
    readonly persistentVolumeClaims: number;
    readonly storage: string;
  };
  /** LimitRange container defaults of the team namespace. */
  readonly containerDefaults: {
    readonly request: { readonly cpu: string; readonly memory: string };
    readonly limit: { readonly cpu: string; readonly memory: string };
  };
  /** S3 access through EKS Pod Identity (its ServiceAccount and buckets); undefined: the team has no AWS identity. */
  readonly s3?: TeamS3;
}

/**
 * A team's shared EFS directory `<basePath>/shared` (an access point per claim, uid/gid of the Ray and notebook
 * user): its claim in the team namespace and its claim in the jupyterhub namespace point at the same directory.
 */
export interface SharedStorage {
  /** Requested size (EFS is elastic: Kubernetes needs a number, the quota counts it). */
  readonly size: string;
  /** Where Ray pods and notebooks mount it. */
  readonly mountPath: string;
  /** The team's StorageClass (basePath per team). */
  readonly storageClass: string;
  /** Directory of the team on the file system. */
  readonly basePath: string;
  /** PVC in the team namespace (Ray pods). */
  readonly claimName: string;
  /** PVC in the jupyterhub namespace (notebooks). */
  readonly notebookClaimName: string;
}

/** One Ray worker group: identical pods the autoscaler adds and removes between min and max. */
export interface RayWorkerGroup {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  /** nvidia.com/gpu per pod (0 = CPU group). */
  readonly gpus: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** NodePool the group is pinned to, if any. */
  readonly pool?: string;
  /** Capacity type the pods select; undefined leaves it to the pool. */
  readonly capacityType?: 'spot' | 'on-demand';
}

export interface ClusterConfig {
  readonly name: string;
  /** Cluster file, relative to the repo root (used in messages). */
  readonly file: string;
  readonly environment: Environment;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly gitops: {
    readonly repoURL: string;
    readonly targetRevision: string;
    readonly sync: SyncMode;
  };
  readonly tags: Readonly<Record<string, string>>;
  readonly facts: ClusterFacts;
  readonly cilium: { readonly enabled: boolean; readonly operatorReplicas: number; readonly hubble: boolean };
  readonly teams: readonly Team[];
  readonly gpu: { readonly devicePlugin: boolean; readonly dcgmExporter: boolean };
  /** EFS file system id when the shared EFS StorageClass is on. */
  readonly storage: { readonly efsFileSystemId?: string };
  readonly loadBalancer: { readonly enabled: boolean };
  readonly kuberay: { readonly enabled: boolean; readonly batchScheduler: 'volcano' | 'none' };
  readonly volcano: { readonly enabled: boolean };
  readonly observability: {
    readonly enabled: boolean;
    readonly prometheus: { readonly retention: string; readonly volumeGiB: number };
    readonly grafana: boolean;
    readonly alertmanager: boolean;
    /** Secret (namespace monitoring, key alertmanager.yaml) with the receivers; undefined: notifications are dropped. */
    readonly alertmanagerConfigSecret?: string;
  };
  /** Cost view (OpenCost + dashboard + budget alerts); budgets in the order of the cluster file. */
  readonly cost: { readonly enabled: boolean; readonly budgets: readonly TeamBudget[] };
  readonly jupyterhub: JupyterHub;
  /** Smoke tests; `team` is the team whose RayCluster runs the RayJob (undefined: no teams). */
  readonly smoke: { readonly enabled: boolean; readonly team?: string };
  readonly karpenter: {
    readonly controller: { readonly replicas: number };
    readonly nodeClasses: readonly NodeClass[];
    readonly nodePools: readonly NodePool[];
  };
}

/** A team's monthly cost budget: an alert fires when its projected monthly cost reaches alertAtPercent of monthlyUSD. */
export interface TeamBudget {
  readonly team: string;
  readonly monthlyUSD: number;
  readonly alertAtPercent: number;
}

/** A key of a Kubernetes Secret in the jupyterhub namespace (OAuth client id/secret are only ever given this way). */
export interface SecretRef {
  readonly secretName: string;
  readonly key: string;
}

interface OAuthCommon {
  readonly clientId: SecretRef;
  readonly clientSecret: SecretRef;
  readonly allowedUsers: readonly string[];
  readonly adminUsers: readonly string[];
}

/** How users log in; lib/config/rules.ts allows `dummy` only in dev. */
export type JupyterHubAuth =
  | { readonly kind: 'dummy'; readonly adminUsers: readonly string[] }
  | (OAuthCommon & { readonly kind: 'github'; readonly allowedOrganizations: readonly string[] })
  | (OAuthCommon & {
      readonly kind: 'generic-oauth';
      readonly authorizeUrl: string;
      readonly tokenUrl: string;
      readonly userdataUrl: string;
      readonly usernameClaim: string;
      readonly groupsClaim: string;
      readonly scopes: readonly string[];
      readonly allowedGroups: readonly string[];
    })
  | (OAuthCommon & { readonly kind: 'cognito'; readonly domain: string; readonly allowedGroups: readonly string[] });

export interface JupyterHub {
  readonly enabled: boolean;
  /** Explicit in the cluster file, or dummy in dev (the rules reject a missing auth elsewhere when enabled). */
  readonly auth: JupyterHubAuth;
  /** Idle culling: stop servers inactive this long. */
  readonly idleTimeoutSeconds: number;
  /** Home volume size per user, e.g. `10Gi`. */
  readonly storage: string;
  /** Notebook images: CPU profiles and the GPU profile. */
  readonly images: { readonly cpu: string; readonly gpu: string };
  readonly ingress?: { readonly host: string; readonly certificateArn: string; readonly scheme: 'internal' | 'internet-facing' };
}
