import type { ClusterConfigInput, NodePoolInput, NodeClassInput, TeamInput } from './schema';
import type { AmiFamily, ClusterConfig, ClusterFacts, NodeClass, NodePool, Team } from './types';
import { AMI_FAMILY_VOLUMES, CILIUM_STARTUP_TAINT, RAY_PORTS, ENVIRONMENT_DEFAULTS, PLATFORM_DEFAULTS, POOL_KINDS, type LayerDefaults } from './defaults';

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

function normalizeTeam(input: TeamInput): Team {
  const cap = input.queue?.capability ?? {};
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
    },
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
    cilium: { enabled: ciliumEnabled, operatorReplicas: input.cilium?.operatorReplicas ?? layer.cilium?.operatorReplicas ?? 2, hubble: input.cilium?.hubble ?? true },
    teams: (input.teams ?? []).map(normalizeTeam),
    gpu: { devicePlugin: input.gpu?.devicePlugin ?? hasGpuPool, dcgmExporter: input.gpu?.dcgmExporter ?? hasGpuPool },
    storage: { efsFileSystemId: input.storage?.efs ? facts.parameters['storage/efs-file-system-id'] : undefined },
    loadBalancer: { enabled: input.loadBalancer?.enabled ?? true },
    kuberay: { enabled: input.kuberay?.enabled ?? true, batchScheduler: input.kuberay?.batchScheduler ?? 'volcano' },
    volcano: { enabled: input.volcano?.enabled ?? true },
    smoke: { enabled: input.smoke?.enabled ?? layer.smoke?.enabled ?? true, team: input.smoke?.team ?? input.teams?.[0]?.name },
    karpenter: {
      controller: { replicas: input.karpenter.controller?.replicas ?? layer.karpenter?.controller?.replicas ?? 2 },
      nodeClasses: (input.karpenter.nodeClasses ?? []).map((c) => normalizeNodeClass(c, tags)),
      nodePools: (input.karpenter.nodePools ?? []).map((p) => normalizeNodePool(p, layer, ciliumEnabled)),
    },
  };
}
