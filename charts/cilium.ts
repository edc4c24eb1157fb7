import type { ClusterConfig } from '../lib/config/types';
import { SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { CHARTS } from './versions';

/** Service account of the operator: terraform/bootstrap binds its EC2 role to kube-system/<this> by EKS Pod Identity. */
export const CILIUM_OPERATOR_SERVICE_ACCOUNT = 'cilium-operator';

/**
 * The operator runs on the core node group (the only nodes that exist when Terraform installs Cilium).
 * A list replaces the chart's list, so this repeats the chart 1.19.4 defaults that matter on EKS
 * (values.yaml operator.tolerations: not-ready, uninitialized; the agent-not-ready toleration is always
 * added by the chart) and adds the core nodes' CriticalAddonsOnly taint.
 */
export const CILIUM_OPERATOR_TOLERATIONS = [
  ...CORE_TOLERATIONS,
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
  { key: 'node.cloudprovider.kubernetes.io/uninitialized', operator: 'Exists' },
] as const;

/** Namespace the chart creates for TLS interception secrets (cilium 1.19.4 values.yaml `tls.secretsNamespace.name`). */
export const CILIUM_SECRETS_NAMESPACE = 'cilium-secrets';

/** Hubble metrics exported to Prometheus. */
export const HUBBLE_METRICS = ['dns', 'drop', 'tcp', 'flow', 'port-distribution', 'icmp', 'httpV2'] as const;

/**
 * Values of the Cilium chart for EKS: ENI IPAM (pod IPs from VPC ENIs, native routing) and
 * kube-proxy-free, which needs the API server's hostname because the kubernetes Service does not
 * exist yet when the agent starts. No `tolerations` key: custom tolerations replace the chart's own
 * toleration of its startup taint and deadlock new nodes.
 */
export function ciliumValues(cluster: ClusterConfig): Record<string, unknown> {
  return {
    kubeProxyReplacement: true,
    k8sServiceHost: cluster.facts.endpointHost,
    k8sServicePort: 443,
    eni: { enabled: true, awsEnablePrefixDelegation: true },
    ipam: { mode: 'eni' },
    routingMode: 'native',
    // metricsService: a headless Service per metrics endpoint (agent :9962 `metrics`, operator :9963 `metrics`)
    // without the chart's own ServiceMonitors, whose CRD does not exist yet in this first wave; charts/monitoring.ts selects them.
    operator: {
      replicas: cluster.cilium.operatorReplicas,
      nodeSelector: CORE_NODE_SELECTOR,
      tolerations: CILIUM_OPERATOR_TOLERATIONS,
      prometheus: { enabled: true, metricsService: true },
    },
    serviceAccounts: { operator: { name: CILIUM_OPERATOR_SERVICE_ACCOUNT } },
    prometheus: { enabled: true, metricsService: true },
    // The relay runs on the core nodes too: when Cilium first syncs they are the only nodes (Karpenter
    // comes in a later wave, and that wave waits for this Application to be healthy).
    hubble: cluster.cilium.hubble
      ? {
          enabled: true,
          metrics: { enabled: [...HUBBLE_METRICS] },
          relay: { enabled: true, nodeSelector: CORE_NODE_SELECTOR, tolerations: CORE_TOLERATIONS },
          // mTLS certs from a certgen Job + CronJob in the cluster (values.yaml `hubble.tls.auto.method`:
          // helm | cronJob | certmanager). The default `helm` generates a new CA on every render: Argo CD
          // would see a permanent diff and self-heal would rotate the CA on every sync. cronJob renders the
          // same manifests every time (the Job name is a checksum of its spec) and renews on its schedule.
          tls: { auto: { enabled: true, method: 'cronJob' } },
        }
      : { enabled: false },
    // The certgen Job runs in the first wave too, when the (CriticalAddonsOnly-tainted) core nodes are the only
    // nodes: without this placement it stays Pending and the cilium Application never turns Healthy
    // (templates/hubble/tls-cronjob/_job-spec.tpl reads certgen.nodeSelector / certgen.tolerations).
    ...(cluster.cilium.hubble ? { certgen: { nodeSelector: CORE_NODE_SELECTOR, tolerations: CORE_TOLERATIONS } } : {}),
  };
}

/** Cilium CNI (Helm), the first wave: nothing schedules before the CNI is up. */
export const cilium: Component = {
  name: 'cilium',
  description: 'Cilium CNI, kube-proxy-free, ENI IPAM, Hubble',
  namespace: 'kube-system',
  wave: SYNC_WAVES.cni,
  enabled: (c) => c.cilium.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.cilium, releaseName: 'cilium', values: ciliumValues(cluster) }),
  syncOptions: ['ServerSideApply=true'],
  // What the chart renders with these values (test/apps/project-render.test.ts renders it): RBAC, and the
  // Namespace `cilium-secrets` with Roles in it (templates/cilium-secrets-namespace.yaml: values.yaml
  // `tls.secretsNamespace` defaults to create: true, name: cilium-secrets).
  clusterResources: [
    { group: '', kind: 'Namespace' },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  ],
  namespaces: () => [CILIUM_SECRETS_NAMESPACE],
};
