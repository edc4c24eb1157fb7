import type { NodeImageInputs } from '../lookups/amis';
import { layerDefaults, normalizePoolsAndTeams } from './normalize';
import type { ClusterConfigInput } from './schema';

/** The AMI inputs of a cluster file that passed the shape check: its Kubernetes version, classes and pools with their defaults. */
export function nodeImageInputs(input: ClusterConfigInput): NodeImageInputs {
  return {
    kubernetesVersion: input.kubernetesVersion ?? layerDefaults(input.environment).kubernetesVersion ?? '1.35',
    nodeClasses: input.karpenter.nodeClasses ?? [],
    nodePools: normalizePoolsAndTeams(input).pools,
  };
}
