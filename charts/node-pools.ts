import { Construct } from 'constructs';
import * as aws from '../imports/karpenter.k8s.aws';
import * as karpenter from '../imports/karpenter.sh';
import type { AmiFamily, ClusterConfig, NodeClass, NodePool } from '../lib/config/types';
import { SYNC_WAVES, type Component } from './component';

type Requirement = karpenter.NodePoolSpecTemplateSpecRequirements;

/**
 * Node label with the AMI family of the pool's EC2NodeClass (`al2023` | `bottlerocket`): DaemonSets that only
 * some OS images need select on it (the NVIDIA device plugin skips Bottlerocket, which ships its own).
 */
export const AMI_FAMILY_LABEL = 'eksai.io/ami-family';

/** AMI family of the EC2NodeClass a pool launches from. */
export function amiFamilyOf(cluster: ClusterConfig, pool: NodePool): AmiFamily {
  const nodeClass = cluster.karpenter.nodeClasses.find((c) => c.name === pool.nodeClass);
  // Config rules reject a pool whose nodeClass does not exist; this guards the invariant.
  if (!nodeClass) throw new Error(`node pool ${pool.name} references unknown EC2NodeClass ${pool.nodeClass}`);
  return nodeClass.amiFamily;
}
const Op = karpenter.NodePoolSpecTemplateSpecRequirementsOperator;

function requirements(pool: NodePool): Requirement[] {
  const reqs: Requirement[] = [];
  if (pool.instanceFamilies) reqs.push({ key: 'karpenter.k8s.aws/instance-family', operator: Op.IN, values: [...pool.instanceFamilies] });
  if (pool.instanceCategories) reqs.push({ key: 'karpenter.k8s.aws/instance-category', operator: Op.IN, values: [...pool.instanceCategories] });
  if (pool.minGenerationExclusive !== undefined) {
    reqs.push({ key: 'karpenter.k8s.aws/instance-generation', operator: Op.GT, values: [String(pool.minGenerationExclusive)] });
  }
  if (pool.excludedSizes.length > 0) reqs.push({ key: 'karpenter.k8s.aws/instance-size', operator: Op.NOT_IN, values: [...pool.excludedSizes] });
  reqs.push({ key: 'karpenter.sh/capacity-type', operator: Op.IN, values: [...pool.capacityTypes] });
  reqs.push({ key: 'kubernetes.io/arch', operator: Op.IN, values: [...pool.arch] });
  reqs.push({ key: 'kubernetes.io/os', operator: Op.IN, values: ['linux'] });
  return reqs;
}

function limits(pool: NodePool): Record<string, karpenter.NodePoolSpecLimits> | undefined {
  const out: Record<string, karpenter.NodePoolSpecLimits> = {};
  if (pool.limits.cpu !== undefined) out.cpu = karpenter.NodePoolSpecLimits.fromString(pool.limits.cpu);
  if (pool.limits.memory !== undefined) out.memory = karpenter.NodePoolSpecLimits.fromString(pool.limits.memory);
  if (pool.limits.gpu !== undefined) out['nvidia.com/gpu'] = karpenter.NodePoolSpecLimits.fromNumber(pool.limits.gpu);
  return Object.keys(out).length > 0 ? out : undefined;
}

function blockDevices(nodeClass: NodeClass): aws.Ec2NodeClassSpecBlockDeviceMappings[] {
  const ebs = (sizeGiB: number): aws.Ec2NodeClassSpecBlockDeviceMappingsEbs => ({
    volumeSize: `${sizeGiB}Gi`,
    volumeType: aws.Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType.GP3,
    encrypted: true,
    deleteOnTermination: true,
  });
  // rootVolume marks the device that holds ephemeral storage: xvda on AL2023, the xvdb data volume on
  // Bottlerocket (overriding xvda alone would drop it: blockDeviceMappings replace the defaults).
  if (nodeClass.dataVolumeGiB === undefined) return [{ deviceName: '/dev/xvda', ebs: ebs(nodeClass.rootVolumeGiB), rootVolume: true }];
  return [
    { deviceName: '/dev/xvda', ebs: ebs(nodeClass.rootVolumeGiB) },
    { deviceName: '/dev/xvdb', ebs: ebs(nodeClass.dataVolumeGiB), rootVolume: true },
  ];
}

/** Props of the node-pools chart: the normalised cluster (pools and classes are in it). */
export interface NodePoolsChartProps {
  readonly cluster: ClusterConfig;
}

/** Karpenter NodePools and EC2NodeClasses of one cluster, rendered plain into dist/<cluster>/node-pools/. */
export class NodePoolsChart extends Construct {
  constructor(scope: Construct, id: string, props: NodePoolsChartProps) {
    super(scope, id);
    const { cluster } = props;
    const discovery = { 'karpenter.sh/discovery': cluster.name };
    for (const nodeClass of cluster.karpenter.nodeClasses) {
      new aws.Ec2NodeClass(this, `class-${nodeClass.name}`, {
        metadata: { name: nodeClass.name },
        spec: {
          amiSelectorTerms: [{ alias: nodeClass.amiAlias }],
          role: cluster.facts.nodeRoleName,
          subnetSelectorTerms: [{ tags: discovery }],
          securityGroupSelectorTerms: [{ tags: discovery }],
          metadataOptions: {
            httpEndpoint: aws.Ec2NodeClassSpecMetadataOptionsHttpEndpoint.ENABLED,
            httpProtocolIPv6: aws.Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6.DISABLED,
            httpPutResponseHopLimit: 1,
            httpTokens: aws.Ec2NodeClassSpecMetadataOptionsHttpTokens.REQUIRED,
          },
          blockDeviceMappings: blockDevices(nodeClass),
          tags: { ...nodeClass.tags },
        },
      });
    }
    for (const pool of cluster.karpenter.nodePools) {
      new karpenter.NodePool(this, `pool-${pool.name}`, {
        metadata: { name: pool.name },
        spec: {
          template: {
            metadata: { labels: { ...pool.labels, 'eksai.io/pool': pool.name, [AMI_FAMILY_LABEL]: amiFamilyOf(cluster, pool) } },
            spec: {
              nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: pool.nodeClass },
              requirements: requirements(pool),
              taints:
                pool.taints.length > 0 ? pool.taints.map((t) => ({ ...t, effect: t.effect as karpenter.NodePoolSpecTemplateSpecTaintsEffect })) : undefined,
              startupTaints:
                pool.startupTaints.length > 0
                  ? pool.startupTaints.map((t) => ({ ...t, effect: t.effect as karpenter.NodePoolSpecTemplateSpecStartupTaintsEffect }))
                  : undefined,
              expireAfter: pool.expireAfter,
              terminationGracePeriod: pool.terminationGracePeriod,
            },
          },
          disruption: {
            consolidationPolicy: pool.consolidationPolicy as karpenter.NodePoolSpecDisruptionConsolidationPolicy,
            consolidateAfter: pool.consolidateAfter,
            budgets: pool.budgets.map((b) => ({ ...b, reasons: b.reasons?.map((r) => r as karpenter.NodePoolSpecDisruptionBudgetsReasons) })),
          },
          limits: limits(pool),
          weight: pool.weight,
        },
      });
    }
  }
}

/** NodePools + EC2NodeClasses (plain). CRs of the Karpenter CRDs: synced after the karpenter app. */
export const nodePools: Component = {
  name: 'node-pools',
  description: 'Karpenter NodePools and EC2NodeClasses',
  namespace: 'kube-system',
  wave: SYNC_WAVES.nodes,
  enabled: () => true,
  build: (chart, cluster) => new NodePoolsChart(chart, 'Resource', { cluster }),
  syncOptions: ['SkipDryRunOnMissingResource=true'],
  clusterResources: [
    { group: 'karpenter.sh', kind: 'NodePool' },
    { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass' },
  ],
};
