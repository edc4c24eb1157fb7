import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOTSTRAP_INPUT_PATH } from '../synth/bootstrap';
import { readDistAtRef } from './git';
import type { BootstrapBucket, BootstrapTeamS3 } from '../synth/team-s3';
import type { Resource } from './identity';
import type { ParseProblem, Risk, RiskLevel } from './types';

/**
 * The Terraform input (dist/<cluster>/bootstrap/terraform.json) is JSON, which the YAML diff never reads.
 * It joins the comparison as one object per cluster (component `bootstrap`, kind TerraformInput), so its
 * field changes show aligned by identity like any manifest's; its `teams` section (per-team S3 through Pod
 * Identity, terraform/bootstrap/s3.tf) is also judged here, semantically: widening a team's IAM policy is a
 * high risk, a bucket the bootstrap would destroy or expire sooner a data-loss risk; narrowing is noted.
 */

export type TeamsByCluster = ReadonlyMap<string, Readonly<Record<string, BootstrapTeamS3>>>;

/** Cluster → the text of its dist/<cluster>/bootstrap/terraform.json at one revision. */
export type BootstrapInputs = ReadonlyMap<string, string>;

/** What the diff calls the Terraform input object (not a Kubernetes kind: nothing in a cluster has it). */
export const TERRAFORM_INPUT = { apiVersion: 'eksai.io/bootstrap', kind: 'TerraformInput', component: 'bootstrap' } as const;

const INPUT = new RegExp(`^dist/([^/]+)/${BOOTSTRAP_INPUT_PATH.replace('.', '\\.')}$`);

/** Every cluster's Terraform input at a commit (undefined: the working tree); `blobs` as readDistAtRef shares them. */
export function readBootstrapInputs(cwd: string, commit?: string, blobs?: Map<string, string>): BootstrapInputs {
  const out = new Map<string, string>();
  if (commit === undefined) {
    const dist = join(cwd, 'dist');
    if (!existsSync(dist)) return out;
    for (const e of readdirSync(dist, { withFileTypes: true })) {
      const file = join(dist, e.name, BOOTSTRAP_INPUT_PATH);
      if (e.isDirectory() && existsSync(file)) out.set(e.name, readFileSync(file, 'utf8'));
    }
    return out;
  }
  for (const [name, text] of readDistAtRef(cwd, commit, 'dist', blobs, (path) => INPUT.test(path))) out.set(INPUT.exec(name)![1]!, text);
  return out;
}

function parseInput(text: string): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(text) as unknown;
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `teams` section of every cluster's Terraform input. */
export function bootstrapTeams(inputs: BootstrapInputs): TeamsByCluster {
  const out = new Map<string, Record<string, BootstrapTeamS3>>();
  for (const [cluster, text] of inputs) out.set(cluster, (parseInput(text)?.teams as Record<string, BootstrapTeamS3> | undefined) ?? {});
  return out;
}

/**
 * The Terraform inputs that differ between the revisions, as objects for the comparison (an unchanged one
 * is left out, like an unchanged manifest file); a file that is not a JSON object is a problem, not an object.
 */
export function bootstrapResources(
  base: BootstrapInputs,
  head: BootstrapInputs,
  baseLabel: string,
): { readonly base: Map<string, Resource>; readonly head: Map<string, Resource>; readonly problems: ParseProblem[] } {
  const problems: ParseProblem[] = [];
  const side = (inputs: BootstrapInputs, other: BootstrapInputs, label: string): Map<string, Resource> => {
    const out = new Map<string, Resource>();
    for (const [cluster, text] of inputs) {
      if (other.get(cluster) === text) continue;
      const file = `dist/${cluster}/${BOOTSTRAP_INPUT_PATH}`;
      const body = parseInput(text);
      if (!body) {
        problems.push({ file: `${label}${file}`, message: 'is not a JSON object: run eksai synth to rewrite it' });
        continue;
      }
      const name = BOOTSTRAP_INPUT_PATH.slice(BOOTSTRAP_INPUT_PATH.lastIndexOf('/') + 1);
      const key = `${cluster}:${TERRAFORM_INPUT.apiVersion}/${TERRAFORM_INPUT.kind}//${name}`;
      out.set(key, {
        key,
        cluster,
        component: TERRAFORM_INPUT.component,
        file,
        apiVersion: TERRAFORM_INPUT.apiVersion,
        kind: TERRAFORM_INPUT.kind,
        namespace: '',
        name,
        body,
      });
    }
    return out;
  };
  return { base: side(base, head, `${baseLabel}:`), head: side(head, base, ''), problems };
}

/** A deletion after `is` days that is new (`was` null: never) or comes sooner than before. */
const sooner = (was: number | null, is: number | null): boolean => is !== null && (was === null || is < was);

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
    if (sooner(was, is))
      add(
        'high',
        `s3-bucket/${name}`,
        `data loss: objects of bucket ${name} now expire after ${is} days (was ${was === null ? 'never' : `${was} days`}); older ones are deleted by S3`,
      );
    // A terraform.json written before eksai set it has no noncurrent expiry: old versions were kept forever.
    const keptWas = b.lifecycle?.noncurrent_version_expiration_days ?? null;
    const keptIs = n.lifecycle?.noncurrent_version_expiration_days ?? null;
    if (sooner(keptWas, keptIs))
      add(
        'medium',
        `s3-bucket/${name}`,
        `data loss: old versions (overwritten or deleted objects) of bucket ${name} are now deleted ${keptIs} days after they are replaced (was ${keptWas === null ? 'never' : `after ${keptWas} days`}); older ones can no longer be restored`,
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
