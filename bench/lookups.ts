/** Realistic lookups for a synthetic cluster (same shape `eksai lookup` writes). */
export function lookupsFor(name: string, region: string): Record<string, unknown> {
  return {
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
