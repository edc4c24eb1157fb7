import type { AmiFamily, ClusterConfig, Taint } from '../lib/config/types';
import { GPU_TAINT, POOL_KINDS } from '../lib/config/defaults';
import { SYNC_WAVES, type Component, type HelmRelease } from './component';
import { AMI_FAMILY_LABEL, amiFamilyOf } from './node-pools';
import { CHARTS } from './versions';

/** Selects GPU nodes only: the label every gpu pool's nodes carry. */
export const GPU_NODE_SELECTOR = { 'eksai.io/accelerator': POOL_KINDS.gpu.labels['eksai.io/accelerator']! } as const;

/** Tolerations for exactly the taints of the cluster's gpu pools (kind taint + any pool-specific ones). */
export function gpuTolerations(cluster: ClusterConfig): { key: string; operator: string; value?: string; effect: string }[] {
  const taints = new Map<string, Taint>();
  for (const pool of cluster.karpenter.nodePools) {
    if (pool.kind !== 'gpu') continue;
    for (const t of pool.taints) taints.set(`${t.key}=${t.value ?? ''}:${t.effect}`, t);
  }
  if (taints.size === 0) taints.set('gpu', GPU_TAINT);
  return [...taints.keys()].sort().map((k) => {
    const t = taints.get(k)!;
    return t.value === undefined ? { key: t.key, operator: 'Exists', effect: t.effect } : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect };
  });
}

/**
 * Whether an AMI family's GPU image runs the NVIDIA device plugin itself. Bottlerocket's NVIDIA variants
 * ship and start it (a host service, switchable with `settings.kubelet-device-plugins.nvidia` since
 * Bottlerocket v1.63.0, release notes: "Add setting to enable/disable nvidia-device-plugin"); a second one
 * from the chart would fight it for the kubelet's nvidia.com/gpu registration. The EKS-optimized AL2023
 * NVIDIA AMI ships the driver and container toolkit, not the plugin. A new family must decide here.
 */
export const SHIPS_NVIDIA_DEVICE_PLUGIN: Readonly<Record<AmiFamily, boolean>> = { al2023: false, bottlerocket: true };

/**
 * Required node affinity of the NVIDIA DaemonSets: GPU pool nodes of the given AMI families. Helm merges
 * maps, so `affinity: {}` would keep the chart's default NFD affinity (nvidia-device-plugin 0.17.1
 * values.yaml: `feature.node.kubernetes.io/pci-10de.present` etc., labels no node here has: NFD is off);
 * `nodeSelectorTerms` is a list, and a list replaces the default.
 */
export function gpuNodeAffinity(families: readonly AmiFamily[]): Record<string, unknown> {
  const [key, value] = Object.entries(GPU_NODE_SELECTOR)[0]!;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key, operator: 'In', values: [value] },
              { key: AMI_FAMILY_LABEL, operator: 'In', values: [...families] },
            ],
          },
        ],
      },
    },
  };
}

/** AMI families of the cluster's GPU pools. */
export function gpuFamilies(cluster: ClusterConfig): AmiFamily[] {
  const families = new Set<AmiFamily>();
  for (const pool of cluster.karpenter.nodePools) {
    if (pool.kind === 'gpu') families.add(amiFamilyOf(cluster, pool));
  }
  return [...families].sort();
}

const ALL_FAMILIES = Object.keys(SHIPS_NVIDIA_DEVICE_PLUGIN).sort() as AmiFamily[];
const FAMILIES_NEEDING_PLUGIN = ALL_FAMILIES.filter((f) => !SHIPS_NVIDIA_DEVICE_PLUGIN[f]);

/** NVIDIA device plugin: advertises nvidia.com/gpu on GPU nodes whose OS image does not already run one. */
export const nvidiaDevicePlugin: Component = {
  name: 'nvidia-device-plugin',
  description: 'NVIDIA device plugin (nvidia.com/gpu resources) on GPU nodes',
  namespace: 'nvidia-device-plugin',
  podSecurity: 'privileged',
  wave: SYNC_WAVES.platform,
  // Off when every GPU pool boots an image that runs its own plugin (nothing for the DaemonSet to do).
  enabled: (c) => c.gpu.devicePlugin && gpuFamilies(c).some((f) => !SHIPS_NVIDIA_DEVICE_PLUGIN[f]),
  helm: (cluster): HelmRelease => ({
    ...CHARTS.nvidiaDevicePlugin,
    releaseName: 'nvidia-device-plugin',
    values: {
      nodeSelector: { ...GPU_NODE_SELECTOR },
      tolerations: gpuTolerations(cluster),
      affinity: gpuNodeAffinity(FAMILIES_NEEDING_PLUGIN),
      gfd: { enabled: false },
      nfd: { enabled: false },
    },
  }),
};

/**
 * DCGM exporter: GPU utilization, memory and health metrics for Prometheus, on every GPU node (it brings its
 * own DCGM and needs only the driver). The chart's default affinity is `{}` (dcgm-exporter 4.1.1
 * values.yaml), so nothing is inherited; the explicit affinity states the same target as the device plugin's.
 */
export const dcgmExporter: Component = {
  name: 'dcgm-exporter',
  description: 'NVIDIA DCGM exporter (GPU metrics) on GPU nodes',
  namespace: 'gpu-monitoring',
  podSecurity: 'privileged',
  wave: SYNC_WAVES.platform,
  enabled: (c) => c.gpu.dcgmExporter,
  helm: (cluster): HelmRelease => ({
    ...CHARTS.dcgmExporter,
    releaseName: 'dcgm-exporter',
    values: {
      nodeSelector: { ...GPU_NODE_SELECTOR },
      tolerations: gpuTolerations(cluster),
      affinity: gpuNodeAffinity(ALL_FAMILIES),
      serviceMonitor: { enabled: false },
    },
  }),
};
