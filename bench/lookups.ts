import { createHash } from 'node:crypto';
import { checkClusterInput } from '../charts/checks';
import { amiNeeds } from '../lib/lookups/amis';
import { nodeImageInputs } from '../lib/config/node-images';

/**
 * The `amis` section `eksai lookup` would write for a cluster file: every pinned alias verified for its
 * Kubernetes version, with example AMI ids (deterministic per alias and image). {} for a file whose shape
 * check leaves nothing to read.
 */
export function verifiedAmis(input: unknown): Record<string, unknown> {
  // The parts of the file that pass the shape check, as the loader sees them (it checks AMIs on those too).
  const name = (input as { name?: unknown } | null)?.name;
  const { parsed } = checkClusterInput(input, 'clusters/x.ts', typeof name === 'string' ? name : 'x');
  if (!parsed) return {};
  return Object.fromEntries(
    amiNeeds(nodeImageInputs(parsed)).map((need) => [
      need.alias,
      {
        images: Object.fromEntries(need.images.map((i) => [i.key, `ami-${createHash('sha256').update(`${need.alias} ${i.key}`).digest('hex').slice(0, 17)}`])),
        kubernetesVersion: need.kubernetesVersion,
      },
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
      // A cluster with storage.efs gets the id terraform/bootstrap/efs.tf writes.
      ...((input as { storage?: { efs?: unknown } } | undefined)?.storage?.efs === true ? { 'storage/efs-file-system-id': 'fs-0123456789abcdef0' } : {}),
    },
    prefix: `/eksai/${name}/`,
    region,
  };
}
