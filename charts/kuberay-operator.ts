import type { ClusterConfig } from '../lib/config/types';
import { OPERATOR_RESOURCES, SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { CHARTS } from './versions';
import { VOLCANO_SCHEDULER_NAME } from './volcano';

export const KUBERAY_NAMESPACE = 'kuberay-system';

/**
 * Values of the kuberay-operator chart (keys checked against its 1.7.0 values.yaml). The batch
 * scheduler is set by `batchScheduler.name`; the deprecated `batchScheduler.enabled` is never set
 * (the chart errors when both are). Operator control-plane metrics on; no ServiceMonitor (no
 * Prometheus Operator in the platform yet).
 */
export function kuberayOperatorValues(cluster: ClusterConfig): Record<string, unknown> {
  return {
    ...(cluster.kuberay.batchScheduler === 'volcano' ? { batchScheduler: { name: VOLCANO_SCHEDULER_NAME } } : {}),
    metrics: { enabled: true, serviceMonitor: { enabled: false } },
    nodeSelector: CORE_NODE_SELECTOR,
    tolerations: CORE_TOLERATIONS,
  };
}

/** KubeRay operator (Helm): RayCluster/RayJob/RayService CRDs and their controller. */
export const kuberayOperator: Component = {
  name: 'kuberay-operator',
  description: 'KubeRay operator and Ray CRDs, batch scheduling through Volcano',
  namespace: KUBERAY_NAMESPACE,
  // The chart's operator container runs non-root, drops ALL, RuntimeDefault seccomp.
  podSecurity: 'restricted',
  wave: SYNC_WAVES.platform,
  enabled: (c) => c.kuberay.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.kuberayOperator, releaseName: 'kuberay-operator', values: kuberayOperatorValues(cluster) }),
  // The Ray CRDs are ~1 MB, over the client-side apply annotation limit.
  syncOptions: ['ServerSideApply=true'],
  clusterResources: OPERATOR_RESOURCES,
};
