import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOTSTRAP_INPUT_PATH } from '../synth/bootstrap';
import type { BootstrapBucket, BootstrapTeamS3 } from '../synth/team-s3';
import type { Risk, RiskLevel } from './types';

/**
 * The Terraform input (dist/<cluster>/bootstrap/terraform.json) is JSON, which the YAML diff never
 * reads: its `teams` section (per-team S3 through Pod Identity, terraform/bootstrap/s3.tf) is compared
 * here, semantically. Widening a team's IAM policy is a high risk, a bucket the bootstrap would destroy
 * or expire sooner a data-loss risk; narrowing is noted.
 */

export type TeamsByCluster = ReadonlyMap<string, Readonly<Record<string, BootstrapTeamS3>>>;

const INPUT = new RegExp(`^dist/([^/]+)/${BOOTSTRAP_INPUT_PATH.replace('.', '\\.')}$`);

function teamsOf(text: string): Record<string, BootstrapTeamS3> {
  try {
    const doc = JSON.parse(text) as { teams?: Record<string, BootstrapTeamS3> };
    return doc.teams ?? {};
  } catch {
    return {};
  }
}

/** The `teams` section of every cluster's Terraform input at a commit (undefined: the working tree). */
export function readBootstrapTeams(cwd: string, commit?: string): TeamsByCluster {
  const out = new Map<string, Record<string, BootstrapTeamS3>>();
  if (commit === undefined) {
    const dist = join(cwd, 'dist');
    if (!existsSync(dist)) return out;
    for (const e of readdirSync(dist, { withFileTypes: true })) {
      const file = join(dist, e.name, BOOTSTRAP_INPUT_PATH);
      if (e.isDirectory() && existsSync(file)) out.set(e.name, teamsOf(readFileSync(file, 'utf8')));
    }
    return out;
  }
  const names = execFileSync('git', ['ls-tree', '-r', '--name-only', '--full-tree', commit, '--', 'dist'], { cwd, maxBuffer: 1 << 30 })
    .toString('utf8')
    .split('\n');
  for (const name of names) {
    const m = INPUT.exec(name);
    if (m) out.set(m[1]!, teamsOf(execFileSync('git', ['show', `${commit}:${name}`], { cwd, maxBuffer: 1 << 30 }).toString('utf8')));
  }
  return out;
}

const scope = (b: BootstrapBucket) => (b.prefixes.length > 0 ? b.prefixes.map((p) => `${b.name}/${p}`).join(', ') : `all of ${b.name}`);

/** Risks of the change of one team's S3 section (either side may be absent). */
function teamRisks(
  team: string,
  before: BootstrapTeamS3 | undefined,
  after: BootstrapTeamS3 | undefined,
  add: (level: RiskLevel, resource: string, message: string) => void,
): void {
  const role = `iam-role/team-${team}`;
  const old = new Map((before?.buckets ?? []).map((b) => [b.name, b]));
  const now = new Map((after?.buckets ?? []).map((b) => [b.name, b]));
  for (const [name, b] of old) {
    const n = now.get(name);
    if (b.create && !n?.create) {
      add(
        'high',
        `s3-bucket/${name}`,
        `bucket ${name} is no longer created by eksai for team ${team}: the next terraform apply destroys it and its objects (refused while it is not empty); keep it in the config, or move it out of the Terraform state first (terraform state rm)`,
      );
    }
    if (!n) add('low', role, `team ${team} loses access to ${scope(b)}`);
  }
  for (const [name, n] of now) {
    const b = old.get(name);
    if (!b) {
      add('high', role, `IAM policy widening: team ${team} gets ${n.access} access to ${scope(n)}${n.create ? ' (a new bucket)' : ''}`);
      continue;
    }
    if (b.access !== n.access)
      add(
        n.access === 'read-write' ? 'high' : 'low',
        role,
        `${n.access === 'read-write' ? 'IAM policy widening' : 'IAM policy narrowing'}: team ${team} access to ${name} ${b.access} → ${n.access}`,
      );
    const wider = b.prefixes.length > 0 && (n.prefixes.length === 0 || n.prefixes.some((p) => !b.prefixes.includes(p)));
    const narrower = n.prefixes.length > 0 && (b.prefixes.length === 0 || b.prefixes.some((p) => !n.prefixes.includes(p)));
    if (wider) add('high', role, `IAM policy widening: team ${team} prefixes of ${name} ${scope(b)} → ${scope(n)}`);
    else if (narrower) add('low', role, `IAM policy narrowing: team ${team} prefixes of ${name} ${scope(b)} → ${scope(n)}`);
    if (n.kms_key_arn !== null && n.kms_key_arn !== b.kms_key_arn)
      add('high', role, `IAM policy widening: team ${team} may use KMS key ${n.kms_key_arn} (was ${b.kms_key_arn ?? 'none'})`);
    const was = b.lifecycle?.expiration_days ?? null;
    const is = n.lifecycle?.expiration_days ?? null;
    if (is !== null && (was === null || is < was))
      add(
        'high',
        `s3-bucket/${name}`,
        `data loss: objects of bucket ${name} now expire after ${is} days (was ${was === null ? 'never' : `${was} days`}); older ones are deleted by S3`,
      );
  }
  const sas = (t: BootstrapTeamS3 | undefined) => new Set((t?.service_accounts ?? []).map((s) => `${s.namespace}/${s.name}`));
  const sasBefore = sas(before);
  for (const sa of sas(after))
    if (before && !sasBefore.has(sa))
      add('high', role, `IAM policy widening: ServiceAccount ${sa} now runs as team ${team}'s role (a new Pod Identity association)`);
}

/** Risks of the `teams` sections between two revisions, for clusters present in both (a removed cluster is its own risk). */
export function bootstrapRisks(base: TeamsByCluster, head: TeamsByCluster): Risk[] {
  const risks: Risk[] = [];
  for (const [cluster, after] of [...head].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const before = base.get(cluster);
    if (!before) continue;
    for (const team of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      teamRisks(team, before[team], after[team], (level, resource, message) => risks.push({ level, cluster, component: 'bootstrap', resource, message }));
    }
  }
  return risks;
}
