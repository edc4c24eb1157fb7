import { afterAll, describe, expect, it } from 'vitest';
import { renderText } from '../../../pipeline/diff';
import type { BootstrapBucket, BootstrapTeamS3 } from '../../../pipeline/synth/team-s3';
import { cleanupDiffRepos, diffTrees as diffOf, type Tree } from './helpers';

afterAll(cleanupDiffRepos);

const bucket = (patch: Partial<BootstrapBucket> = {}): BootstrapBucket => ({
  name: 'acme-research',
  arn: 'arn:aws:s3:::acme-research',
  create: true,
  access: 'read-only',
  prefixes: [],
  kms_key_arn: null,
  lifecycle: { infrequent_access_days: 30, expiration_days: null, noncurrent_version_expiration_days: 30, abort_incomplete_multipart_days: 7 },
  ...patch,
});
const team = (buckets: BootstrapBucket[], namespaces = ['research']): BootstrapTeamS3 => ({
  service_accounts: namespaces.map((namespace) => ({ namespace, name: 'team-research' })),
  policy: { Version: '2012-10-17', Statement: [] },
  buckets,
});
/** dist/dev/bootstrap/terraform.json (the only file: the YAML diff has nothing to compare). */
const input = (teams: Record<string, BootstrapTeamS3>): Tree => ({
  'dist/dev/bootstrap/terraform.json': `${JSON.stringify({ cluster_name: 'dev', region: 'us-west-2', kubernetes_version: '1.35', cilium: null, teams }, null, 2)}\n`,
});

async function risksOf(base: Record<string, BootstrapTeamS3>, head: Record<string, BootstrapTeamS3>) {
  const result = await diffOf(input(base), input(head));
  return { risks: result.risks.map((r) => `${r.level} ${r.cluster}/${r.component} ${r.resource}: ${r.message}`), text: renderText(result) };
}

describe('eksai diff: per-team S3 in the Terraform input', () => {
  it('nothing changed: no risk', async () => {
    expect((await risksOf({ research: team([bucket()]) }, { research: team([bucket()]) })).risks).toEqual([]);
  });

  it('read-only → read-write is a high risk (IAM policy widening), and back a low one', async () => {
    expect((await risksOf({ research: team([bucket()]) }, { research: team([bucket({ access: 'read-write' })]) })).risks).toEqual([
      'high dev/bootstrap iam-role/team-research: IAM policy widening: team research access to acme-research read-only → read-write',
    ]);
    expect((await risksOf({ research: team([bucket({ access: 'read-write' })]) }, { research: team([bucket()]) })).risks).toEqual([
      'low dev/bootstrap iam-role/team-research: IAM policy narrowing: team research access to acme-research read-write → read-only',
    ]);
  });

  it('a new bucket, a new prefix, dropping the prefixes, a new key or a new ServiceAccount widen the policy', async () => {
    const shared = bucket({ name: 'shared', arn: 'arn:aws:s3:::shared', create: false, prefixes: ['a/'], lifecycle: null });
    const { risks, text } = await risksOf(
      { research: team([bucket(), shared]) },
      {
        research: team(
          [
            bucket({ kms_key_arn: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }),
            { ...shared, prefixes: ['a/', 'b/'] },
            bucket({ name: 'new-one', arn: 'arn:aws:s3:::new-one', access: 'read-write' }),
          ],
          ['research', 'jupyterhub'],
        ),
      },
    );
    expect(risks).toEqual([
      'high dev/bootstrap iam-role/team-research: IAM policy widening: team research may use KMS key arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (was none)',
      'high dev/bootstrap iam-role/team-research: IAM policy widening: team research prefixes of shared shared/a/ → shared/a/, shared/b/',
      'high dev/bootstrap iam-role/team-research: IAM policy widening: team research gets read-write access to all of new-one (a new bucket)',
      "high dev/bootstrap iam-role/team-research: IAM policy widening: ServiceAccount jupyterhub/team-research now runs as team research's role (a new Pod Identity association)",
    ]);
    expect(text).toContain('IAM policy widening');
    expect((await risksOf({ research: team([shared]) }, { research: team([{ ...shared, prefixes: [] }]) })).risks).toEqual([
      'high dev/bootstrap iam-role/team-research: IAM policy widening: team research prefixes of shared shared/a/ → all of shared',
    ]);
  });

  it('a removed created bucket, or a team that drops S3, is a data-loss risk; a removed referenced bucket only loses access', async () => {
    const shared = bucket({ name: 'shared', arn: 'arn:aws:s3:::shared', create: false, lifecycle: null });
    expect((await risksOf({ research: team([bucket(), shared]) }, {})).risks).toEqual([
      'high dev/bootstrap s3-bucket/acme-research: bucket acme-research is no longer created by eksai for team research: the next terraform apply destroys it and its objects (refused while it is not empty); keep it in the config, or move it out of the Terraform state first (terraform state rm)',
      'low dev/bootstrap iam-role/team-research: team research loses access to all of acme-research',
      'low dev/bootstrap iam-role/team-research: team research loses access to all of shared',
    ]);
  });

  it('shows the Terraform input as one object per cluster: its field changes aligned by identity, counted in the plan', async () => {
    const result = await diffOf(
      input({ research: team([bucket()]) }),
      input({ research: team([bucket({ access: 'read-write' })], ['research', 'jupyterhub']) }),
    );
    expect(result.counts).toEqual({ added: 0, changed: 1, renamed: 0, removed: 0 });
    const change = result.changes[0]!;
    expect([change.cluster, change.component, change.resourceKind, change.name, change.kind]).toEqual([
      'dev',
      'bootstrap',
      'TerraformInput',
      'terraform.json',
      'changed',
    ]);
    expect(change.fields.map((f) => `${f.path}: ${JSON.stringify(f.old)} → ${JSON.stringify(f.new)}`)).toEqual([
      'teams.research.buckets[name=acme-research].access: "read-only" → "read-write"',
      'teams.research.service_accounts[namespace=jupyterhub,name=team-research]: undefined → {"namespace":"jupyterhub","name":"team-research"}',
    ]);
    expect(renderText(result)).toContain('    ~ TerraformInput/terraform.json\n');
    // Unchanged: not compared at all, like an unchanged manifest file.
    expect((await diffOf(input({ research: team([bucket()]) }), input({ research: team([bucket()]) }))).changes).toEqual([]);
  });

  it('a Terraform input removed from a remaining cluster is listed without an Argo CD fate; one that is not JSON is a warning', async () => {
    const apps = { 'dist/dev/apps/Namespace.x.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' };
    const removed = await diffOf({ ...input({}), ...apps }, apps);
    expect(removed.changes.map((c) => `${c.kind} ${c.component} ${c.resourceKind}/${c.name} ${c.fate ? 'fate' : 'no fate'}`)).toEqual([
      'removed bootstrap TerraformInput/terraform.json no fate',
    ]);
    const broken = await diffOf(input({}), { 'dist/dev/bootstrap/terraform.json': '{ not json' });
    expect(broken.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      'dist/dev/bootstrap/terraform.json: is not a JSON object: run eksai synth to rewrite it',
    ]);
  });

  it('a new or shorter expiry is a data-loss risk', async () => {
    const expiring = (days: number | null) =>
      bucket({ lifecycle: { infrequent_access_days: 30, expiration_days: days, noncurrent_version_expiration_days: 30, abort_incomplete_multipart_days: 7 } });
    expect((await risksOf({ research: team([expiring(null)]) }, { research: team([expiring(365)]) })).risks).toEqual([
      'high dev/bootstrap s3-bucket/acme-research: data loss: objects of bucket acme-research now expire after 365 days (was never); older ones are deleted by S3',
    ]);
    expect((await risksOf({ research: team([expiring(90)]) }, { research: team([expiring(365)]) })).risks).toEqual([]);
  });

  it('a new or shorter retention of old versions is a data-loss risk; a longer one is not', async () => {
    const keeping = (days: number | undefined) =>
      bucket({
        lifecycle: {
          infrequent_access_days: 30,
          expiration_days: null,
          abort_incomplete_multipart_days: 7,
          // undefined: a terraform.json from before the field existed (old versions kept forever)
          ...(days === undefined ? {} : { noncurrent_version_expiration_days: days }),
        } as BootstrapBucket['lifecycle'],
      });
    const risk = (was: string) =>
      `medium dev/bootstrap s3-bucket/acme-research: data loss: old versions (overwritten or deleted objects) of bucket acme-research are now deleted 30 days after they are replaced (was ${was}); older ones can no longer be restored`;
    expect((await risksOf({ research: team([keeping(undefined)]) }, { research: team([keeping(30)]) })).risks).toEqual([risk('never')]);
    expect((await risksOf({ research: team([keeping(90)]) }, { research: team([keeping(30)]) })).risks).toEqual([risk('after 90 days')]);
    expect((await risksOf({ research: team([keeping(30)]) }, { research: team([keeping(90)]) })).risks).toEqual([]);
  });
});
