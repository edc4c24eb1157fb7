import type { ClusterConfig, Taint } from '../lib/config/types';
import { GPU_TAINT, POOL_KINDS } from '../lib/config/defaults';
import { SYNC_WAVES, type Component, type HelmRelease } from './component';
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

/** NVIDIA device plugin: advertises nvidia.com/gpu on GPU nodes only (the chart's NFD affinity is replaced). */
export const nvidiaDevicePlugin: Component = {
  name: 'nvidia-device-plugin',
  description: 'NVIDIA device plugin (nvidia.com/gpu resources) on GPU nodes',
  namespace: 'nvidia-device-plugin',
  podSecurity: 'privileged',
  wave: SYNC_WAVES.platform,
  enabled: (c) => c.gpu.devicePlugin,
  helm: (cluster): HelmRelease => ({
    ...CHARTS.nvidiaDevicePlugin,
    releaseName: 'nvidia-device-plugin',
    values: { nodeSelector: { ...GPU_NODE_SELECTOR }, tolerations: gpuTolerations(cluster), affinity: {}, gfd: { enabled: false }, nfd: { enabled: false } },
  }),
};

/** DCGM exporter: GPU utilization, memory and health metrics for Prometheus, on GPU nodes only. */
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
    values: { nodeSelector: { ...GPU_NODE_SELECTOR }, tolerations: gpuTolerations(cluster), serviceMonitor: { enabled: false } },
  }),
};
