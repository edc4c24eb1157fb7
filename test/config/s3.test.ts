import { describe, expect, test } from 'vitest';
import { bucketNameProblem } from '../../lib/config/s3';
import { loadErrors, loadOk, minimalInput } from '../helpers';

const bucket = (patch: Record<string, unknown> = {}) => ({ bucket: 'acme-research-artifacts', access: 'read-write', ...patch });
const withS3 = (...buckets: Record<string, unknown>[]) => minimalInput({ teams: [{ name: 'research', s3: { buckets } }] });
const errorsOf = (...buckets: Record<string, unknown>[]) => loadErrors(withS3(...buckets));

describe('teams[].s3', () => {
  test('a bucket name is created with the default lifecycle; an ARN is referenced as is; the team gets its ServiceAccount', () => {
    const team = loadOk(withS3(bucket(), { bucket: 'arn:aws:s3:::shared-data', access: 'read-only', prefixes: ['imagenet/'] })).teams[0]!;
    expect(team.s3).toEqual({
      serviceAccount: 'team-research',
      buckets: [
        {
          name: 'acme-research-artifacts',
          arn: 'arn:aws:s3:::acme-research-artifacts',
          create: true,
          access: 'read-write',
          prefixes: [],
          kmsKeyArn: undefined,
          lifecycle: { infrequentAccessDays: 30, expirationDays: undefined, noncurrentVersionExpirationDays: 30 },
        },
        {
          name: 'shared-data',
          arn: 'arn:aws:s3:::shared-data',
          create: false,
          access: 'read-only',
          prefixes: ['imagenet/'],
          kmsKeyArn: undefined,
          lifecycle: undefined,
        },
      ],
    });
    expect(loadOk(minimalInput({ teams: [{ name: 'research' }] })).teams[0]!.s3).toBeUndefined();
  });

  test('old versions are kept as long as the bucket says, at least a day', () => {
    const kept = loadOk(withS3(bucket({ lifecycle: { noncurrentVersionExpirationDays: 90 } }))).teams[0]!.s3!.buckets[0]!.lifecycle;
    expect(kept).toEqual({ infrequentAccessDays: 30, expirationDays: undefined, noncurrentVersionExpirationDays: 90 });
    expect(errorsOf(bucket({ lifecycle: { noncurrentVersionExpirationDays: 0 } }))[0]).toMatch(
      /^clusters\/minimal\.ts: teams\[research\]\.s3\.buckets\[0\]\.lifecycle\.noncurrentVersionExpirationDays /,
    );
  });

  test('created buckets in GovCloud get the aws-us-gov partition', () => {
    const team = loadOk({ ...withS3(bucket()), region: 'us-gov-west-1' }).teams[0]!;
    expect(team.s3!.buckets[0]!.arn).toBe('arn:aws-us-gov:s3:::acme-research-artifacts');
  });

  test('fails when a bucket name breaks the S3 naming rules', () => {
    expect(errorsOf(bucket({ bucket: 'Acme_Data' }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].bucket may only hold lowercase letters, digits, dots and hyphens (S3 bucket naming rules) (got "Acme_Data"): use a name such as \'acme-ml-research-artifacts\'',
    ]);
    expect(bucketNameProblem('ab')).toBe('must be 3 to 63 characters long (got 2)');
    expect(bucketNameProblem('a'.repeat(64))).toBe('must be 3 to 63 characters long (got 64)');
    expect(bucketNameProblem('-abc')).toBe('must start and end with a letter or digit');
    expect(bucketNameProblem('a..b')).toBe('must not hold two adjacent dots');
    expect(bucketNameProblem('192.168.5.4')).toBe('must not be formatted as an IP address');
    expect(bucketNameProblem('xn--data')).toBe('must not start with the reserved prefix xn--');
    expect(bucketNameProblem('data-s3alias')).toBe('must not end with the reserved suffix -s3alias');
    expect(bucketNameProblem('acme.data-2')).toBeUndefined();
  });

  test('fails when an ARN is not a bucket ARN, or is in another partition', () => {
    expect(errorsOf(bucket({ bucket: 'arn:aws:s3:us-west-2:123456789012:accesspoint/x' }))[0]).toBe(
      'clusters/minimal.ts: teams[research].s3.buckets[0].bucket is not an S3 bucket ARN (got "arn:aws:s3:us-west-2:123456789012:accesspoint/x"): use arn:aws:s3:::<bucket-name> (no region, account or key), or a plain bucket name for eksai to create',
    );
    expect(errorsOf(bucket({ bucket: 'arn:aws:s3:::data/prefix' }))[0]).toContain('is not an S3 bucket ARN');
    expect(errorsOf(bucket({ bucket: 'arn:aws-cn:s3:::data' }))[0]).toBe(
      'clusters/minimal.ts: teams[research].s3.buckets[0].bucket is in partition aws-cn, but the cluster\'s region us-west-2 is in aws (got "arn:aws-cn:s3:::data"): use arn:aws:s3:::data',
    );
  });

  test('fails when the KMS key is an alias, or a prefix holds an IAM wildcard', () => {
    expect(errorsOf(bucket({ kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:alias/research' }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].kmsKeyArn must be a KMS key ARN (an alias cannot be granted in IAM) (got "arn:aws:kms:us-west-2:123456789012:alias/research"): use arn:aws:kms:<region>:<account>:key/<key-id>',
    ]);
    expect(
      loadOk(withS3(bucket({ kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }))).teams[0]!.s3!.buckets[0]!.kmsKeyArn,
    ).toMatch(/key\/1234abcd/);
    expect(errorsOf(bucket({ prefixes: ['data/*', '/abs'] }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].prefixes[0] holds *, ? or ${, which IAM reads as wildcards or policy variables (got "data/*"): use a key prefix such as \'datasets/\'',
      'clusters/minimal.ts: teams[research].s3.buckets[0].prefixes[1] starts with "/": S3 keys have no leading slash (got "/abs"): use a key prefix such as \'datasets/\'',
    ]);
  });

  test('fails when the lifecycle days are out of order, or set on an existing bucket', () => {
    expect(errorsOf(bucket({ lifecycle: { infrequentAccessDays: 90, expirationDays: 60 } }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].lifecycle.expirationDays must be greater than infrequentAccessDays (90): objects would expire before they move to STANDARD_IA (got 60): raise it above 90, or lower infrequentAccessDays',
    ]);
    expect(errorsOf(bucket({ lifecycle: { infrequentAccessDays: 7 } }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].lifecycle.infrequentAccessDays must be at least 30: S3 refuses a STANDARD_IA transition sooner (got 7): set 30 or more',
    ]);
    expect(errorsOf(bucket({ lifecycle: { expirationDays: 10 } }))[0]).toContain('must be greater than infrequentAccessDays (30)');
    expect(errorsOf({ bucket: 'arn:aws:s3:::shared', access: 'read-only', lifecycle: { expirationDays: 400 } })).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].lifecycle is set on an existing bucket (given by ARN): eksai only manages the lifecycle of buckets it creates (got "arn:aws:s3:::shared"): remove lifecycle, or give a bucket name for eksai to create',
    ]);
  });

  test('fails when two teams create the same bucket, or one team lists a bucket twice; sharing by ARN is fine', () => {
    const teams = (a: string, b: string) =>
      minimalInput({
        teams: [
          { name: 'a', s3: { buckets: [{ bucket: a, access: 'read-write' }] } },
          { name: 'b', s3: { buckets: [{ bucket: b, access: 'read-only' }] } },
        ],
      });
    expect(loadErrors(teams('shared-data', 'shared-data'))).toEqual([
      'clusters/minimal.ts: teams[b].s3.buckets[0].bucket is also created by team a: a bucket has one owner (got "shared-data"): let a create it and give this team its ARN arn:aws:s3:::shared-data',
    ]);
    expect(loadOk(teams('shared-data', 'arn:aws:s3:::shared-data')).teams[1]!.s3!.buckets[0]!.create).toBe(false);
    expect(errorsOf(bucket(), bucket({ bucket: 'arn:aws:s3:::acme-research-artifacts', access: 'read-only' }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[1].bucket lists the same bucket twice for this team (got "arn:aws:s3:::acme-research-artifacts"): merge the entries (prefixes are a list)',
    ]);
  });

  test('fails when the team IAM role name would exceed 64 characters', () => {
    const long = 'x'.repeat(60);
    expect(loadErrors(minimalInput({ teams: [{ name: long, s3: { buckets: [bucket()] } }] }))).toEqual([
      `clusters/minimal.ts: teams[${long}].s3 gives the team the IAM role minimal-team-${long}, 73 characters long: IAM allows 64 (got "${long}"): shorten the team or cluster name`,
    ]);
  });

  test('fails when access is not read-only or read-write, or buckets is empty', () => {
    expect(errorsOf(bucket({ access: 'admin' }))).toEqual([
      'clusters/minimal.ts: teams[research].s3.buckets[0].access must be one of "read-only", "read-write" (got "admin")',
    ]);
    expect(loadErrors(minimalInput({ teams: [{ name: 'research', s3: { buckets: [] } }] }))[0]).toMatch(
      /^clusters\/minimal\.ts: teams\[research\]\.s3\.buckets too small/,
    );
  });
});
