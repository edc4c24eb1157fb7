import type { ClusterConfig } from '../lib/config/types';

/**
 * The platform's alerting rules, as data: one PrometheusRule per group, rendered by charts/monitoring.ts only
 * when the component whose metrics a group reads is enabled on the cluster. Metric names are checked against
 * the upstream sources named on each group; tests parse every `expr` with the Prometheus UI's PromQL grammar.
 */

export type Severity = 'info' | 'warning' | 'critical';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires. */
  readonly for: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
}

export interface AlertGroup {
  /** PrometheusRule metadata.name and rule group name. */
  readonly name: string;
  readonly enabled: (cluster: ClusterConfig) => boolean;
  readonly rules: readonly AlertRule[];
}

/** Below this average GPU utilization over 30 minutes a GPU counts as idle (and as money spent for nothing). */
export const GPU_IDLE_PERCENT = 5;
/** Above this cluster-wide GPU utilization the GPU pools are saturated and queued work waits. */
export const GPU_SATURATED_PERCENT = 90;

export const ALERT_GROUPS: readonly AlertGroup[] = [
  {
    // kube-state-metrics and kubelet (both part of kube-prometheus-stack).
    name: 'eksai-nodes',
    enabled: () => true,
    rules: [
      {
        alert: 'NodeNotReady',
        expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0',
        for: '10m',
        severity: 'warning',
        summary: 'Node {{ $labels.node }} is not Ready',
        description:
          'Node {{ $labels.node }} has not been Ready for 10 minutes. Pods on it are not running; Karpenter replaces an unhealthy node it owns only after its repair policy period.',
      },
      {
        alert: 'PersistentVolumeFilling',
        expr: 'kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.15 and kubelet_volume_stats_used_bytes > 0',
        for: '15m',
        severity: 'warning',
        summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is over 85% full',
        description:
          'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free. gp3 volumes can be expanded in place: raise the PVC request.',
      },
      {
        alert: 'PersistentVolumeAlmostFull',
        expr: 'kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.05 and kubelet_volume_stats_used_bytes > 0',
        for: '5m',
        severity: 'critical',
        summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is over 95% full',
        description:
          'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free; writes will fail soon. Expand the PVC or delete data.',
      },
    ],
  },
  {
    // Karpenter 1.14 metrics reference (karpenter-provider-aws website/content/en/v1.14/reference/metrics.md):
    // launch failures by zone, zone_id, capacity_type, reason; SQS messages by message_type, actionable;
    // nodepools_usage / nodepools_limit by nodepool, resource_type.
    name: 'eksai-karpenter',
    enabled: () => true,
    rules: [
      {
        alert: 'KarpenterInstanceLaunchFailures',
        expr: 'sum by (capacity_type, reason) (increase(karpenter_cloudprovider_instance_launch_failures_total[15m])) > 0',
        for: '30m',
        severity: 'warning',
        summary: 'Karpenter keeps failing to launch {{ $labels.capacity_type }} instances ({{ $labels.reason }})',
        description:
          "EC2 CreateFleet has been rejecting {{ $labels.capacity_type }} offerings with {{ $labels.reason }} for 30 minutes, so NodeClaims are not launching and pending pods wait. InsufficientInstanceCapacity: widen the pool's instance families or zones; other reasons usually mean IAM, quota or subnet problems.",
      },
      {
        alert: 'KarpenterSpotInterruptionsHigh',
        expr: 'sum(increase(karpenter_interruption_received_messages_total{message_type="spot_interrupted"}[1h])) > 5',
        for: '10m',
        severity: 'warning',
        summary: 'More than 5 spot interruptions in the last hour',
        description:
          "{{ $value }} spot interruption warnings reached Karpenter's queue in the last hour. Work on spot nodes is being restarted: diversify instance types, or move long-running Ray work to on-demand.",
      },
      {
        alert: 'KarpenterNodePoolNearLimit',
        expr: 'karpenter_nodepools_usage / karpenter_nodepools_limit > 0.9',
        for: '15m',
        severity: 'warning',
        summary: 'NodePool {{ $labels.nodepool }} uses over 90% of its {{ $labels.resource_type }} limit',
        description:
          'NodePool {{ $labels.nodepool }} is at {{ $value | humanizePercentage }} of its {{ $labels.resource_type }} limit; Karpenter launches nothing past it, so pods that need that pool stay Pending. Raise karpenter.nodePools[{{ $labels.nodepool }}].limits if the demand is expected.',
      },
    ],
  },
  {
    // KubeRay 1.7 operator metrics (ray-operator/controllers/ray/metrics/ray_cluster_metrics.go, ray_job_metrics.go).
    name: 'eksai-ray',
    enabled: (c) => c.kuberay.enabled,
    rules: [
      {
        alert: 'RayClusterNotProvisioned',
        expr: 'kuberay_cluster_condition_provisioned{condition="false"} == 1',
        for: '15m',
        severity: 'warning',
        summary: 'RayCluster {{ $labels.namespace }}/{{ $labels.name }} is not provisioned',
        description:
          'RayCluster {{ $labels.namespace }}/{{ $labels.name }} has not had all its pods ready for 15 minutes. Check for Pending pods (queue capability, NodePool limits, GPU capacity) and image pulls.',
      },
      {
        alert: 'RayJobFailed',
        expr: 'kuberay_job_deployment_status{deployment_status="Failed"} == 1',
        for: '1m',
        severity: 'warning',
        summary: 'RayJob {{ $labels.namespace }}/{{ $labels.name }} failed',
        description:
          'RayJob {{ $labels.namespace }}/{{ $labels.name }} is in deployment status Failed. `kubectl -n {{ $labels.namespace }} describe rayjob {{ $labels.name }}` shows the reason; the alert clears when the RayJob is deleted.',
      },
    ],
  },
  {
    // DCGM exporter default counters (NVIDIA/dcgm-exporter etc/default-counters.csv).
    name: 'eksai-gpu',
    enabled: (c) => c.gpu.dcgmExporter,
    rules: [
      {
        alert: 'GPUIdle',
        expr: `avg by (Hostname, gpu, modelName) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[30m])) < ${GPU_IDLE_PERCENT}`,
        for: '1h',
        severity: 'warning',
        summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has been idle for over an hour',
        description:
          'GPU {{ $labels.gpu }} ({{ $labels.modelName }}) on {{ $labels.Hostname }} averaged under ' +
          GPU_IDLE_PERCENT +
          '% utilization for 90 minutes. An idle GPU node costs the same as a busy one: stop idle notebooks or Ray workers holding it, or let the pool scale down.',
      },
      {
        alert: 'GPUFleetSaturated',
        expr: `avg(DCGM_FI_DEV_GPU_UTIL) > ${GPU_SATURATED_PERCENT}`,
        for: '30m',
        severity: 'info',
        summary: 'GPUs are over ' + GPU_SATURATED_PERCENT + '% busy cluster-wide',
        description:
          "Average GPU utilization is {{ $value | humanize }}% across all GPUs for 30 minutes. Queued GPU work waits for capacity: consider raising the gpu pool limit or the teams' queue capability.",
      },
      {
        alert: 'GPUXidErrors',
        expr: 'max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0',
        for: '5m',
        severity: 'warning',
        summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reports XID error {{ $value }}',
        description:
          'The NVIDIA driver reported XID {{ $value }} on GPU {{ $labels.gpu }} of {{ $labels.Hostname }}. Many XIDs (e.g. 48, 63, 79) mean the GPU needs a reset: drain the node and let Karpenter replace it.',
      },
    ],
  },
];

/** A Prometheus recording rule: `record` is the new series, `expr` computes it. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/** Hours in an average month (365 × 24 / 12): hourly cost × this = monthly cost. */
export const HOURS_PER_MONTH = 730;

/**
 * Cost series recorded from OpenCost's metrics (charts/opencost.ts OPENCOST_METRICS). A namespace's hourly cost is
 * what its containers are allocated (max of request and usage, as OpenCost computes `container_*_allocation`)
 * times the hourly price of that resource on the node they run on, the way OpenCost's own allocation model
 * prices CPU, RAM (priced per GiB-hour) and GPUs. label_replace + `or` keeps a namespace that has, say, no GPU
 * (a plain `+` would drop it).
 */
export const COST_RECORDS = {
  namespaceHourly: 'eksai:namespace_hourly_cost:usd',
  namespaceMonthlyProjected: 'eksai:namespace_monthly_cost:usd_projected',
} as const;

const byNodePrice = (alloc: string, price: string, resource: string): string =>
  `label_replace(sum by (namespace, node) (${alloc}) * on (node) group_left () max by (node) (${price}), "resource", "${resource}", "", "")`;

export const COST_RECORDING_RULES: readonly RecordingRule[] = [
  {
    record: COST_RECORDS.namespaceHourly,
    expr: `sum by (namespace) (${byNodePrice('container_cpu_allocation', 'node_cpu_hourly_cost', 'cpu')} or ${byNodePrice('container_memory_allocation_bytes / 1073741824', 'node_ram_hourly_cost', 'memory')} or ${byNodePrice('container_gpu_allocation', 'node_gpu_hourly_cost', 'gpu')})`,
  },
  {
    // The last day's average rate, as a month: smooth enough that one burst does not page, fresh enough to act on.
    record: COST_RECORDS.namespaceMonthlyProjected,
    expr: `avg_over_time(${COST_RECORDS.namespaceHourly}[1d]) * ${HOURS_PER_MONTH}`,
  },
];

/** The cost rules of a cluster: the recording rules, and one budget alert per team with a budget. */
export function costRuleGroup(cluster: ClusterConfig): {
  readonly name: string;
  readonly records: readonly RecordingRule[];
  readonly rules: readonly AlertRule[];
} {
  const namespaceOf = new Map(cluster.teams.map((t) => [t.name, t.namespace]));
  return {
    name: 'eksai-cost',
    records: COST_RECORDING_RULES,
    rules: cluster.cost.budgets.map((b): AlertRule => {
      const threshold = (b.monthlyUSD * b.alertAtPercent) / 100;
      const namespace = namespaceOf.get(b.team) ?? b.team;
      return {
        alert: 'TeamCostOverBudget',
        expr: `${COST_RECORDS.namespaceMonthlyProjected}{namespace="${namespace}"} > ${threshold}`,
        for: '1h',
        severity: b.alertAtPercent >= 100 ? 'critical' : 'warning',
        summary: `Team ${b.team} is on course to spend over ${b.alertAtPercent}% of its ${b.monthlyUSD} USD monthly budget`,
        description: `At the last day's rate, namespace ${namespace} costs {{ $value | humanize }} USD a month, over ${b.alertAtPercent}% of team ${b.team}'s budget of ${b.monthlyUSD} USD (cost.budgets.${b.team} in the cluster file). The eksai / Cost dashboard shows where it goes: stop idle notebooks and RayClusters, move work to spot, or raise the budget.`,
      };
    }),
  };
}
