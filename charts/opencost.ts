import type { ClusterConfig } from '../lib/config/types';
import { PLATFORM_NAMESPACES, SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { KUBE_PROMETHEUS_STACK_RELEASE } from './kube-prometheus-stack';
import { DashboardConfigMap, RuleGroup } from './monitoring';
import { costRuleGroup } from './monitoring-alerts';
import { COST_DASHBOARD } from './monitoring-dashboards';
import { CHARTS } from './versions';

export const OPENCOST_NAMESPACE = 'opencost';

/**
 * The platform Prometheus OpenCost queries: kube-prometheus-stack 88.5.3 templates/prometheus/service.yaml names the
 * Service `<kube-prometheus-stack.fullname>-prometheus` (fullname = the release name, which contains the chart name)
 * on `prometheus.service.port` 9090 (values.yaml).
 */
export const PLATFORM_PROMETHEUS = {
  serviceName: `${KUBE_PROMETHEUS_STACK_RELEASE}-prometheus`,
  namespace: PLATFORM_NAMESPACES.monitoring,
  port: 9090,
} as const;

/**
 * Metrics OpenCost's exporter registers, with their labels: opencost/opencost pkg/costmodel/metrics.go
 * (initCostModelMetrics). Read in the stored copy at commit 02e06667dd4b4d8caa06f85e0c1f976a7d825381 (it has the
 * `uid` label and the NAT gateway gauges of recent releases) and at tag v1.112.0 of the fetched snapshot, which
 * ends in October 2024 and has no v1.120.1 tag: every name and label eksai's queries use is the same in both.
 * Scraped with honorLabels (the chart's ServiceMonitor default), so `namespace`/`node`/`instance` are OpenCost's.
 */
export const OPENCOST_METRICS: Readonly<Record<string, readonly string[]>> = {
  node_cpu_hourly_cost: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  node_ram_hourly_cost: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  node_gpu_hourly_cost: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  node_gpu_count: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  pv_hourly_cost: ['volumename', 'persistentvolume', 'provider_id', 'uid'],
  kubecost_node_is_spot: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  node_total_hourly_cost: ['instance', 'node', 'instance_type', 'region', 'provider_id', 'arch', 'uid'],
  container_memory_allocation_bytes: ['namespace', 'pod', 'container', 'instance', 'node', 'uid'],
  container_cpu_allocation: ['namespace', 'pod', 'container', 'instance', 'node', 'uid'],
  container_gpu_allocation: ['namespace', 'pod', 'container', 'instance', 'node', 'uid'],
  pod_pvc_allocation: ['namespace', 'pod', 'persistentvolumeclaim', 'persistentvolume', 'uid'],
  kubecost_network_zone_egress_cost: [],
  kubecost_network_region_egress_cost: [],
  kubecost_network_internet_egress_cost: [],
  kubecost_network_nat_gateway_egress_cost: [],
  kubecost_network_nat_gateway_ingress_cost: [],
  kubecost_cluster_management_cost: ['provisioner_name'],
  kubecost_load_balancer_cost: ['ingress_ip', 'namespace', 'service_name', 'uid'],
};

/** PSA `restricted` container settings (the chart leaves securityContext empty). */
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1001 } as const;

/**
 * Values of the opencost chart 2.5.17 (opencost-helm-chart charts/opencost/values.yaml; no values schema). No UI: the
 * cost view is the Grafana dashboard. The chart's own ServiceMonitor (honorLabels true by default) lets the
 * platform Prometheus, which selects monitors in every namespace, scrape the exporter's `http` port. `clusterName` is
 * left alone: the chart uses it as the cluster DNS domain of the Prometheus URL (`cluster.local`); the cluster's name
 * goes in `defaultClusterId`.
 */
export function opencostValues(cluster: ClusterConfig): Record<string, unknown> {
  return {
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    opencost: {
      exporter: {
        defaultClusterId: cluster.name,
        securityContext: RESTRICTED_CONTAINER,
      },
      metrics: { serviceMonitor: { enabled: true } },
      prometheus: {
        internal: { enabled: true, serviceName: PLATFORM_PROMETHEUS.serviceName, namespaceName: PLATFORM_PROMETHEUS.namespace, port: PLATFORM_PROMETHEUS.port },
      },
      ui: { enabled: false },
      nodeSelector: CORE_NODE_SELECTOR,
      tolerations: CORE_TOLERATIONS,
    },
  };
}

/** OpenCost (Helm) with the cost dashboard and the cost recording and budget rules (plain manifests, same Application). */
export const opencost: Component = {
  name: 'opencost',
  description: 'OpenCost cost model on the platform Prometheus, the cost dashboard and per-team budget alerts',
  namespace: OPENCOST_NAMESPACE,
  podSecurity: 'restricted',
  // After kube-prometheus-stack: its ServiceMonitor and PrometheusRule need the monitoring.coreos.com CRDs.
  wave: SYNC_WAVES.tenants,
  enabled: (c) => c.cost.enabled && c.observability.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.opencost, releaseName: 'opencost', values: opencostValues(cluster) }),
  build: (chart, cluster) => {
    new RuleGroup(chart, 'cost-rules', { namespace: OPENCOST_NAMESPACE, group: costRuleGroup(cluster) });
    new DashboardConfigMap(chart, 'cost-dashboard', { namespace: OPENCOST_NAMESPACE, dashboard: COST_DASHBOARD });
  },
  syncOptions: ['SkipDryRunOnMissingResource=true'],
  clusterResources: [
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  ],
};
