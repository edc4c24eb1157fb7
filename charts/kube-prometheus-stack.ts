import type { ClusterConfig } from '../lib/config/types';
import { OPERATOR_RESOURCES, PLATFORM_NAMESPACES, SYNC_WAVES, WEBHOOK_RESOURCES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { GP3_STORAGE_CLASS } from './storage';
import { CHARTS } from './versions';

/** Helm release name: prefixes every object the chart names (Prometheus CR `kube-prometheus-stack-prometheus`, …). */
export const KUBE_PROMETHEUS_STACK_RELEASE = 'kube-prometheus-stack';

/** Label (and value) the Grafana dashboards sidecar watches for in every namespace; charts/monitoring.ts puts it on its dashboards. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;

/**
 * Secret (in the monitoring namespace) holding Grafana's admin login, created out of band:
 * `kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin --from-literal=admin-password=…`.
 * Referenced, never rendered: without it the chart would ship its well-known default password.
 */
export const GRAFANA_ADMIN_SECRET = { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' } as const;

/** Karpenter's node labels the cost view (charts/opencost.ts) groups by; kube-state-metrics allow-lists them on kube_node_labels. */
export const KARPENTER_COST_LABELS = ['karpenter.sh/nodepool', 'karpenter.sh/capacity-type'] as const;

type Tolerations = readonly { readonly key?: string; readonly operator: string; readonly effect?: string }[];
type NodeSelector = Readonly<Record<string, string>>;

/** Where a component's pods run. */
interface Placement {
  readonly nodeSelector: NodeSelector;
  readonly tolerations: Tolerations;
}

/**
 * Values of kube-prometheus-stack 88.5.3 that eksai sets (the chart ships no values schema, so they are typed
 * here). Keys checked against the chart's values.yaml (prometheus-community/helm-charts,
 * charts/kube-prometheus-stack/values.yaml) and the grafana / kube-state-metrics / prometheus-node-exporter
 * subcharts' values.
 */
export interface KubePrometheusStackValues {
  readonly crds: { readonly enabled: true; readonly upgradeJob: { readonly enabled: false } };
  /** Rule groups for control-plane parts EKS runs and hides (or Cilium replaces): they could only ever fire "down". */
  readonly defaultRules: {
    readonly rules: Readonly<Record<'etcd' | 'kubeControllerManager' | 'kubeProxy' | 'kubeSchedulerAlerting' | 'kubeSchedulerRecording', false>>;
  };
  readonly kubeControllerManager: { readonly enabled: false };
  readonly kubeScheduler: { readonly enabled: false };
  readonly kubeEtcd: { readonly enabled: false };
  readonly kubeProxy: { readonly enabled: false };
  readonly prometheusOperator: Placement & { readonly admissionWebhooks: { readonly patch: Placement } };
  readonly prometheus: {
    readonly prometheusSpec: Placement & {
      readonly retention: string;
      readonly retentionSize: string;
      readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string } };
      readonly serviceMonitorSelectorNilUsesHelmValues: false;
      readonly podMonitorSelectorNilUsesHelmValues: false;
      readonly ruleSelectorNilUsesHelmValues: false;
      readonly storageSpec: {
        readonly volumeClaimTemplate: {
          readonly spec: {
            readonly storageClassName: string;
            readonly accessModes: readonly ['ReadWriteOnce'];
            readonly resources: { readonly requests: { readonly storage: string } };
          };
        };
      };
    };
  };
  readonly alertmanager: {
    readonly enabled: boolean;
    readonly alertmanagerSpec: Placement & { readonly configSecret?: string; readonly useExistingSecret?: true };
  };
  readonly grafana: Placement & {
    readonly enabled: boolean;
    readonly admin: typeof GRAFANA_ADMIN_SECRET;
    readonly sidecar: { readonly dashboards: { readonly enabled: true; readonly label: string; readonly labelValue: string; readonly searchNamespace: 'ALL' } };
  };
  /** metricLabelsAllowlist: `<resource>=[<label>,…]` entries, Kubernetes labels kube-state-metrics copies onto `kube_<resource>_labels`. */
  readonly 'kube-state-metrics': Placement & { readonly metricLabelsAllowlist?: readonly string[] };
  readonly 'prometheus-node-exporter': { readonly tolerations: Tolerations };
}

const CORE: Placement = { nodeSelector: CORE_NODE_SELECTOR, tolerations: CORE_TOLERATIONS };

/**
 * Size-based retention at 85% of the volume: Prometheus drops the oldest blocks before the disk fills (a full
 * TSDB volume crash-loops Prometheus). Prometheus' `GB` is GiB (base 2).
 */
export function retentionSize(volumeGiB: number): string {
  return `${Math.floor(volumeGiB * 0.85)}GB`;
}

export function kubePrometheusStackValues(cluster: ClusterConfig): KubePrometheusStackValues {
  const { prometheus, grafana, alertmanager, alertmanagerConfigSecret: configSecret } = cluster.observability;
  const [dashboardLabel, dashboardValue] = Object.entries(GRAFANA_DASHBOARD_LABEL)[0]!;
  return {
    // Argo CD applies the chart's CRDs itself (server-side) on every sync, unlike `helm upgrade`: no need for the
    // chart's CRD upgrade Job and the cluster-wide CRD write access it carries.
    crds: { enabled: true, upgradeJob: { enabled: false } },
    defaultRules: { rules: { etcd: false, kubeControllerManager: false, kubeProxy: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false } },
    // EKS runs the control plane out of reach of in-cluster scrapes; kube-proxy is replaced by Cilium.
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    prometheusOperator: { ...CORE, admissionWebhooks: { patch: CORE } },
    prometheus: {
      prometheusSpec: {
        ...CORE,
        retention: prometheus.retention,
        retentionSize: retentionSize(prometheus.volumeGiB),
        resources: { requests: { cpu: '500m', memory: '2Gi' } },
        // false: an empty selector selects every ServiceMonitor/PodMonitor/PrometheusRule in every namespace,
        // not only those labelled with this Helm release (which ours and the teams' would not be).
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        storageSpec: {
          volumeClaimTemplate: {
            spec: { storageClassName: GP3_STORAGE_CLASS, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${prometheus.volumeGiB}Gi` } } },
          },
        },
      },
    },
    // configSecret: the Alertmanager CR reads the configuration from that Secret; useExistingSecret stops the chart
    // rendering its own (unused) default one (chart 88.5.3 templates/alertmanager/secret.yaml).
    alertmanager: { enabled: alertmanager, alertmanagerSpec: configSecret ? { ...CORE, configSecret, useExistingSecret: true } : CORE },
    grafana: {
      enabled: grafana,
      ...CORE,
      admin: GRAFANA_ADMIN_SECRET,
      sidecar: { dashboards: { enabled: true, label: dashboardLabel, labelValue: dashboardValue, searchNamespace: 'ALL' } },
    },
    // kube_node_labels carries only name labels unless allow-listed (kube-state-metrics values.yaml metricLabelsAllowlist):
    // the cost view groups node cost by Karpenter's NodePool and capacity-type labels.
    'kube-state-metrics': cluster.cost.enabled ? { ...CORE, metricLabelsAllowlist: [`nodes=[${KARPENTER_COST_LABELS.join(',')}]`] } : CORE,
    // Every node, GPU nodes and not-yet-ready nodes included: tolerate every taint.
    'prometheus-node-exporter': { tolerations: [{ operator: 'Exists' }] },
  };
}

/** kube-prometheus-stack (Helm): Prometheus Operator and its CRDs, Prometheus, Alertmanager, Grafana, exporters. */
export const kubePrometheusStack: Component = {
  name: 'kube-prometheus-stack',
  description: 'Prometheus Operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter',
  namespace: PLATFORM_NAMESPACES.monitoring,
  // node-exporter needs hostNetwork, hostPID and hostPath, which only `privileged` admits.
  podSecurity: 'privileged',
  wave: SYNC_WAVES.platform,
  enabled: (c) => c.observability.enabled,
  helm: (cluster): HelmRelease => ({
    ...CHARTS.kubePrometheusStack,
    releaseName: KUBE_PROMETHEUS_STACK_RELEASE,
    values: { ...kubePrometheusStackValues(cluster) },
  }),
  // The prometheuses/alertmanagers CRDs are ~0.8 MB, over the client-side apply annotation limit.
  syncOptions: ['ServerSideApply=true'],
  clusterResources: [...OPERATOR_RESOURCES, ...WEBHOOK_RESOURCES],
};
