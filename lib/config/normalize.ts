import type { ClusterConfigInput, NodePoolInput, NodeClassInput, RayWorkerGroupInput, TeamInput } from './schema';
import type { AmiFamily, ClusterConfig, ClusterFacts, NodeClass, NodePool, RayWorkerGroup, SharedStorage, Team } from './types';
import {
  AMI_FAMILY_VOLUMES,
  CILIUM_STARTUP_TAINT,
  RAY_DEFAULTS,
  RAY_PORTS,
  ENVIRONMENT_DEFAULTS,
  PLATFORM_DEFAULTS,
  POOL_KINDS,
  SHARED_STORAGE_DEFAULTS,
  type LayerDefaults,
} from './defaults';
import type { JupyterHubInput } from './schema';
import type { JupyterHub, JupyterHubAuth } from './types';
import { COST_DEFAULTS, JUPYTERHUB_DEFAULTS } from './defaults';
import { defaultNotebookImages } from './notebook-images';
import { normalizeTeamS3 } from './s3';

/** Deep merge of plain objects; arrays and scalars of later layers replace earlier ones. */
export function mergeLayers<T>(...layers: (T | undefined)[]): T {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (isObj(a) && isObj(b)) {
      const out: Record<string, unknown> = { ...a };
      for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
      return out;
    }
    return b;
  };
  return layers.reduce<unknown>((acc, layer) => merge(acc, layer), {}) as T;
}

/** The effective defaults of an environment: platform layer, then the environment's. */
export function layerDefaults(environment: ClusterConfigInput['environment']): LayerDefaults {
  return mergeLayers<LayerDefaults>(PLATFORM_DEFAULTS, ENVIRONMENT_DEFAULTS[environment]);
}

export function amiFamilyOf(alias: string): AmiFamily | undefined {
  const family = alias.split('@')[0];
  return family === 'al2023' || family === 'bottlerocket' ? family : undefined;
}

function normalizeNodeClass(input: NodeClassInput, tags: Record<string, string>): NodeClass {
  const amiFamily = amiFamilyOf(input.amiAlias) ?? 'al2023';
  const volumes = AMI_FAMILY_VOLUMES[amiFamily];
  return {
    name: input.name,
    amiAlias: input.amiAlias,
    amiFamily,
    rootVolumeGiB: input.rootVolumeGiB ?? volumes.rootVolumeGiB,
    dataVolumeGiB: amiFamily === 'bottlerocket' ? (input.dataVolumeGiB ?? AMI_FAMILY_VOLUMES.bottlerocket.dataVolumeGiB) : undefined,
    tags: { ...tags, ...input.tags },
  };
}

function normalizeNodePool(input: NodePoolInput, layer: LayerDefaults, ciliumEnabled: boolean): NodePool {
  const kind = POOL_KINDS[input.kind];
  // Families, when given, replace the kind's categories (a family list is more specific).
  const families = input.instanceFamilies ?? (input.instanceCategories ? undefined : kind.instanceFamilies);
  const categories = families ? undefined : (input.instanceCategories ?? kind.instanceCategories);
  const limits = input.limits;
  return {
    name: input.name,
    kind: input.kind,
    nodeClass: input.nodeClass ?? kind.nodeClass,
    capacityTypes: input.capacityTypes ?? kind.capacityTypes,
    instanceCategories: categories,
    instanceFamilies: families,
    minGenerationExclusive: input.minGenerationExclusive ?? (categories ? kind.minGenerationExclusive : undefined),
    excludedSizes: kind.excludedSizes,
    arch: input.arch ?? ['amd64'],
    limits: {
      cpu: limits.cpu === undefined ? undefined : String(limits.cpu),
      memory: limits.memory === undefined ? undefined : String(limits.memory),
      gpu: limits.gpu,
    },
    weight: input.weight ?? kind.weight,
    consolidationPolicy: input.consolidationPolicy ?? kind.consolidationPolicy,
    consolidateAfter: input.consolidateAfter ?? kind.consolidateAfter,
    budgets: input.budgets ?? layer.pools?.budgets ?? [],
    expireAfter: input.expireAfter ?? layer.pools?.expireAfter ?? '720h',
    terminationGracePeriod: input.terminationGracePeriod ?? layer.pools?.terminationGracePeriod ?? '24h',
    labels: { ...kind.labels, ...input.labels },
    taints: [...kind.taints, ...(input.taints ?? []).filter((t) => !kind.taints.some((k) => k.key === t.key))],
    startupTaints: ciliumEnabled ? [CILIUM_STARTUP_TAINT] : [],
  };
}

const str = (q: string | number | undefined): string | undefined => (q === undefined ? undefined : String(q));

/** What normalizeTeam needs of the rest of the cluster. */
export interface TeamContext {
  readonly layer: LayerDefaults;
  readonly kuberayEnabled: boolean;
  readonly pools: readonly NodePool[];
  readonly region: string;
  /** storage.efs: every team gets a shared volume. */
  readonly efs: boolean;
}

/** Default capacity type of a worker group: spot for CPU groups when a pool they can land on offers it. */
function groupCapacityType(group: RayWorkerGroupInput, pools: readonly NodePool[]): RayWorkerGroup['capacityType'] {
  if (group.capacityType !== undefined) return group.capacityType;
  if ((group.gpus ?? 0) > 0) return undefined;
  const candidates = group.pool !== undefined ? pools.filter((p) => p.name === group.pool) : pools.filter((p) => p.kind === 'cpu');
  return candidates.some((p) => p.capacityTypes.includes('spot')) ? 'spot' : undefined;
}

/** Default groups: CPU always; GPU when a gpu pool exists and the team may use GPUs, no more workers than its GPU quota. */
function normalizeWorkerGroups(input: TeamInput, pools: readonly NodePool[], gpuQuota: number | undefined): RayWorkerGroup[] {
  const gpuGroup = {
    ...RAY_DEFAULTS.gpuGroup,
    maxReplicas: Math.min(RAY_DEFAULTS.gpuGroup.maxReplicas, Math.floor((gpuQuota ?? Infinity) / RAY_DEFAULTS.gpuGroup.gpus)),
  };
  const groups: RayWorkerGroupInput[] = input.ray?.workerGroups ?? [
    RAY_DEFAULTS.cpuGroup,
    ...(pools.some((p) => p.kind === 'gpu') && gpuGroup.maxReplicas > 0 ? [gpuGroup] : []),
  ];
  return groups.map((g) => ({
    name: g.name,
    cpu: String(g.cpu),
    memory: String(g.memory),
    gpus: g.gpus ?? 0,
    minReplicas: g.minReplicas ?? 0,
    maxReplicas: g.maxReplicas,
    pool: g.pool,
    capacityType: groupCapacityType(g, pools),
  }));
}

function sharedStorage(input: TeamInput): SharedStorage {
  return {
    size: str(input.sharedStorage?.size) ?? SHARED_STORAGE_DEFAULTS.size,
    mountPath: input.sharedStorage?.mountPath ?? SHARED_STORAGE_DEFAULTS.mountPath,
    storageClass: `efs-${input.name}`,
    basePath: `/teams/${input.name}`,
    claimName: 'shared',
    notebookClaimName: `shared-${input.name}`,
  };
}

export function normalizeTeam(input: TeamInput, ctx: TeamContext): Team {
  const cap = input.queue?.capability ?? {};
  const quota = input.quota ?? {};
  const layerQuota = ctx.layer.teams?.quota;
  const defaults = ctx.layer.teams?.containerDefaults;
  const cd = input.containerDefaults ?? {};
  return {
    name: input.name,
    namespace: input.name,
    queue: {
      name: input.name,
      weight: input.queue?.weight ?? 1,
      capability: {
        cpu: cap.cpu === undefined ? undefined : String(cap.cpu),
        memory: cap.memory === undefined ? undefined : String(cap.memory),
        gpu: cap.gpu,
      },
      reclaimable: input.queue?.reclaimable ?? true,
    },
    ray: {
      clusterName: 'ray',
      headService: 'ray-head',
      clientAddress: `ray://ray-head.${input.name}.svc:${RAY_PORTS.client}`,
      dashboardAddress: `http://ray-head.${input.name}.svc:${RAY_PORTS.dashboard}`,
      enabled: input.ray?.enabled ?? ctx.kuberayEnabled,
      head: {
        cpu: str(input.ray?.head?.cpu) ?? RAY_DEFAULTS.head.cpu,
        memory: str(input.ray?.head?.memory) ?? RAY_DEFAULTS.head.memory,
        pool: input.ray?.head?.pool,
      },
      workerGroups: normalizeWorkerGroups(input, ctx.pools, quota.gpu ?? cap.gpu),
    },
    ...(ctx.efs ? { sharedStorage: sharedStorage(input) } : {}),
    // The queue capability is what Volcano lets the team run at once; the quota enforces the same
    // numbers for every pod in the namespace, including ones Volcano never sees.
    quota: {
      requests: { cpu: str(quota.requests?.cpu ?? cap.cpu), memory: str(quota.requests?.memory ?? cap.memory) },
      limits: { cpu: str(quota.limits?.cpu ?? cap.cpu), memory: str(quota.limits?.memory ?? cap.memory) },
      gpu: quota.gpu ?? cap.gpu,
      pods: quota.pods ?? layerQuota?.pods ?? 500,
      persistentVolumeClaims: quota.persistentVolumeClaims ?? layerQuota?.persistentVolumeClaims ?? 50,
      storage: str(quota.storage) ?? layerQuota?.storage ?? '2Ti',
    },
    containerDefaults: {
      request: { cpu: str(cd.request?.cpu) ?? defaults?.request?.cpu ?? '250m', memory: str(cd.request?.memory) ?? defaults?.request?.memory ?? '512Mi' },
      limit: { cpu: str(cd.limit?.cpu) ?? defaults?.limit?.cpu ?? '1', memory: str(cd.limit?.memory) ?? defaults?.limit?.memory ?? '1Gi' },
    },
    s3: normalizeTeamS3(input.name, ctx.region, input.s3),
  };
}

/** Go duration (`1h30m`, `45s`) in seconds. */
export function durationSeconds(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(s|m|h)/g)) total += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  return total;
}

function normalizeJupyterHubAuth(auth: NonNullable<JupyterHubInput['auth']>): JupyterHubAuth {
  const adminUsers = auth.adminUsers ?? [];
  switch (auth.kind) {
    case 'dummy':
      return { kind: 'dummy', adminUsers };
    case 'github':
      return { ...auth, adminUsers, allowedUsers: auth.allowedUsers ?? [], allowedOrganizations: auth.allowedOrganizations ?? [] };
    case 'generic-oauth':
      return {
        ...auth,
        adminUsers,
        allowedUsers: auth.allowedUsers ?? [],
        allowedGroups: auth.allowedGroups ?? [],
        usernameClaim: auth.usernameClaim ?? 'preferred_username',
        groupsClaim: auth.groupsClaim ?? 'groups',
        scopes: auth.scopes ?? ['openid', 'profile', 'email'],
      };
    case 'cognito':
      return { ...auth, adminUsers, allowedUsers: auth.allowedUsers ?? [], allowedGroups: auth.allowedGroups ?? [] };
  }
}

function normalizeJupyterHub(input: ClusterConfigInput, ciliumEnabled: boolean): JupyterHub {
  const hub = input.jupyterhub ?? {};
  const env = JUPYTERHUB_DEFAULTS[input.environment];
  return {
    // On by default when there are teams to serve, and Cilium to enforce the notebooks' NetworkPolicies.
    enabled: hub.enabled ?? ((input.teams ?? []).length > 0 && ciliumEnabled),
    // Outside dev a missing auth is a config error (rules.ts) whenever the hub is on, so this default is only ever rendered in dev.
    auth: hub.auth ? normalizeJupyterHubAuth(hub.auth) : { kind: 'dummy', adminUsers: [] },
    idleTimeoutSeconds: durationSeconds(hub.idleTimeout ?? env.idleTimeout),
    storage: hub.storage ?? env.storage,
    // rules.ts (jupyterhubImages) requires both images when the repo is not on GitHub, so the fallback is never rendered.
    images: {
      cpu: hub.image ?? defaultNotebookImages(input.gitops.repoURL)?.cpu ?? '',
      gpu: hub.gpuImage ?? defaultNotebookImages(input.gitops.repoURL)?.gpu ?? '',
    },
    ingress: hub.ingress ? { host: hub.ingress.host, certificateArn: hub.ingress.certificateArn, scheme: hub.ingress.scheme ?? 'internal' } : undefined,
  };
}

/** Pools and teams as normalize() builds them: rules check Ray placement on these before lookups are read. */
export function normalizePoolsAndTeams(input: ClusterConfigInput): { readonly pools: NodePool[]; readonly teams: Team[] } {
  const layer = layerDefaults(input.environment);
  const ciliumEnabled = input.cilium?.enabled ?? layer.cilium?.enabled ?? true;
  const pools = (input.karpenter.nodePools ?? []).map((p) => normalizeNodePool(p, layer, ciliumEnabled));
  const kuberayEnabled = input.kuberay?.enabled ?? true;
  return {
    pools,
    teams: (input.teams ?? []).map((t) => normalizeTeam(t, { layer, kuberayEnabled, pools, region: input.region, efs: input.storage?.efs === true })),
  };
}

/** Fills every default: platform → environment → cluster file, then per pool kind. */
export function normalize(input: ClusterConfigInput, file: string, facts: ClusterFacts): ClusterConfig {
  const layer = layerDefaults(input.environment);
  const ciliumEnabled = input.cilium?.enabled ?? layer.cilium?.enabled ?? true;
  const tags = { 'eksai.io/cluster': input.name, ...input.tags };
  const hasGpuPool = (input.karpenter.nodePools ?? []).some((p) => p.kind === 'gpu');
  return {
    name: input.name,
    file,
    environment: input.environment,
    region: input.region,
    kubernetesVersion: input.kubernetesVersion ?? layer.kubernetesVersion ?? '1.35',
    gitops: {
      repoURL: input.gitops.repoURL,
      targetRevision: input.gitops.targetRevision ?? layer.gitops?.targetRevision ?? 'main',
      sync: input.gitops.sync ?? layer.gitops?.sync ?? 'auto-prune',
    },
    tags,
    facts,
    cilium: {
      enabled: ciliumEnabled,
      operatorReplicas: input.cilium?.operatorReplicas ?? layer.cilium?.operatorReplicas ?? 2,
      hubble: input.cilium?.hubble ?? true,
    },
    teams: normalizePoolsAndTeams(input).teams,
    gpu: { devicePlugin: input.gpu?.devicePlugin ?? hasGpuPool, dcgmExporter: input.gpu?.dcgmExporter ?? hasGpuPool },
    storage: { efsFileSystemId: input.storage?.efs ? facts.parameters['storage/efs-file-system-id'] : undefined },
    loadBalancer: { enabled: input.loadBalancer?.enabled ?? true },
    kuberay: { enabled: input.kuberay?.enabled ?? true, batchScheduler: input.kuberay?.batchScheduler ?? 'volcano' },
    volcano: { enabled: input.volcano?.enabled ?? true },
    observability: {
      enabled: input.observability?.enabled ?? layer.observability?.enabled ?? true,
      prometheus: {
        retention: input.observability?.prometheus?.retention ?? layer.observability?.prometheus?.retention ?? '15d',
        volumeGiB: input.observability?.prometheus?.volumeGiB ?? layer.observability?.prometheus?.volumeGiB ?? 200,
      },
      grafana: input.observability?.grafana ?? layer.observability?.grafana ?? true,
      alertmanager: input.observability?.alertmanager ?? layer.observability?.alertmanager ?? true,
      alertmanagerConfigSecret: input.observability?.alertmanagerConfigSecret,
    },
    jupyterhub: normalizeJupyterHub(input, ciliumEnabled),
    cost: {
      enabled: input.cost?.enabled ?? COST_DEFAULTS.enabled,
      budgets: Object.entries(input.cost?.budgets ?? {}).map(([team, b]) => ({
        team,
        monthlyUSD: b.monthlyUSD,
        alertAtPercent: b.alertAtPercent ?? COST_DEFAULTS.alertAtPercent,
      })),
    },
    smoke: { enabled: input.smoke?.enabled ?? layer.smoke?.enabled ?? true, team: input.smoke?.team ?? input.teams?.[0]?.name },
    karpenter: {
      controller: { replicas: input.karpenter.controller?.replicas ?? layer.karpenter?.controller?.replicas ?? 2 },
      nodeClasses: (input.karpenter.nodeClasses ?? []).map((c) => normalizeNodeClass(c, tags)),
      nodePools: (input.karpenter.nodePools ?? []).map((p) => normalizeNodePool(p, layer, ciliumEnabled)),
    },
  };
}
