import type { ClusterConfig, Team } from '../../lib/config/types';
import { S3_DEFAULTS, type TeamBucket } from '../../lib/config/s3';
import { PLATFORM_NAMESPACES } from '../../charts/component';

/**
 * What terraform/bootstrap/s3.tf creates per team with `s3` (snake case: Terraform reads it from
 * dist/<cluster>/bootstrap/terraform.json): the (namespace, ServiceAccount) pairs that get a Pod
 * Identity association, the least-privilege policy of the team's role, and the buckets.
 */
export interface BootstrapTeamS3 {
  readonly service_accounts: readonly { readonly namespace: string; readonly name: string }[];
  readonly policy: IamPolicy;
  readonly buckets: readonly BootstrapBucket[];
}

export interface BootstrapBucket {
  readonly name: string;
  readonly arn: string;
  /** true: eksai creates it (SSE-KMS, versioning, public access block, lifecycle); false: it exists. */
  readonly create: boolean;
  readonly access: TeamBucket['access'];
  readonly prefixes: readonly string[];
  /** null: SSE-KMS with the AWS-managed aws/s3 key (created buckets) or the bucket's own default. */
  readonly kms_key_arn: string | null;
  readonly lifecycle: {
    readonly infrequent_access_days: number;
    readonly expiration_days: number | null;
    readonly noncurrent_version_expiration_days: number;
    readonly abort_incomplete_multipart_days: number;
  } | null;
}

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Record<string, Record<string, readonly string[]>>;
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

/** S3 object actions per access level (Service Authorization Reference, Amazon S3: object-level actions on `bucket/key`). */
export const S3_OBJECT_ACTIONS: Readonly<Record<TeamBucket['access'], readonly string[]>> = {
  'read-only': ['s3:GetObject'],
  'read-write': ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
};

/**
 * The team role's policy: per bucket, ListBucket on the bucket (restricted by `s3:prefix` when the team
 * has prefixes) and the object actions of its access level on `bucket/prefix*`; Decrypt on the buckets'
 * KMS keys, GenerateDataKey on the keys of read-write buckets (SSE-KMS uploads need it).
 */
export function teamS3Policy(buckets: readonly TeamBucket[]): IamPolicy {
  const statements: IamStatement[] = [];
  buckets.forEach((b, i) => {
    const prefixes = b.prefixes.length > 0 ? b.prefixes : [''];
    statements.push({
      Sid: `List${i}`,
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [b.arn],
      ...(b.prefixes.length > 0 ? { Condition: { StringLike: { 's3:prefix': b.prefixes.map((p) => `${p}*`) } } } : {}),
    });
    statements.push({ Sid: `Objects${i}`, Effect: 'Allow', Action: S3_OBJECT_ACTIONS[b.access], Resource: prefixes.map((p) => `${b.arn}/${p}*`) });
  });
  const keys = (pick: (b: TeamBucket) => boolean) => [...new Set(buckets.filter((b) => b.kmsKeyArn !== undefined && pick(b)).map((b) => b.kmsKeyArn!))].sort();
  const decrypt = keys(() => true);
  const encrypt = keys((b) => b.access === 'read-write');
  if (decrypt.length > 0) statements.push({ Sid: 'KmsDecrypt', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: decrypt });
  if (encrypt.length > 0) statements.push({ Sid: 'KmsGenerateDataKey', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: encrypt });
  return { Version: '2012-10-17', Statement: statements };
}

/** Where a team's pods run as its ServiceAccount: its namespace, and the jupyterhub namespace when notebooks are on. */
export function teamServiceAccounts(cluster: ClusterConfig, team: Team): { namespace: string; name: string }[] {
  if (!team.s3) return [];
  const name = team.s3.serviceAccount;
  return [{ namespace: team.namespace, name }, ...(cluster.jupyterhub.enabled ? [{ namespace: PLATFORM_NAMESPACES.jupyterhub, name }] : [])];
}

/** The `teams` section of the Terraform input: one entry per team with S3, by team name. */
export function bootstrapTeams(cluster: ClusterConfig): Record<string, BootstrapTeamS3> {
  const out: Record<string, BootstrapTeamS3> = {};
  for (const team of cluster.teams) {
    if (!team.s3) continue;
    out[team.name] = {
      service_accounts: teamServiceAccounts(cluster, team),
      policy: teamS3Policy(team.s3.buckets),
      buckets: team.s3.buckets.map((b) => ({
        name: b.name,
        arn: b.arn,
        create: b.create,
        access: b.access,
        prefixes: [...b.prefixes],
        kms_key_arn: b.kmsKeyArn ?? null,
        lifecycle: b.lifecycle
          ? {
              infrequent_access_days: b.lifecycle.infrequentAccessDays,
              expiration_days: b.lifecycle.expirationDays ?? null,
              noncurrent_version_expiration_days: b.lifecycle.noncurrentVersionExpirationDays,
              abort_incomplete_multipart_days: S3_DEFAULTS.abortIncompleteMultipartDays,
            }
          : null,
      })),
    };
  }
  return out;
}
