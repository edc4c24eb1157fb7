import { z } from 'zod';
import type { Problem } from '../errors';

/**
 * Per-team S3 access through EKS Pod Identity (`teams[].s3`): the shape, the defaults, the normalised
 * form and the rules, in one place. The team's ServiceAccount (TEAM_SERVICE_ACCOUNT) is what its Ray
 * pods, RayJobs and notebooks run as; terraform/bootstrap/s3.tf binds it to the team's IAM role.
 */

/** Lifecycle of a bucket eksai creates: days after creation to STANDARD_IA, days to expiry, days old versions are kept. */
const lifecycleSchema = z.strictObject({
  /** Days after which objects move to S3 Standard-IA (S3 requires at least 30). @default 30 */
  infrequentAccessDays: z.number().int().min(1).optional(),
  /** Days after which objects expire (are deleted). @default never */
  expirationDays: z.number().int().min(1).optional(),
  /** Days an overwritten or deleted object's old version is kept (restorable) before S3 deletes it. @default 30 */
  noncurrentVersionExpirationDays: z.number().int().min(1).optional(),
});

export const teamS3Schema = z.strictObject({
  buckets: z
    .array(
      z.strictObject({
        /** A bucket name eksai creates (SSE-KMS, public access blocked, versioned, lifecycle), or the ARN of an existing bucket (`arn:aws:s3:::name`). */
        bucket: z.string().min(1),
        /** `read-only`: list and get; `read-write`: also put, delete and abort multipart uploads. */
        access: z.enum(['read-only', 'read-write']),
        /** Key prefixes the team may use, e.g. `datasets/`. @default the whole bucket */
        prefixes: z.array(z.string()).min(1).optional(),
        /** Customer-managed KMS key (key ARN) of the bucket; the team may Decrypt/GenerateDataKey with it. @default the AWS-managed aws/s3 key (created buckets) */
        kmsKeyArn: z.string().optional(),
        /** Only for buckets eksai creates. @default { infrequentAccessDays: 30 } */
        lifecycle: lifecycleSchema.optional(),
      }),
    )
    .min(1),
});

/** Defaults of buckets eksai creates. */
export const S3_DEFAULTS = {
  /** S3 refuses a STANDARD_IA transition before 30 days (PutBucketLifecycleConfiguration). */
  infrequentAccessDays: 30,
  /** Incomplete multipart uploads are billed storage nobody sees: aborted after this many days. */
  abortIncompleteMultipartDays: 7,
  /**
   * Buckets are versioned, so an overwrite or delete keeps the old version: restorable this long, then deleted
   * (without it every version is billed forever, and a deleted dataset keeps costing what it did).
   */
  noncurrentVersionExpirationDays: 30,
} as const;

/** The ServiceAccount of a team with S3 access, in its namespace and in the jupyterhub namespace. */
export const teamServiceAccount = (team: string): string => `team-${team}`;

export interface TeamBucket {
  /** Bucket name. */
  readonly name: string;
  readonly arn: string;
  /** Whether eksai creates it (a name was given) or it exists already (an ARN was given). */
  readonly create: boolean;
  readonly access: 'read-only' | 'read-write';
  /** Empty: the whole bucket. */
  readonly prefixes: readonly string[];
  readonly kmsKeyArn?: string;
  /** Created buckets only. */
  readonly lifecycle?: { readonly infrequentAccessDays: number; readonly expirationDays?: number; readonly noncurrentVersionExpirationDays: number };
}

export interface TeamS3 {
  /** ServiceAccount name in the team namespace and in the jupyterhub namespace. */
  readonly serviceAccount: string;
  readonly buckets: readonly TeamBucket[];
}

/** The team's IAM role name, as terraform/bootstrap/s3.tf builds it (`${var.cluster_name}-team-${each.key}`). */
export const teamRoleName = (cluster: string, team: string): string => `${cluster}-team-${team}`;

/** AWS partition of a region (the ARN prefix). */
export const partitionOf = (region: string): string => (region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

const BUCKET_ARN = /^arn:(aws[-a-z]*):s3:::([^/]+)$/;
const KMS_KEY_ARN = /^arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function normalizeTeamS3(team: string, region: string, input: z.input<typeof teamS3Schema> | undefined): TeamS3 | undefined {
  if (!input) return undefined;
  return {
    serviceAccount: teamServiceAccount(team),
    buckets: input.buckets.map((b) => {
      const arn = BUCKET_ARN.exec(b.bucket);
      const name = arn ? arn[2]! : b.bucket;
      return {
        name,
        arn: arn ? b.bucket : `arn:${partitionOf(region)}:s3:::${name}`,
        create: !arn,
        access: b.access,
        prefixes: b.prefixes ?? [],
        kmsKeyArn: b.kmsKeyArn,
        lifecycle: arn
          ? undefined
          : {
              infrequentAccessDays: b.lifecycle?.infrequentAccessDays ?? S3_DEFAULTS.infrequentAccessDays,
              expirationDays: b.lifecycle?.expirationDays,
              noncurrentVersionExpirationDays: b.lifecycle?.noncurrentVersionExpirationDays ?? S3_DEFAULTS.noncurrentVersionExpirationDays,
            },
      };
    }),
  };
}

/**
 * Why a general purpose bucket name is invalid, or undefined (Amazon S3 User Guide, "General purpose
 * bucket naming rules"): 3–63 characters of lowercase letters, digits, dots and hyphens, starting and
 * ending with a letter or digit, no two adjacent dots, not an IP address, not a reserved prefix/suffix.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3 to 63 characters long (got ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only hold lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'must start and end with a letter or digit';
  if (name.includes('..')) return 'must not hold two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not be formatted as an IP address';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => name.startsWith(p));
  if (prefix) return `must not start with the reserved prefix ${prefix}`;
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((s) => name.endsWith(s));
  if (suffix) return `must not end with the reserved suffix ${suffix}`;
  return undefined;
}

/** Why a key prefix cannot be granted, or undefined: IAM treats `*` and `?` as wildcards and `${` as a policy variable. */
function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return 'is empty (leave prefixes out for the whole bucket)';
  if (prefix.startsWith('/')) return 'starts with "/": S3 keys have no leading slash';
  if (/[*?]|\$\{/.test(prefix)) return 'holds *, ? or ${, which IAM reads as wildcards or policy variables';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return 'holds a control character';
  return undefined;
}

/** What teamS3Problems reads of a cluster file (a ClusterConfigInput; structural, so schema.ts, which imports this file, is not imported back). */
export interface S3RuleInput {
  readonly name: string;
  readonly region: string;
  readonly teams?: readonly { readonly name: string; readonly s3?: z.input<typeof teamS3Schema> }[];
}

/** Every problem of every team's `s3` block: names, ARNs, keys, lifecycle order, duplicates and ownership. */
export function teamS3Problems(input: S3RuleInput, file: string): Problem[] {
  const problems: Problem[] = [];
  const partition = partitionOf(input.region);
  /** Bucket name → the team that creates it. */
  const creators = new Map<string, string>();
  for (const team of input.teams ?? []) {
    if (!team.s3) continue;
    // terraform/bootstrap/s3.tf names the role `<cluster>-team-<team>`; IAM role names hold at most 64 characters.
    const role = teamRoleName(input.name, team.name);
    if (role.length > 64)
      problems.push({
        file,
        path: `teams[${team.name}].s3`,
        message: `gives the team the IAM role ${role}, ${role.length} characters long: IAM allows 64`,
        value: team.name,
        fix: 'shorten the team or cluster name',
      });
    const seen = new Set<string>();
    team.s3.buckets.forEach((b, i) => {
      const at = `teams[${team.name}].s3.buckets[${i}]`;
      const push = (path: string, message: string, value: unknown, fix: string) => problems.push({ file, path: `${at}${path}`, message, value, fix });
      const arn = BUCKET_ARN.exec(b.bucket);
      if (b.bucket.startsWith('arn:') && !arn) {
        push(
          '.bucket',
          'is not an S3 bucket ARN',
          b.bucket,
          'use arn:aws:s3:::<bucket-name> (no region, account or key), or a plain bucket name for eksai to create',
        );
        return;
      }
      const name = arn ? arn[2]! : b.bucket;
      const nameProblem = bucketNameProblem(name);
      if (nameProblem) push('.bucket', `${nameProblem} (S3 bucket naming rules)`, b.bucket, "use a name such as 'acme-ml-research-artifacts'");
      if (arn && arn[1] !== partition)
        push(
          '.bucket',
          `is in partition ${arn[1]}, but the cluster's region ${input.region} is in ${partition}`,
          b.bucket,
          `use arn:${partition}:s3:::${name}`,
        );
      if (seen.has(name)) push('.bucket', 'lists the same bucket twice for this team', b.bucket, 'merge the entries (prefixes are a list)');
      seen.add(name);
      if (!arn) {
        const owner = creators.get(name);
        if (owner !== undefined)
          push(
            '.bucket',
            `is also created by team ${owner}: a bucket has one owner`,
            b.bucket,
            `let ${owner} create it and give this team its ARN arn:${partition}:s3:::${name}`,
          );
        else creators.set(name, team.name);
      }
      if (b.kmsKeyArn !== undefined && !KMS_KEY_ARN.test(b.kmsKeyArn))
        push('.kmsKeyArn', 'must be a KMS key ARN (an alias cannot be granted in IAM)', b.kmsKeyArn, 'use arn:aws:kms:<region>:<account>:key/<key-id>');
      (b.prefixes ?? []).forEach((p, j) => {
        const problem = prefixProblem(p);
        if (problem) push(`.prefixes[${j}]`, problem, p, "use a key prefix such as 'datasets/'");
      });
      if (b.lifecycle && arn)
        push(
          '.lifecycle',
          'is set on an existing bucket (given by ARN): eksai only manages the lifecycle of buckets it creates',
          b.bucket,
          'remove lifecycle, or give a bucket name for eksai to create',
        );
      const ia = b.lifecycle?.infrequentAccessDays ?? S3_DEFAULTS.infrequentAccessDays;
      if (b.lifecycle?.infrequentAccessDays !== undefined && ia < 30)
        push('.lifecycle.infrequentAccessDays', 'must be at least 30: S3 refuses a STANDARD_IA transition sooner', ia, 'set 30 or more');
      const exp = b.lifecycle?.expirationDays;
      if (!arn && exp !== undefined && exp <= ia)
        push(
          '.lifecycle.expirationDays',
          `must be greater than infrequentAccessDays (${ia}): objects would expire before they move to STANDARD_IA`,
          exp,
          `raise it above ${ia}, or lower infrequentAccessDays`,
        );
    });
  }
  return problems;
}
