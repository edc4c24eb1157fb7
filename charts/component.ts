import type { Chart } from 'cdk8s';
import type { ClusterConfig } from '../lib/config/types';
import type { ChartPin } from './versions';

/** Pod Security Admission level enforced on a component's namespace. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A cluster-scoped kind a component creates (AppProject allow-list). */
export interface ClusterResource {
  readonly group: string;
  readonly kind: string;
}

/** Cluster-scoped kinds a Helm-installed operator with its own CRDs creates. */
export const OPERATOR_RESOURCES: readonly ClusterResource[] = [
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
];

/** Admission webhooks an operator registers. */
export const WEBHOOK_RESOURCES: readonly ClusterResource[] = [
  { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
  { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
];

/**
 * Sync options of objects that hold data (team namespaces with their PVCs and Secrets, StorageClasses that
 * bound volumes name, PVCs): Prune=false keeps them when their file leaves Git, and only Delete=false keeps
 * them when their Application is deleted (Argo CD user-guide/sync-options.md, "No Resource Deletion").
 */
export const KEEP_DATA = 'Prune=false,Delete=false';

/** A field of one live object that Argo CD leaves alone (Application spec.ignoreDifferences). */
export interface IgnoreDifference {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly jsonPointers: readonly string[];
}

/** A Helm chart deployed by Argo CD with values built from typed config (no helm binary at synth). */
export interface HelmRelease extends ChartPin {
  readonly releaseName: string;
  readonly values: Record<string, unknown>;
}

/**
 * One platform component = one child Argo CD Application = (optionally) one dist folder of plain
 * manifests, `dist/<cluster>/<name>/`. Components are data (charts/index.ts lists them in order);
 * the app-of-apps is generated from the enabled ones.
 */
export interface Component {
  /** Chart id = dist folder = Application name suffix. */
  readonly name: string;
  /** One line for the AppProject/Application description. */
  readonly description: string;
  /** Namespace the Application deploys into. */
  readonly namespace: string;
  /** PSA level for the namespace (set through managedNamespaceMetadata); undefined leaves it unlabelled (kube-system). */
  readonly podSecurity?: PodSecurityLevel;
  /** Argo CD sync wave of the child Application (see SYNC_WAVES). */
  readonly wave: number;
  readonly enabled: (cluster: ClusterConfig) => boolean;
  /** The Helm chart this component deploys, if any. */
  readonly helm?: (cluster: ClusterConfig) => HelmRelease;
  /** Builds the component's plain manifests into its chart, if any. */
  readonly build?: (chart: Chart, cluster: ClusterConfig) => void;
  /** Extra Argo CD syncOptions (ServerSideApply for big CRDs, SkipDryRunOnMissingResource for CRs). */
  readonly syncOptions?: readonly string[];
  /** Cluster-scoped kinds this component creates, for the AppProject allow-list. */
  readonly clusterResources?: readonly ClusterResource[];
  /** Fields Argo CD neither diffs nor overwrites (pair with `RespectIgnoreDifferences=true` in syncOptions), e.g. values a chart generates at random on every render. */
  readonly ignoreDifferences?: readonly IgnoreDifference[];
  /** Further namespaces the component's manifests deploy into (e.g. one per team), for the AppProject destinations. */
  readonly namespaces?: (cluster: ClusterConfig) => readonly string[];
  /** 'manual': the child Application never syncs by itself, whatever gitops.sync says (smoke tests run only when someone syncs). */
  readonly syncPolicy?: 'manual';
}

/**
 * Sync waves of child Applications, in one table. Argo CD orders them only with the Application
 * health check restored (apps/argocd-cm.ts): CNI first, then the node provisioner and its CRDs, then
 * the CRs that need them, then workloads.
 */
export const SYNC_WAVES = {
  cni: -30,
  provisioner: -20,
  nodes: -10,
  /** Volcano: its PodGroup CRD must exist before the KubeRay operator starts (KubeRay 1.7 batchscheduler/volcano ConfigureReconciler: `b.Owns(&PodGroup{})`, a watch that fails without the CRD). */
  batchScheduler: -5,
  platform: 0,
  tenants: 10,
  workloads: 20,
  smoke: 30,
} as const;

/**
 * Namespaces and pod labels other components rely on (NetworkPolicies, monitors, RAY_ADDRESS): one
 * table so a rename is one edit. Team namespaces are the team names (lib/config/normalize.ts).
 */
export const PLATFORM_NAMESPACES = {
  jupyterhub: 'jupyterhub',
  monitoring: 'monitoring',
} as const;

/** Labels z2jh puts on single-user notebook pods (team NetworkPolicies admit them to the Ray head). */
export const NOTEBOOK_POD_LABELS = { app: 'jupyterhub', component: 'singleuser-server' } as const;

/** Labels of the Prometheus pods kube-prometheus-stack runs (team NetworkPolicies admit scrapes from them). */
export const PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus' } as const;
