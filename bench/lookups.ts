import { createHash } from 'node:crypto';
import { clusterSchema } from '../lib/config/schema';
import { amiNeeds, nodeImageInputs } from '../lib/lookups/amis';

/**
 * The `amis` section `eksai lookup` would write for a cluster file: every pinned alias verified for its
 * Kubernetes version, with example AMI ids (deterministic per alias and image). {} for a file that fails
 * the shape check.
 */
export function verifiedAmis(input: unknown): Record<string, unknown> {
  const parsed = clusterSchema.safeParse(input);
  if (!parsed.success) return {};
  return Object.fromEntries(
    amiNeeds(nodeImageInputs(parsed.data)).map((need) => [
      need.alias,
      { images: Object.fromEntries(need.images.map((i) => [i.key, `ami-${createHash('sha256').update(`${need.alias} ${i.key}`).digest('hex').slice(0, 17)}`])), kubernetesVersion: need.kubernetesVersion },
    ]),
  );
}

/** Realistic lookups for a synthetic cluster (same shape `eksai lookup` writes; AMIs verified when `input` is given). */
export function lookupsFor(name: string, region: string, input?: unknown): Record<string, unknown> {
  return {
    ...(input === undefined ? {} : { amis: verifiedAmis(input) }),
    parameters: {
      'cluster/endpoint': `https://0123456789ABCDEF0123456789ABCDEF.gr7.${region}.eks.amazonaws.com`,
      'karpenter/interruption-queue-name': `eksai-${name}-karpenter`,
      'karpenter/node-role-name': `eksai-${name}-karpenter-node`,
      'network/vpc-id': 'vpc-0123456789abcdef0',
    },
    prefix: `/eksai/${name}/`,
    region,
  };
}
