import { beforeAll, describe, expect, it } from 'vitest';
import { teamRoleName } from '../../lib/config/s3';
import { S3_OBJECT_ACTIONS, type IamPolicy } from '../../pipeline/synth/team-s3';
import { bootstrapInputOf, distClusters, distObjects, loadBootstrap, resource, type Block, type Tf } from './hcl';

/**
 * The per-team S3 contract between the generator and terraform/bootstrap/s3.tf, on the committed dist:
 * every ServiceAccount that needs AWS access has exactly one Pod Identity association, every pod that
 * should run as it does, and no generated policy is wider than the team's buckets, prefixes and keys.
 */

let tf: Tf;
beforeAll(async () => {
  tf = await loadBootstrap();
});

const squash = (s: unknown) => String(s).replace(/\s+/g, ' ');
type Association = { team: string; namespace: string; service_account: string };

/** local.team_s3_associations evaluated for one cluster (the test first pins the expression it mirrors). */
function associations(input: Block): Record<string, Association> {
  const out: Record<string, Association> = {};
  for (const [team, t] of Object.entries((input.teams ?? {}) as Record<string, Block>)) {
    for (const sa of t.service_accounts as { namespace: string; name: string }[])
      out[`${team}/${sa.namespace}/${sa.name}`] = { team, namespace: sa.namespace, service_account: sa.name };
  }
  return out;
}

/** Statements that grant more than `buckets` allows: wildcard actions or resources, other buckets, other keys. */
export function policyProblems(
  policy: IamPolicy,
  buckets: readonly { arn: string; access: string; prefixes: readonly string[]; kms_key_arn: string | null }[],
): string[] {
  const problems: string[] = [];
  const keys = new Set(buckets.map((b) => b.kms_key_arn).filter((k): k is string => k !== null));
  for (const s of policy.Statement) {
    for (const a of s.Action) if (a === '*' || a.endsWith(':*') || a.includes('*')) problems.push(`${s.Sid}: action ${a} is a wildcard`);
    for (const r of s.Resource) {
      if (r === '*' || /^arn:[^:]+:(s3|kms):[^:]*:[^:]*:\*$/.test(r)) {
        problems.push(`${s.Sid}: resource ${r} is a wildcard`);
        continue;
      }
      if (s.Action.every((a) => a.startsWith('kms:'))) {
        if (!keys.has(r)) problems.push(`${s.Sid}: key ${r} is not one of the team's`);
        continue;
      }
      const b = buckets.find((x) => r === x.arn || r.startsWith(`${x.arn}/`));
      if (!b) {
        problems.push(`${s.Sid}: resource ${r} is not a bucket of the team`);
        continue;
      }
      const allowed = b.prefixes.length > 0 ? b.prefixes.map((p) => `${b.arn}/${p}*`) : [`${b.arn}/*`];
      if (r !== b.arn && !allowed.includes(r)) problems.push(`${s.Sid}: resource ${r} is outside the team's prefixes of ${b.arn}`);
      if (r !== b.arn && s.Action.some((a) => !S3_OBJECT_ACTIONS[b.access as 'read-only' | 'read-write'].includes(a)))
        problems.push(`${s.Sid}: ${b.access} bucket ${b.arn} gets ${s.Action.join(', ')}`);
      if (r === b.arn && (s.Action.join() !== 's3:ListBucket' || (b.prefixes.length > 0 && !s.Condition)))
        problems.push(`${s.Sid}: bucket ${b.arn} gets ${s.Action.join(', ')}${s.Condition ? '' : ' without an s3:prefix condition'}`);
    }
  }
  return problems;
}

describe('per-team S3 through Pod Identity', () => {
  it('associates exactly the (namespace, ServiceAccount) pairs the generator lists, with the team role', () => {
    expect(squash(tf.locals.team_s3)).toBe('${try(local.generated.teams, {})}');
    expect(squash(tf.locals.team_s3_associations)).toBe(
      '${merge([ for team, t in local.team_s3 : { for sa in t.service_accounts : "${team}/${sa.namespace}/${sa.name}" => { team = team, namespace = sa.namespace, service_account = sa.name } } ]...)}',
    );
    expect(resource(tf, 'aws_eks_pod_identity_association', 'team_s3')).toMatchObject({
      for_each: '${local.team_s3_associations}',
      namespace: '${each.value.namespace}',
      service_account: '${each.value.service_account}',
      role_arn: '${aws_iam_role.team_s3[each.value.team].arn}',
    });
    expect(teamRoleName('${var.cluster_name}', '${each.key}')).toBe(resource(tf, 'aws_iam_role', 'team_s3').name);
    expect(resource(tf, 'aws_iam_role', 'team_s3')).toMatchObject({
      for_each: '${local.team_s3}',
      assume_role_policy: '${data.aws_iam_policy_document.pod_identity_trust.json}',
    });
    const trust = tf.data.aws_iam_policy_document!.pod_identity_trust![0]!.statement[0];
    expect(trust).toMatchObject({ actions: ['sts:AssumeRole', 'sts:TagSession'], principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }] });
    expect(resource(tf, 'aws_iam_role_policy', 'team_s3')).toMatchObject({ for_each: '${local.team_s3}', policy: '${jsonencode(each.value.policy)}' });
  });

  it.each(distClusters())('%s: every team ServiceAccount has exactly one association, and the team pods run as it', (cluster) => {
    const input = bootstrapInputOf(cluster);
    const objects = distObjects(cluster).map((o) => o.obj);
    const accounts = objects
      .filter((o) => o.kind === 'ServiceAccount' && o.metadata.labels?.['eksai.io/team'])
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    const assoc = Object.values(associations(input)).map((a) => `${a.namespace}/${a.service_account}`);
    const cilium = resource(tf, 'aws_eks_pod_identity_association', 'cilium_operator');
    const all = [...assoc, `${tf.locals.cilium_operator_namespace}/${tf.locals.cilium_operator_service_account}`];
    expect(cilium.namespace).toBe('${local.cilium_operator_namespace}');
    for (const sa of accounts)
      expect(
        all.filter((a) => a === sa),
        `${cluster}: ${sa}`,
      ).toHaveLength(1);
    expect([...assoc].sort(), `${cluster}: an association without its ServiceAccount in dist`).toEqual([...accounts].sort());

    for (const [team, t] of Object.entries((input.teams ?? {}) as Record<string, Block>)) {
      const sa = (t.service_accounts as { name: string }[])[0]!.name;
      const ray = objects.filter((o) => (o.kind === 'RayCluster' || o.kind === 'RayJob') && o.metadata.namespace === team);
      for (const o of ray) {
        const spec = o.kind === 'RayJob' ? o.spec.rayClusterSpec : o.spec;
        const pods = [spec.headGroupSpec, ...spec.workerGroupSpecs].map((g: Block) => g.template.spec.serviceAccountName);
        expect(pods, `${cluster}: ${o.kind} ${team}/${o.metadata.name}`).toEqual(pods.map(() => sa));
      }
      const hub = objects.find((o) => o.kind === 'Application' && o.metadata.name === 'jupyterhub');
      if (hub) {
        const helm = (hub.spec.sources as Block[]).find((src) => src.helm)!.helm;
        for (const p of helm.valuesObject.singleuser.profileList as Block[]) {
          expect(p.profile_options.team.choices[team].kubespawner_override.service_account, `${cluster}: notebook profile ${p.slug}`).toBe(sa);
        }
      }
    }
  });

  it.each(distClusters())("%s: no team policy grants a wildcard action or resource, or more than the team's buckets, prefixes and keys", (cluster) => {
    for (const [team, t] of Object.entries((bootstrapInputOf(cluster).teams ?? {}) as Record<string, Block>)) {
      expect(policyProblems(t.policy as IamPolicy, t.buckets), `${cluster}: team ${team}`).toEqual([]);
      expect(JSON.stringify(t.policy)).not.toMatch(/"s3:\*"|"\*"/);
    }
  });

  it('fails when a policy grants s3:*, a * resource, another bucket or a wider prefix', () => {
    const buckets = [{ arn: 'arn:aws:s3:::a', access: 'read-only', prefixes: ['data/'], kms_key_arn: null }];
    const policy = (Action: string[], Resource: string[]): IamPolicy => ({
      Version: '2012-10-17',
      Statement: [{ Sid: 'X', Effect: 'Allow', Action, Resource }],
    });
    expect(policyProblems(policy(['s3:*'], ['arn:aws:s3:::a/data/*']), buckets)).toEqual([
      'X: action s3:* is a wildcard',
      'X: read-only bucket arn:aws:s3:::a gets s3:*',
    ]);
    expect(policyProblems(policy(['s3:GetObject'], ['*']), buckets)).toEqual(['X: resource * is a wildcard']);
    expect(policyProblems(policy(['s3:GetObject'], ['arn:aws:s3:::b/*']), buckets)).toEqual(['X: resource arn:aws:s3:::b/* is not a bucket of the team']);
    expect(policyProblems(policy(['s3:GetObject'], ['arn:aws:s3:::a/*']), buckets)).toEqual([
      "X: resource arn:aws:s3:::a/* is outside the team's prefixes of arn:aws:s3:::a",
    ]);
    expect(policyProblems(policy(['s3:PutObject'], ['arn:aws:s3:::a/data/*']), buckets)).toEqual(['X: read-only bucket arn:aws:s3:::a gets s3:PutObject']);
    expect(policyProblems(policy(['s3:ListBucket'], ['arn:aws:s3:::a']), buckets)).toEqual([
      'X: bucket arn:aws:s3:::a gets s3:ListBucket without an s3:prefix condition',
    ]);
    expect(policyProblems(policy(['kms:Decrypt'], ['arn:aws:kms:us-west-2:123456789012:key/x']), buckets)).toEqual([
      "X: key arn:aws:kms:us-west-2:123456789012:key/x is not one of the team's",
    ]);
  });

  it('creates only the buckets the generator marks create, encrypted with SSE-KMS, private, HTTPS only, versioned, with the typed lifecycle', () => {
    expect(squash(tf.locals.team_s3_buckets)).toBe(
      '${merge([ for team, t in local.team_s3 : { for b in t.buckets : b.name => merge(b, { team = team }) if b.create } ]...)}',
    );
    for (const type of [
      'aws_s3_bucket',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_versioning',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_policy',
    ]) {
      expect(resource(tf, type, 'team').for_each, type).toBe('${local.team_s3_buckets}');
    }
    expect(resource(tf, 'aws_s3_bucket_public_access_block', 'team')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    // HTTPS only: every request over plain HTTP to the bucket or its objects is denied, and nothing is allowed.
    const policy = resource(tf, 'aws_s3_bucket_policy', 'team');
    expect(policy.policy).toBe('${data.aws_iam_policy_document.team_bucket_tls[each.key].json}');
    expect(policy.depends_on).toEqual(['${aws_s3_bucket_public_access_block.team}']);
    const tls = tf.data.aws_iam_policy_document!.team_bucket_tls![0]!;
    expect(tls.for_each).toBe('${local.team_s3_buckets}');
    expect(tls.statement).toEqual([
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        resources: ['${aws_s3_bucket.team[each.key].arn}', '${aws_s3_bucket.team[each.key].arn}/*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ]);
    expect(resource(tf, 'aws_s3_bucket_versioning', 'team').versioning_configuration).toEqual([{ status: 'Enabled' }]);
    expect(resource(tf, 'aws_s3_bucket_server_side_encryption_configuration', 'team').rule[0]).toMatchObject({
      apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms', kms_master_key_id: '${each.value.kms_key_arn}' }],
      bucket_key_enabled: true,
    });
    const rule = resource(tf, 'aws_s3_bucket_lifecycle_configuration', 'team').rule[0];
    expect(rule).toMatchObject({
      status: 'Enabled',
      transition: [{ days: '${each.value.lifecycle.infrequent_access_days}', storage_class: 'STANDARD_IA' }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: '${each.value.lifecycle.abort_incomplete_multipart_days}' }],
      noncurrent_version_expiration: [{ noncurrent_days: '${each.value.lifecycle.noncurrent_version_expiration_days}' }],
    });
    expect(rule.dynamic.expiration[0].for_each).toBe('${each.value.lifecycle.expiration_days == null ? [] : [each.value.lifecycle.expiration_days]}');
    // Every created bucket has a lifecycle; referenced buckets have none (Terraform would index a null).
    for (const cluster of distClusters()) {
      for (const t of Object.values((bootstrapInputOf(cluster).teams ?? {}) as Record<string, Block>)) {
        for (const b of t.buckets as Block[]) {
          expect(b.lifecycle === null, `${cluster}: ${b.name}`).toBe(!b.create);
          if (b.create) expect((b.lifecycle as Block).noncurrent_version_expiration_days, `${cluster}: ${b.name}`).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });

  it('dev shows the feature: team research has a created read-write bucket and a read-only prefixed one', () => {
    const research = bootstrapInputOf('dev').teams.research;
    expect(research.service_accounts).toEqual([
      { namespace: 'research', name: 'team-research' },
      { namespace: 'jupyterhub', name: 'team-research' },
    ]);
    expect(research.buckets.map((b: Block) => `${b.name}:${b.access}:${b.create}`)).toEqual([
      'acme-ai-dev-research:read-write:true',
      'acme-ml-datasets:read-only:false',
    ]);
  });
});
