/**
 * The SSM contract between terraform/bootstrap and the generator (DESIGN.md): facts live under
 * `/eksai/<cluster>/`. Terraform writes exactly the required ones; optional extras are read when present.
 */

export const SSM_PREFIX_ROOT = '/eksai';

/** SSM path prefix of a cluster's facts, with trailing slash. */
export function ssmPrefix(cluster: string): string {
  return `${SSM_PREFIX_ROOT}/${cluster}/`;
}

/** Required parameters, relative to the prefix, with what each one is. */
export const REQUIRED_PARAMETERS = {
  'cluster/endpoint': 'https URL of the EKS API server',
  'karpenter/node-role-name': 'IAM role name Karpenter nodes run as',
  'karpenter/interruption-queue-name': 'SQS queue Karpenter reads interruption events from',
  'network/vpc-id': 'VPC id of the cluster',
} as const;

export type RequiredParameter = keyof typeof REQUIRED_PARAMETERS;

/** Optional parameters components use when present. */
export const OPTIONAL_PARAMETERS = {
  'storage/efs-file-system-id': 'EFS file system for shared notebooks/checkpoints',
  'account/id': 'AWS account id',
} as const;
