import type { ClusterConfig } from '../lib/config/types';
import { WEBHOOK_RESOURCES, OPERATOR_RESOURCES, SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { CHARTS } from './versions';

/** Values of the AWS Load Balancer Controller chart; identity comes from Pod Identity (terraform/bootstrap). */
export function loadBalancerValues(cluster: ClusterConfig): Record<string, unknown> {
  return {
    clusterName: cluster.name,
    region: cluster.region,
    vpcId: cluster.facts.vpcId,
    replicaCount: cluster.environment === 'dev' ? 1 : 2,
    serviceAccount: { create: true, name: 'aws-load-balancer-controller' },
    nodeSelector: { ...CORE_NODE_SELECTOR },
    tolerations: [...CORE_TOLERATIONS],
    enableServiceMutatorWebhook: false,
  };
}

/** AWS Load Balancer Controller (ALB Ingress, NLB Services). Not ingress-nginx: retired upstream. */
export const awsLoadBalancerController: Component = {
  name: 'aws-load-balancer-controller',
  description: 'AWS Load Balancer Controller (ALB/NLB)',
  namespace: 'kube-system',
  wave: SYNC_WAVES.nodes,
  enabled: (c) => c.loadBalancer.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.awsLoadBalancerController, releaseName: 'aws-load-balancer-controller', values: loadBalancerValues(cluster) }),
  syncOptions: ['ServerSideApply=true'],
  clusterResources: [
    ...OPERATOR_RESOURCES,
    ...WEBHOOK_RESOURCES,
    // templates/ingressclass.yaml: `createIngressClassResource` (default true) renders IngressClass `alb`
    // and its cluster-scoped IngressClassParams (elbv2.k8s.aws, CRD scope Cluster).
    { group: 'networking.k8s.io', kind: 'IngressClass' },
    { group: 'elbv2.k8s.aws', kind: 'IngressClassParams' },
  ],
};
