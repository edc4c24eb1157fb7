import type { ClusterConfig } from '../lib/config/types';
import { COST_RECORDS, GPU_IDLE_PERCENT } from './monitoring-alerts';

/**
 * Grafana dashboards as data, rendered to JSON deterministically (fixed ids, grid positions from the panel
 * order, no timestamps) and shipped as ConfigMaps the Grafana sidecar loads. Every `expr` is PromQL over
 * the metrics the monitors in charts/monitoring.ts scrape; tests parse them all.
 */

export interface PanelTarget {
  readonly expr: string;
  readonly legend: string;
}

export interface Panel {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id: short, percent, bytes, decbytes, s, watt, celsius, … */
  readonly unit: string;
  readonly targets: readonly PanelTarget[];
  /** `stat` for single numbers, else a time series. */
  readonly type?: 'timeseries' | 'stat';
}

/** A query variable: `label_values(<selector>, <label>)`. */
export interface Variable {
  readonly name: string;
  readonly label: string;
  /** PromQL series selector the values come from (tests parse it). */
  readonly selector: string;
  /** Label whose values the variable offers. */
  readonly valuesOf: string;
}

export interface DashboardSpec {
  /** Stable uid (Grafana URLs and the ConfigMap name use it). */
  readonly uid: string;
  readonly title: string;
  readonly enabled: (cluster: ClusterConfig) => boolean;
  readonly variables: readonly Variable[];
  readonly panels: readonly Panel[];
}

const RAY = 'namespace=~"$namespace",ray_io_cluster=~"$cluster"';

export const DASHBOARDS: readonly DashboardSpec[] = [
  {
    // Ray node metrics (python/ray/dashboard/modules/metrics/dashboards/default_dashboard_panels.py) scraped by
    // the `ray` PodMonitor, which adds ray_io_cluster / ray_io_node_type from the pod labels; KubeRay operator metrics.
    uid: 'eksai-ray',
    title: 'eksai / Ray',
    enabled: (c) => c.kuberay.enabled,
    variables: [
      { name: 'namespace', label: 'Team namespace', selector: 'ray_node_cpu_count', valuesOf: 'namespace' },
      { name: 'cluster', label: 'RayCluster', selector: 'ray_node_cpu_count{namespace=~"$namespace"}', valuesOf: 'ray_io_cluster' },
    ],
    panels: [
      {
        title: 'Tasks by state',
        description: 'Live Ray tasks per scheduler state.',
        unit: 'short',
        targets: [{ expr: `sum by (State) (ray_tasks{${RAY},State!~"FINISHED|FAILED"})`, legend: '{{State}}' }],
      },
      {
        title: 'Actors by state',
        description: 'Ray actors per state (GCS view).',
        unit: 'short',
        targets: [{ expr: `sum by (State) (ray_actors{${RAY},Source="gcs"})`, legend: '{{State}}' }],
      },
      {
        title: 'Logical CPUs used / total',
        description: 'CPUs reserved by tasks and actors (num_cpus) against what the cluster offers.',
        unit: 'short',
        targets: [
          { expr: `sum(ray_resources{${RAY},Name="CPU",State="USED"})`, legend: 'used' },
          { expr: `sum(ray_resources{${RAY},Name="CPU"})`, legend: 'total' },
        ],
      },
      {
        title: 'Logical GPUs used / total',
        description: 'GPUs reserved by tasks and actors (num_gpus) against what the cluster offers.',
        unit: 'short',
        targets: [
          { expr: `sum(ray_resources{${RAY},Name="GPU",State="USED"})`, legend: 'used' },
          { expr: `sum(ray_resources{${RAY},Name="GPU"})`, legend: 'total' },
        ],
      },
      {
        title: 'Node CPU utilization',
        description: 'Hardware CPU utilization per Ray node.',
        unit: 'percent',
        targets: [{ expr: `avg by (pod) (ray_node_cpu_utilization{${RAY}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Node GPU utilization',
        description: 'Hardware GPU utilization per Ray node and GPU.',
        unit: 'percent',
        targets: [{ expr: `avg by (pod, GpuIndex) (ray_node_gpus_utilization{${RAY}})`, legend: '{{pod}} gpu {{GpuIndex}}' }],
      },
      {
        title: 'Node memory used',
        description: "Heap + object store memory per Ray node, as a share of the node's memory.",
        unit: 'percentunit',
        targets: [{ expr: `sum by (pod) (ray_node_mem_used{${RAY}}) / sum by (pod) (ray_node_mem_total{${RAY}})`, legend: '{{pod}}' }],
      },
      {
        title: 'OOM-killed workers',
        description: "Tasks and actors killed by Ray's memory monitor in the last hour.",
        unit: 'short',
        targets: [{ expr: `sum by (Name) (increase(ray_memory_manager_worker_eviction_total{${RAY}}[1h]))`, legend: '{{Name}}' }],
      },
      {
        title: 'RayClusters not provisioned',
        description: 'RayClusters whose pods are not all ready (KubeRay operator).',
        unit: 'short',
        type: 'stat',
        targets: [
          { expr: 'count(kuberay_cluster_condition_provisioned{namespace=~"$namespace",condition="false"} == 1) or vector(0)', legend: 'not provisioned' },
        ],
      },
      {
        title: 'RayJobs by status',
        description: 'RayJobs per deployment status (KubeRay operator).',
        unit: 'short',
        targets: [{ expr: 'count by (deployment_status) (kuberay_job_deployment_status{namespace=~"$namespace"})', legend: '{{deployment_status}}' }],
      },
    ],
  },
  {
    // Karpenter 1.14 metrics reference (karpenter-provider-aws website/content/en/v1.14/reference/metrics.md).
    uid: 'eksai-karpenter',
    title: 'eksai / Karpenter',
    enabled: () => true,
    variables: [{ name: 'nodepool', label: 'NodePool', selector: 'karpenter_nodepools_limit', valuesOf: 'nodepool' }],
    panels: [
      {
        title: 'Nodes',
        description: "Nodes in Karpenter's cluster state.",
        unit: 'short',
        type: 'stat',
        targets: [{ expr: 'sum(karpenter_cluster_state_node_count)', legend: 'nodes' }],
      },
      {
        title: 'Pods waiting for capacity',
        description: 'Pods Karpenter is trying to schedule.',
        unit: 'short',
        type: 'stat',
        targets: [{ expr: 'sum(karpenter_scheduler_queue_depth)', legend: 'queued' }],
      },
      {
        title: 'NodePool usage / limit',
        description: "Provisioned capacity as a share of each NodePool's limit; at 100% Karpenter launches nothing more.",
        unit: 'percentunit',
        targets: [
          {
            expr: 'karpenter_nodepools_usage{nodepool=~"$nodepool"} / karpenter_nodepools_limit{nodepool=~"$nodepool"}',
            legend: '{{nodepool}} {{resource_type}}',
          },
        ],
      },
      {
        title: 'NodeClaims created / terminated (per hour)',
        description: 'Node churn per NodePool.',
        unit: 'short',
        targets: [
          { expr: 'sum by (nodepool) (increase(karpenter_nodeclaims_created_total{nodepool=~"$nodepool"}[1h]))', legend: 'created {{nodepool}}' },
          { expr: 'sum by (nodepool) (increase(karpenter_nodeclaims_terminated_total{nodepool=~"$nodepool"}[1h]))', legend: 'terminated {{nodepool}}' },
        ],
      },
      {
        title: 'Instance launch failures',
        description: 'CreateFleet offering failures by capacity type and EC2 reason.',
        unit: 'short',
        targets: [
          {
            expr: 'sum by (capacity_type, reason) (increase(karpenter_cloudprovider_instance_launch_failures_total[15m]))',
            legend: '{{capacity_type}} {{reason}}',
          },
        ],
      },
      {
        title: 'Interruption messages',
        description: 'Spot interruptions, rebalance recommendations, scheduled changes and state changes from the SQS queue (per hour).',
        unit: 'short',
        targets: [{ expr: 'sum by (message_type) (increase(karpenter_interruption_received_messages_total[1h]))', legend: '{{message_type}}' }],
      },
      {
        title: 'Disruption decisions',
        description: 'Voluntary disruptions (consolidation, drift, expiry) by reason and decision (per hour).',
        unit: 'short',
        targets: [{ expr: 'sum by (reason, decision) (increase(karpenter_voluntary_disruption_decisions_total[1h]))', legend: '{{reason}} {{decision}}' }],
      },
      {
        title: 'Disrupted NodeClaims',
        description: 'NodeClaims disrupted per reason and NodePool (per hour).',
        unit: 'short',
        targets: [
          { expr: 'sum by (reason, nodepool) (increase(karpenter_nodeclaims_disrupted_total{nodepool=~"$nodepool"}[1h]))', legend: '{{nodepool}} {{reason}}' },
        ],
      },
    ],
  },
  {
    // DCGM exporter default counters (NVIDIA/dcgm-exporter etc/default-counters.csv); GPU requests from kube-state-metrics
    // (resource names sanitized: nvidia.com/gpu → nvidia_com_gpu).
    uid: 'eksai-gpu',
    title: 'eksai / GPUs',
    enabled: (c) => c.gpu.dcgmExporter,
    variables: [{ name: 'node', label: 'Node', selector: 'DCGM_FI_DEV_GPU_UTIL', valuesOf: 'Hostname' }],
    panels: [
      {
        title: 'GPUs requested / allocatable',
        description: 'nvidia.com/gpu requested by pods against what GPU nodes offer.',
        unit: 'short',
        targets: [
          { expr: 'sum(kube_pod_container_resource_requests{resource="nvidia_com_gpu"})', legend: 'requested' },
          { expr: 'sum(kube_node_status_allocatable{resource="nvidia_com_gpu"})', legend: 'allocatable' },
        ],
      },
      {
        title: 'Idle GPUs',
        description: `GPUs under ${GPU_IDLE_PERCENT}% utilization over the last 30 minutes: paid for, not used.`,
        unit: 'short',
        type: 'stat',
        targets: [{ expr: `count(avg_over_time(DCGM_FI_DEV_GPU_UTIL[30m]) < ${GPU_IDLE_PERCENT}) or vector(0)`, legend: 'idle' }],
      },
      {
        title: 'GPU utilization',
        description: 'Per GPU.',
        unit: 'percent',
        targets: [{ expr: 'avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL{Hostname=~"$node"})', legend: '{{Hostname}} gpu {{gpu}}' }],
      },
      {
        title: 'GPU utilization by namespace',
        description: "Average utilization of the GPUs each namespace's pods hold.",
        unit: 'percent',
        targets: [{ expr: 'avg by (namespace) (DCGM_FI_DEV_GPU_UTIL{namespace!=""})', legend: '{{namespace}}' }],
      },
      {
        title: 'GPU memory used',
        description: "Framebuffer memory used as a share of the GPU's memory.",
        unit: 'percentunit',
        targets: [
          {
            expr: 'avg by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{Hostname=~"$node"} / (DCGM_FI_DEV_FB_USED{Hostname=~"$node"} + DCGM_FI_DEV_FB_FREE{Hostname=~"$node"}))',
            legend: '{{Hostname}} gpu {{gpu}}',
          },
        ],
      },
      {
        title: 'Power draw',
        description: 'Per GPU.',
        unit: 'watt',
        targets: [{ expr: 'avg by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE{Hostname=~"$node"})', legend: '{{Hostname}} gpu {{gpu}}' }],
      },
      {
        title: 'Temperature',
        description: 'Per GPU.',
        unit: 'celsius',
        targets: [{ expr: 'max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP{Hostname=~"$node"})', legend: '{{Hostname}} gpu {{gpu}}' }],
      },
      {
        title: 'XID errors',
        description: 'Last XID error per GPU (0 = none).',
        unit: 'short',
        targets: [{ expr: 'max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS{Hostname=~"$node"})', legend: '{{Hostname}} gpu {{gpu}}' }],
      },
    ],
  },
];

/**
 * Node cost joined to the node's Karpenter labels: kube-state-metrics exposes them on `kube_node_labels` as
 * label_karpenter_sh_nodepool / label_karpenter_sh_capacity_type because charts/kube-prometheus-stack.ts allow-lists
 * them when the cost view is on. Nodes of the core node group carry no Karpenter label: their series have it empty.
 */
const nodeCostBy = (label: string): string =>
  `sum by (${label}) (max by (node) (node_total_hourly_cost) * on (node) group_left (${label}) max by (node, ${label}) (kube_node_labels))`;

/** GPU-hours of each namespace over a window: GPUs allocated, sampled every 5 minutes, summed, in hours. */
const gpuHours = (window: string): string => `sum_over_time(sum by (namespace) (container_gpu_allocation{namespace=~"$namespace"})[${window}:5m]) * 5 / 60`;

/**
 * The cost view (charts/opencost.ts renders it when `cost.enabled`): OpenCost's price and allocation metrics plus
 * the cost recording rules of charts/monitoring-alerts.ts. Team namespaces are the team names.
 */
export const COST_DASHBOARD: DashboardSpec = {
  uid: 'eksai-cost',
  title: 'eksai / Cost',
  enabled: (c) => c.cost.enabled,
  variables: [{ name: 'namespace', label: 'Namespace', selector: COST_RECORDS.namespaceHourly, valuesOf: 'namespace' }],
  panels: [
    {
      title: 'Cluster cost per hour',
      description: "Sum of every node's hourly price (OpenCost list prices): what the cluster costs now, used or not.",
      unit: 'currencyUSD',
      type: 'stat',
      targets: [{ expr: 'sum(max by (node) (node_total_hourly_cost))', legend: 'USD/h' }],
    },
    {
      title: 'Projected monthly cost per namespace',
      description: "Last day's average hourly cost × 730 h; the budget alerts compare this with cost.budgets.",
      unit: 'currencyUSD',
      type: 'stat',
      targets: [{ expr: `sum by (namespace) (${COST_RECORDS.namespaceMonthlyProjected}{namespace=~"$namespace"})`, legend: '{{namespace}}' }],
    },
    {
      title: 'Cost per team namespace',
      description: "Hourly cost of the CPU, memory and GPUs each namespace's containers are allocated, at the prices of the nodes they run on.",
      unit: 'currencyUSD',
      targets: [{ expr: `sum by (namespace) (${COST_RECORDS.namespaceHourly}{namespace=~"$namespace"})`, legend: '{{namespace}}' }],
    },
    {
      title: 'Cost per NodePool',
      description: 'Hourly price of the nodes of each Karpenter NodePool (empty: the core node group).',
      unit: 'currencyUSD',
      targets: [{ expr: nodeCostBy('label_karpenter_sh_nodepool'), legend: '{{label_karpenter_sh_nodepool}}' }],
    },
    {
      title: 'Cost per capacity type',
      description: 'Hourly price of spot against on-demand Karpenter nodes (empty: the core node group).',
      unit: 'currencyUSD',
      targets: [{ expr: nodeCostBy('label_karpenter_sh_capacity_type'), legend: '{{label_karpenter_sh_capacity_type}}' }],
    },
    {
      title: 'GPU cost per hour by namespace',
      description: 'GPUs allocated to each namespace times the hourly GPU price of their node.',
      unit: 'currencyUSD',
      targets: [
        {
          expr: 'sum by (namespace) (sum by (namespace, node) (container_gpu_allocation{namespace=~"$namespace"}) * on (node) group_left () max by (node) (node_gpu_hourly_cost))',
          legend: '{{namespace}}',
        },
      ],
    },
    {
      title: 'GPU hours per team (last 24 h)',
      description: 'GPU-hours allocated to each namespace over the last 24 hours.',
      unit: 'short',
      targets: [{ expr: gpuHours('24h'), legend: '{{namespace}}' }],
    },
    {
      title: 'GPU hours per team (last 30 days)',
      description: "GPU-hours allocated to each namespace over the last 30 days (within Prometheus' retention).",
      unit: 'short',
      type: 'stat',
      targets: [{ expr: gpuHours('30d'), legend: '{{namespace}}' }],
    },
  ],
};

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Grafana dashboard JSON (schemaVersion 39): two panels per row, eight units high, in declaration order. */
export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  const panels = spec.panels.map((p, i) => ({
    id: i + 1,
    type: p.type ?? 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options:
      p.type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
        : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: DATASOURCE, expr: t.expr, legendFormat: t.legend })),
  }));
  const variables = spec.variables.map((v) => ({
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: `label_values(${v.selector}, ${v.valuesOf})`, refId: `${v.name}-values` },
    includeAll: true,
    allValue: '.*',
    multi: true,
    current: { text: 'All', value: '$__all' },
    refresh: 2,
    sort: 1,
  }));
  return {
    uid: spec.uid,
    title: spec.title,
    tags: ['eksai'],
    editable: false,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    timezone: 'utc',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: { text: 'Prometheus', value: 'prometheus' } },
        ...variables,
      ],
    },
    panels,
  };
}
