import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { RAY_PORTS } from '../lib/config/defaults';
import type { ClusterConfig, Team } from '../lib/config/types';
import { KEEP_DATA, NOTEBOOK_POD_LABELS, PLATFORM_NAMESPACES, PROMETHEUS_POD_LABELS, SYNC_WAVES, type Component, type PodSecurityLevel } from './component';
import { KUBERAY_NAMESPACE } from './kuberay-operator';
import { sharedClaim } from './storage';

/**
 * PSA level of team namespaces. `restricted` holds because every Ray pod eksai renders complies: the
 * rayproject/ray images run as the non-root user `ray` (uid 1000, gid 100), and charts/ray-clusters.ts
 * sets runAsNonRoot with that uid, RuntimeDefault seccomp, no privilege escalation and drops ALL
 * capabilities on the Ray container and the autoscaler sidecar; KubeRay copies the Ray container's
 * securityContext into the wait-gcs-ready init container it injects (kuberay common/pod.go).
 */
export const TEAM_POD_SECURITY: PodSecurityLevel = 'restricted';

/** Labels KubeRay puts on every pod of a RayCluster (kuberay 1.7.0 utils/constant.go, common/pod.go labelPod). */
export const RAY_CLUSTER_LABEL = 'ray.io/cluster';
export const RAY_NODE_TYPE_LABEL = 'ray.io/node-type';
export const RAY_NODE_LABEL = 'ray.io/is-ray-node';

/** Label on every team namespace (and Ray pod template): which team it belongs to. */
export const TEAM_LABEL = 'eksai.io/team';

/** EKS Pod Identity agent (a node-local link-local address): where pods get AWS credentials, e.g. for S3. */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 } as const;

const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const namespaceIs = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });

/** Props of the teams chart. */
export interface TeamsChartProps {
  readonly cluster: ClusterConfig;
}

/** Per team: Namespace (PSA restricted), ResourceQuota, LimitRange and NetworkPolicies. */
export class TeamsChart extends Construct {
  constructor(scope: Construct, id: string, props: TeamsChartProps) {
    super(scope, id);
    for (const team of props.cluster.teams) this.team(team);
  }

  private team(team: Team): void {
    const namespace = team.namespace;
    const id = (name: string) => `${team.name}-${name}`;
    new ApiObject(this, id('namespace'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        // Removing a team from the config must not delete what lives in its namespace (PVCs, RayJobs,
        // results) through an automated prune: the namespace stays until an admin deletes it.
        annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA },
        labels: {
          [TEAM_LABEL]: team.name,
          'pod-security.kubernetes.io/enforce': TEAM_POD_SECURITY,
          'pod-security.kubernetes.io/audit': TEAM_POD_SECURITY,
          'pod-security.kubernetes.io/warn': TEAM_POD_SECURITY,
        },
      },
    });
    if (team.sharedStorage) sharedClaim(this, id('shared'), team.sharedStorage, namespace, team.sharedStorage.claimName);
    new ApiObject(this, id('quota'), {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'team', namespace },
      spec: { hard: quotaHard(team) },
    });
    new ApiObject(this, id('limits'), {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'container-defaults', namespace },
      spec: {
        limits: [{ type: 'Container', defaultRequest: { ...team.containerDefaults.request }, default: { ...team.containerDefaults.limit } }],
      },
    });
    // The team's AWS identity: EKS Pod Identity binds it to the team's IAM role (terraform/bootstrap/s3.tf).
    if (team.s3) new ApiObject(this, id('service-account'), teamServiceAccountManifest(team, namespace));
    for (const [name, spec] of networkPolicies(team)) {
      new ApiObject(this, id(`netpol-${name}`), { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
    }
  }
}

/**
 * The ServiceAccount a team with S3 access runs as, in `namespace` (its own, and the jupyterhub namespace
 * for notebooks). No annotation: EKS Pod Identity finds the role by (namespace, name) association.
 */
export function teamServiceAccountManifest(team: Team, namespace: string): { apiVersion: string; kind: string; metadata: Record<string, unknown> } {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: team.s3!.serviceAccount, namespace, labels: { [TEAM_LABEL]: team.name } } };
}

/** ResourceQuota spec.hard from the team quota; keys are the Kubernetes quota resource names. */
export function quotaHard(team: Team): Record<string, string> {
  const q = team.quota;
  const hard: Record<string, string | number | undefined> = {
    'requests.cpu': q.requests.cpu,
    'requests.memory': q.requests.memory,
    'limits.cpu': q.limits.cpu,
    'limits.memory': q.limits.memory,
    'requests.nvidia.com/gpu': q.gpu,
    pods: q.pods,
    persistentvolumeclaims: q.persistentVolumeClaims,
    'requests.storage': q.storage,
  };
  return Object.fromEntries(
    Object.entries(hard)
      .filter((e): e is [string, string | number] => e[1] !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}

/**
 * The team's NetworkPolicies (name → spec). Decisions:
 * - DNS: egress to kube-dns in kube-system on UDP and TCP 53 (TCP for truncated answers).
 * - Ray pods of the team talk to each other on any port (GCS, raylets, object manager and worker ports
 *   are many and partly random). "Ray pods of the team" = KubeRay's `ray.io/is-ray-node: yes` plus the
 *   team label eksai puts on every pod template: the team's RayCluster and the clusters RayJobs create
 *   (the smoke RayJob's; KubeRay names those clusters itself, so `ray.io/cluster` cannot select them).
 * - Ray head client (10001) and dashboard/job API (8265): from notebook pods in the JupyterHub
 *   namespace, from any pod of the team namespace (RayJob submitters, ad-hoc drivers), and the
 *   dashboard from the KubeRay operator (it polls job status of RayJobs that use this cluster).
 * - Ray metrics (8080) on every Ray pod: from Prometheus in the monitoring namespace.
 * - HTTPS egress (TCP 443, any address) from Ray pods: pip/uv and Hugging Face downloads for
 *   runtime_env, S3 (public endpoints or a gateway endpoint, both 443), and the head's autoscaler
 *   sidecar calling the Kubernetes API. On EKS the API server is reached through the
 *   `kubernetes.default` ClusterIP, which Cilium (kube-proxy-free) translates to the cluster's API
 *   endpoint ENIs in the VPC (or the public endpoint) on 443 before policy applies, so a rule on the
 *   ClusterIP would never match; their IPs are not fixed, so 443 to any address covers them. Plus TCP
 *   80 to the Pod Identity agent (169.254.170.23) for AWS credentials. Nothing else leaves.
 */
export function networkPolicies(team: Team): [string, Record<string, unknown>][] {
  const rayPods = { matchLabels: { [RAY_NODE_LABEL]: 'yes', [TEAM_LABEL]: team.name } };
  const rayHead = { matchLabels: { [RAY_NODE_LABEL]: 'yes', [TEAM_LABEL]: team.name, [RAY_NODE_TYPE_LABEL]: 'head' } };
  const policies: [string, Record<string, unknown>][] = [
    ['default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
    [
      'allow-dns',
      {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: namespaceIs('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    ],
  ];
  if (!team.ray.enabled) return policies;
  policies.push(
    [
      'ray-internal',
      {
        podSelector: rayPods,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: rayPods }] }],
        egress: [{ to: [{ podSelector: rayPods }] }],
      },
    ],
    [
      'ray-head-clients',
      {
        podSelector: rayHead,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: namespaceIs(PLATFORM_NAMESPACES.jupyterhub), podSelector: { matchLabels: { ...NOTEBOOK_POD_LABELS } } },
              { podSelector: {} },
            ],
            ports: tcp(RAY_PORTS.client, RAY_PORTS.dashboard),
          },
          { from: [{ namespaceSelector: namespaceIs(KUBERAY_NAMESPACE) }], ports: tcp(RAY_PORTS.dashboard) },
        ],
      },
    ],
    [
      'to-ray-head',
      { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: rayHead }], ports: tcp(RAY_PORTS.client, RAY_PORTS.dashboard) }] },
    ],
    [
      'ray-metrics',
      {
        podSelector: rayPods,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: namespaceIs(PLATFORM_NAMESPACES.monitoring), podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } } }],
            ports: tcp(RAY_PORTS.metrics),
          },
        ],
      },
    ],
    [
      'ray-egress-https',
      {
        podSelector: rayPods,
        policyTypes: ['Egress'],
        egress: [
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) },
          { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: tcp(POD_IDENTITY_AGENT.port) },
        ],
      },
    ],
  );
  return policies;
}

/** Team namespaces with quotas, container defaults and default-deny NetworkPolicies (plain manifests). */
export const teams: Component = {
  name: 'teams',
  description: 'Team namespaces: PSA restricted, ResourceQuota, LimitRange, NetworkPolicies',
  // Every object names its own namespace; kube-system is only the Application's default destination.
  namespace: 'kube-system',
  wave: SYNC_WAVES.tenants,
  enabled: (c) => c.teams.length > 0,
  build: (chart, cluster) => new TeamsChart(chart, 'Resource', { cluster }),
  namespaces: (cluster) => cluster.teams.map((t) => t.namespace),
};
