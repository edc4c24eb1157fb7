import type { ClusterConfig } from '../lib/config/types';
import { OPERATOR_RESOURCES, SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CHARTS } from './versions';

/** Label and taint of the small managed node group system pods run on (terraform/bootstrap creates it). */
export const CORE_NODE_SELECTOR = { 'eksai.io/node-group': 'core' } as const;
export const CORE_TOLERATIONS = [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] as const;

/** Namespace of the Karpenter controller (kube-system: API priority and fairness treat it as system). */
export const KARPENTER_NAMESPACE = 'kube-system';

/**
 * Values of the Karpenter chart (it ships no values schema, so these are typed here). Every key exists in the
 * 1.14.1 chart's values.yaml; it has no `webhook` key and no webhook templates, so none is set.
 */
export interface KarpenterValues {
  readonly replicas: number;
  readonly settings: { readonly clusterName: string; readonly clusterEndpoint: string; readonly interruptionQueue: string };
  readonly serviceAccount: { readonly name: string };
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly { readonly key: string; readonly operator: string }[];
  readonly podDisruptionBudget: { readonly name: string; readonly maxUnavailable: number };
  readonly controller: { readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> } };
}

export function karpenterValues(cluster: ClusterConfig): KarpenterValues {
  return {
    replicas: cluster.karpenter.controller.replicas,
    settings: {
      clusterName: cluster.name,
      clusterEndpoint: cluster.facts.endpoint,
      interruptionQueue: cluster.facts.interruptionQueueName,
    },
    // Pod Identity association in terraform/bootstrap binds this service account to the controller role.
    serviceAccount: { name: 'karpenter' },
    nodeSelector: CORE_NODE_SELECTOR,
    tolerations: CORE_TOLERATIONS,
    podDisruptionBudget: { name: 'karpenter', maxUnavailable: 1 },
    controller: { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } } },
  };
}

/** The Karpenter controller (Helm). Its CRDs come with the chart, so it syncs before node-pools. */
export const karpenter: Component = {
  name: 'karpenter',
  description: 'Karpenter node provisioner controller and CRDs',
  namespace: KARPENTER_NAMESPACE,
  wave: SYNC_WAVES.provisioner,
  enabled: () => true,
  helm: (cluster): HelmRelease => ({ ...CHARTS.karpenter, releaseName: 'karpenter', values: { ...karpenterValues(cluster) } }),
  syncOptions: ['ServerSideApply=true'],
  // The 1.14.1 chart renders no admission webhooks (test/apps/project-render.test.ts).
  clusterResources: OPERATOR_RESOURCES,
};
