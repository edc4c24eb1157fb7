import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as mon from '../imports/monitoring.coreos.com';
import type { ClusterConfig } from '../lib/config/types';
import { RAY_PORTS } from '../lib/config/defaults';
import { PLATFORM_NAMESPACES, SYNC_WAVES, type Component } from './component';
import { karpenter, KARPENTER_NAMESPACE } from './karpenter';
import { KUBERAY_NAMESPACE } from './kuberay-operator';
import { GRAFANA_DASHBOARD_LABEL } from './kube-prometheus-stack';
import { ALERT_GROUPS, type AlertRule, type RecordingRule } from './monitoring-alerts';
import { DASHBOARDS, dashboardJson, type DashboardSpec } from './monitoring-dashboards';
import { dcgmExporter } from './nvidia';
import { HUB_METRICS, HUB_POD_LABELS, jupyterhub } from './jupyterhub';
import { VOLCANO_NAMESPACE, volcano } from './volcano';

/** Name of the container port Ray pods expose their metrics on (KubeRay's default `metrics` port, RAY_PORTS.metrics). */
export const RAY_METRICS_PORT_NAME = 'metrics';

/** KubeRay's pod label telling head from worker pods (ray-operator/controllers/ray/utils/constant.go RayNodeTypeLabelKey). */
export const RAY_NODE_TYPE_LABEL = 'ray.io/node-type';

/**
 * One scrape target: which Service (ServiceMonitor) or Pod (PodMonitor) labels, in which namespace, on which
 * named port. Every selector names its upstream source; tests check each against those sources' labels and ports.
 */
export interface ScrapeTarget {
  /** ServiceMonitor / PodMonitor metadata.name. */
  readonly name: string;
  readonly kind: 'ServiceMonitor' | 'PodMonitor';
  /** Namespace of the target; undefined = every namespace. */
  readonly namespace?: string;
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: 'In' | 'Exists'; readonly values?: readonly string[] }[];
  /** Service port name (ServiceMonitor) or container port name (PodMonitor). */
  readonly port: string;
  /** Keep the target's own `namespace`/`name`/`pod` labels (they describe the workload, not the exporter). */
  readonly honorLabels?: boolean;
  /** Pod labels copied onto every series. */
  readonly podTargetLabels?: readonly string[];
  /** HTTP path of the metrics. @default '/metrics' */
  readonly path?: string;
}

interface TargetSource {
  readonly enabled: (cluster: ClusterConfig) => boolean;
  readonly target: (cluster: ClusterConfig) => ScrapeTarget;
}

const releaseOf = (c: Component, cluster: ClusterConfig): string => c.helm!(cluster).releaseName;

/** Everything the platform scrapes besides what kube-prometheus-stack monitors itself, each only when its component is on. */
export const SCRAPE_TARGETS: readonly TargetSource[] = [
  {
    // Ray heads and workers of every team: KubeRay labels its pods ray.io/node-type head|worker and gives the
    // Ray container a `metrics` port (8080); podTargetLabels add ray_io_cluster / ray_io_node_type to the series.
    enabled: (c) => c.kuberay.enabled,
    target: () => ({
      name: 'ray',
      kind: 'PodMonitor',
      matchExpressions: [{ key: RAY_NODE_TYPE_LABEL, operator: 'In', values: ['head', 'worker'] }],
      port: RAY_METRICS_PORT_NAME,
      podTargetLabels: ['ray.io/cluster', RAY_NODE_TYPE_LABEL],
    }),
  },
  {
    // kuberay-operator chart 1.7 templates/service.yaml: labels app.kubernetes.io/name: kuberay-operator, port `http` (8080).
    // honorLabels: the kuberay_* series carry the RayCluster's/RayJob's own name and namespace.
    enabled: (c) => c.kuberay.enabled,
    target: () => ({
      name: 'kuberay-operator',
      kind: 'ServiceMonitor',
      namespace: KUBERAY_NAMESPACE,
      matchLabels: { 'app.kubernetes.io/name': 'kuberay-operator' },
      port: 'http',
      honorLabels: true,
    }),
  },
  {
    // karpenter chart templates/service.yaml: Service `karpenter`, selector labels name + instance, port `http-metrics` (8080).
    enabled: (c) => karpenter.enabled(c),
    target: (c) => ({
      name: 'karpenter',
      kind: 'ServiceMonitor',
      namespace: KARPENTER_NAMESPACE,
      matchLabels: { 'app.kubernetes.io/name': 'karpenter', 'app.kubernetes.io/instance': releaseOf(karpenter, c) },
      port: 'http-metrics',
    }),
  },
  {
    // cilium chart templates/cilium-agent/service.yaml (rendered by prometheus.metricsService): Service `cilium-agent`,
    // labels k8s-app: cilium + app.kubernetes.io/name: cilium-agent, port `metrics` (9962). honorLabels as upstream's own monitor.
    enabled: (c) => c.cilium.enabled,
    target: () => ({
      name: 'cilium-agent',
      kind: 'ServiceMonitor',
      namespace: 'kube-system',
      matchLabels: { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent' },
      port: 'metrics',
      honorLabels: true,
    }),
  },
  {
    // cilium chart templates/cilium-operator/service.yaml (operator.prometheus.metricsService): labels io.cilium/app: operator,
    // name: cilium-operator, port `metrics` (9963).
    enabled: (c) => c.cilium.enabled,
    target: () => ({
      name: 'cilium-operator',
      kind: 'ServiceMonitor',
      namespace: 'kube-system',
      matchLabels: { 'io.cilium/app': 'operator', name: 'cilium-operator' },
      port: 'metrics',
    }),
  },
  {
    // cilium chart templates/hubble/metrics-service.yaml (hubble.metrics.enabled): Service `hubble-metrics`, label k8s-app: hubble,
    // port `hubble-metrics` (9965).
    enabled: (c) => c.cilium.enabled && c.cilium.hubble,
    target: () => ({
      name: 'hubble',
      kind: 'ServiceMonitor',
      namespace: 'kube-system',
      matchLabels: { 'k8s-app': 'hubble' },
      port: 'hubble-metrics',
      honorLabels: true,
    }),
  },
  {
    // dcgm-exporter chart templates/service.yaml + _helpers.tpl selectorLabels: name + instance, port `metrics` (9400).
    // honorLabels: DCGM_* series carry the namespace/pod of the workload holding the GPU.
    enabled: (c) => dcgmExporter.enabled(c),
    target: (c) => ({
      name: 'dcgm-exporter',
      kind: 'ServiceMonitor',
      namespace: dcgmExporter.namespace,
      matchLabels: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': releaseOf(dcgmExporter, c) },
      port: 'metrics',
      honorLabels: true,
    }),
  },
  {
    // volcano chart templates/scheduler.yaml: Service `<release>-scheduler-service`, label app: volcano-scheduler, port `metrics`
    // (8080, served with custom.scheduler_metrics_enable).
    enabled: (c) => volcano.enabled(c),
    target: () => ({
      name: 'volcano-scheduler',
      kind: 'ServiceMonitor',
      namespace: VOLCANO_NAMESPACE,
      matchLabels: { app: 'volcano-scheduler' },
      port: 'metrics',
    }),
  },
  {
    // z2jh 4.4 templates/hub/service.yaml: Service `hub`, labels from jupyterhub.labels (app: jupyterhub, component: hub),
    // port `hub` 8081; metrics at /hub/metrics without a token (hub.authenticatePrometheus: false in charts/jupyterhub.ts).
    enabled: (c) => jupyterhub.enabled(c),
    target: () => ({
      name: 'jupyterhub',
      kind: 'ServiceMonitor',
      namespace: jupyterhub.namespace,
      matchLabels: { ...HUB_POD_LABELS },
      port: HUB_METRICS.portName,
      path: HUB_METRICS.path,
    }),
  },
];

/** The scrape targets of a cluster's enabled components. */
export function scrapeTargets(cluster: ClusterConfig): ScrapeTarget[] {
  return SCRAPE_TARGETS.filter((s) => s.enabled(cluster)).map((s) => s.target(cluster));
}

/** Props of the monitoring chart. */
export interface MonitoringChartProps {
  readonly cluster: ClusterConfig;
}

/**
 * Monitors, alert rules and dashboards for the components enabled on the cluster, in the monitoring namespace
 * (kube-prometheus-stack's Prometheus selects them from every namespace; the Grafana sidecar loads the dashboards).
 */
export class MonitoringChart extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringChartProps) {
    super(scope, id);
    const { cluster } = props;
    const namespace = PLATFORM_NAMESPACES.monitoring;
    for (const t of scrapeTargets(cluster)) {
      const selector = {
        matchLabels: t.matchLabels ? { ...t.matchLabels } : undefined,
        matchExpressions: t.matchExpressions?.map((e) => ({ ...e, values: e.values ? [...e.values] : undefined })),
      };
      const namespaceSelector = t.namespace === undefined ? { any: true } : { matchNames: [t.namespace] };
      const metadata = { name: t.name, namespace };
      if (t.kind === 'PodMonitor') {
        new mon.PodMonitor(this, t.name, {
          metadata,
          spec: {
            selector,
            namespaceSelector,
            podTargetLabels: t.podTargetLabels ? [...t.podTargetLabels] : undefined,
            podMetricsEndpoints: [{ port: t.port, path: t.path ?? '/metrics', honorLabels: t.honorLabels }],
          },
        });
      } else {
        new mon.ServiceMonitor(this, t.name, {
          metadata,
          spec: { selector, namespaceSelector, endpoints: [{ port: t.port, path: t.path ?? '/metrics', honorLabels: t.honorLabels }] },
        });
      }
    }
    for (const group of ALERT_GROUPS.filter((g) => g.enabled(cluster))) new RuleGroup(this, group.name, { namespace, group });
    for (const d of DASHBOARDS.filter((x) => x.enabled(cluster))) new DashboardConfigMap(this, `dashboard-${d.uid}`, { namespace, dashboard: d });
  }
}

/** One PrometheusRule holding one rule group: recording rules first, then the alerts. */
export class RuleGroup extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly namespace: string;
      readonly group: { readonly name: string; readonly records?: readonly RecordingRule[]; readonly rules: readonly AlertRule[] };
    },
  ) {
    super(scope, id);
    const { group, namespace } = props;
    new mon.PrometheusRule(this, 'Resource', {
      metadata: { name: group.name, namespace },
      spec: {
        groups: [
          {
            name: group.name,
            rules: [
              ...(group.records ?? []).map((r) => ({ record: r.record, expr: mon.PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
              ...group.rules.map((r) => ({
                alert: r.alert,
                expr: mon.PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
                for: r.for,
                labels: { severity: r.severity },
                annotations: { summary: r.summary, description: r.description },
              })),
            ],
          },
        ],
      },
    });
  }
}

/** A Grafana dashboard as a ConfigMap labelled for the Grafana sidecar (which loads it from any namespace). */
export class DashboardConfigMap extends Construct {
  constructor(scope: Construct, id: string, props: { readonly namespace: string; readonly dashboard: DashboardSpec }) {
    super(scope, id);
    const d = props.dashboard;
    new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `grafana-dashboard-${d.uid.replace(/^eksai-/, '')}`, namespace: props.namespace, labels: { ...GRAFANA_DASHBOARD_LABEL } },
      data: { [`${d.uid}.json`]: `${JSON.stringify(dashboardJson(d), null, 2)}\n` },
    });
  }
}

/** Port Ray's metrics agent listens on in every Ray container (KubeRay default); kept next to its name for the teams' RayClusters. */
export const RAY_METRICS_PORT = RAY_PORTS.metrics;

/** Monitors, rules and dashboards (plain manifests) after kube-prometheus-stack has installed their CRDs. */
export const monitoring: Component = {
  name: 'monitoring',
  description: 'ServiceMonitors, PodMonitors, alert rules and Grafana dashboards for the enabled platform components',
  namespace: PLATFORM_NAMESPACES.monitoring,
  wave: SYNC_WAVES.tenants,
  enabled: (c) => c.observability.enabled,
  build: (chart, cluster) => new MonitoringChart(chart, 'Resource', { cluster }),
  // The monitoring.coreos.com CRDs come from the kube-prometheus-stack Application (an earlier wave).
  syncOptions: ['SkipDryRunOnMissingResource=true'],
};
