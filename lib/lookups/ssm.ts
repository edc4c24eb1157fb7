import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { GetParametersByPathCommand, SSMClient, type Parameter } from '@aws-sdk/client-ssm';
import { ConfigError, EnvironmentError, UsageError, type Problem } from '../errors';
import { readRegistry } from '../config/load';
import { lookupsPath, lookupsRelPath, serializeLookups, type LookupsFile } from './file';
import { OPTIONAL_PARAMETERS, REQUIRED_PARAMETERS, ssmPrefix, type RequiredParameter } from './parameters';

/**
 * `eksai lookup`: reads a cluster's facts from SSM Parameter Store (written by terraform/bootstrap)
 * and snapshots them into clusters/<name>.lookups.json, the only place synth reads them from.
 */

/** Attempts per SSM call (1 + retries); throttling is retried with the SDK's exponential backoff. */
export const SSM_MAX_ATTEMPTS = 6;

/** Where in terraform/bootstrap each required parameter is written, for error messages. */
export const TERRAFORM_SOURCE = 'terraform/bootstrap/main.tf (aws_ssm_parameter.facts, keys in local.ssm_parameters)';

export interface LookupOptions {
  readonly cluster: string;
  /** AWS region of the cluster (from its config: see clusterRegion). */
  readonly region: string;
  /** Repository root. */
  readonly cwd: string;
  /** Compare with the committed file instead of writing it. */
  readonly check?: boolean;
  /** SSM client to use; default: standard credential chain, AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL honoured. */
  readonly client?: SSMClient;
}

/** One difference between SSM and the committed lookups file. */
export interface Drift {
  /** Parameter name relative to the prefix, or `prefix` / `region` / `file`. */
  readonly name: string;
  /** added = in SSM only, removed = in the file only, changed = different value, missing = no file. */
  readonly status: 'added' | 'removed' | 'changed' | 'missing';
  readonly committed?: string;
  readonly ssm?: string;
}

export interface LookupResult {
  readonly cluster: string;
  readonly region: string;
  readonly prefix: string;
  /** The lookups file, relative to the repo root. */
  readonly file: string;
  /** Known parameters (required + optional) read from SSM, sorted. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Parameters under the prefix eksai does not use (not written). */
  readonly ignored: readonly string[];
  /** Pages GetParametersByPath returned. */
  readonly pages: number;
  /** Differences between SSM and the committed file (before writing). */
  readonly drift: readonly Drift[];
  /** Whether the file was written (never in check mode; not when it was already identical). */
  readonly written: boolean;
}

/** A required parameter is not in SSM: nothing was written. Exit code 1. */
export class MissingParametersError extends ConfigError {
  constructor(
    problems: readonly Problem[],
    public readonly missing: readonly RequiredParameter[],
  ) {
    super(problems);
    this.name = 'MissingParametersError';
  }
}

/** The credentials may not read the cluster's SSM path. Exit code 2. */
export class SsmAccessDeniedError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'SsmAccessDeniedError';
  }
}

/** Region of a cluster from its config in clusters/index.ts. */
export function clusterRegion(cwd: string, cluster: string): string {
  const sources = readRegistry(cwd);
  const source = sources.find((s) => s.name === cluster);
  if (!source) {
    const known = sources.map((s) => s.name).join(', ');
    throw new UsageError(`unknown cluster '${cluster}': clusters/index.ts has ${known || 'no clusters'}; pass one of them or add it with \`eksai new-cluster\``);
  }
  const region = (source.input as { region?: unknown } | null)?.region;
  if (typeof region !== 'string' || region === '') {
    throw new ConfigError([{ file: source.file, path: 'region', message: 'is required to read SSM parameters', value: region, fix: "set region, e.g. region: 'us-west-2'" }]);
  }
  return region;
}

export function createSsmClient(region: string): SSMClient {
  // Endpoint: the SDK resolves AWS_ENDPOINT_URL_SSM, then AWS_ENDPOINT_URL (and the config file) itself.
  return new SSMClient({ region, maxAttempts: SSM_MAX_ATTEMPTS, retryMode: 'standard' });
}

function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; __type?: string };
  return e.name ?? e.Code ?? '';
}

/** SDK errors → eksai errors with the fix. */
function translate(err: unknown, cluster: string, region: string, prefix: string): Error {
  const name = errorName(err);
  const detail = (err as Error).message ?? String(err);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new SsmAccessDeniedError(
      `access denied reading SSM ${prefix} in ${region} (${detail}): allow ssm:GetParametersByPath on arn:aws:ssm:${region}:<account>:parameter${prefix}* for the credentials in use (check AWS_PROFILE / \`aws sts get-caller-identity\`)`,
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return new EnvironmentError(`no AWS credentials for reading SSM ${prefix} (${detail}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run \`aws sso login\``);
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return new EnvironmentError(`SSM kept throttling GetParametersByPath ${prefix} in ${region} after retries with backoff: wait a minute and rerun \`eksai lookup --cluster ${cluster}\``);
  }
  const endpoint = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
  const where = endpoint ? ` at ${endpoint}` : '';
  return new EnvironmentError(`reading SSM ${prefix} in ${region}${where} failed (${name || 'error'}: ${detail}): check the network, region and AWS_ENDPOINT_URL_SSM, then rerun \`eksai lookup --cluster ${cluster}\``);
}

/** Every parameter under the prefix, following NextToken. */
async function readPath(client: SSMClient, prefix: string): Promise<{ parameters: Parameter[]; pages: number }> {
  const parameters: Parameter[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const out = await client.send(new GetParametersByPathCommand({ Path: prefix, Recursive: true, WithDecryption: false, NextToken: token }));
    pages += 1;
    parameters.push(...(out.Parameters ?? []));
    token = out.NextToken || undefined;
  } while (token !== undefined);
  return { parameters, pages };
}

function diff(committed: unknown, next: LookupsFile): Drift[] {
  if (committed === undefined) return [{ name: 'file', status: 'missing' }];
  const drift: Drift[] = [];
  const doc = (typeof committed === 'object' && committed !== null ? committed : {}) as Partial<LookupsFile>;
  for (const key of ['prefix', 'region'] as const) {
    if (doc[key] !== next[key]) drift.push({ name: key, status: 'changed', committed: String(doc[key]), ssm: next[key] });
  }
  const old = (typeof doc.parameters === 'object' && doc.parameters !== null ? doc.parameters : {}) as Record<string, unknown>;
  const names = [...new Set([...Object.keys(old), ...Object.keys(next.parameters)])].sort();
  for (const name of names) {
    const a = old[name];
    const b = next.parameters[name];
    if (a === undefined && b !== undefined) drift.push({ name, status: 'added', ssm: b });
    else if (a !== undefined && b === undefined) drift.push({ name, status: 'removed', committed: String(a) });
    else if (a !== b) drift.push({ name, status: 'changed', committed: String(a), ssm: b });
  }
  return drift;
}

/** Reads /eksai/<cluster>/ from SSM; writes (or in check mode compares) clusters/<cluster>.lookups.json. */
export async function lookup(options: LookupOptions): Promise<LookupResult> {
  const { cluster, region, cwd } = options;
  const prefix = ssmPrefix(cluster);
  const file = lookupsRelPath(cluster);
  const client = options.client ?? createSsmClient(region);
  let read: { parameters: Parameter[]; pages: number };
  try {
    read = await readPath(client, prefix);
  } catch (err) {
    throw translate(err, cluster, region, prefix);
  } finally {
    if (!options.client) client.destroy();
  }
  const known = new Set<string>([...Object.keys(REQUIRED_PARAMETERS), ...Object.keys(OPTIONAL_PARAMETERS)]);
  const found: Record<string, string> = {};
  const ignored: string[] = [];
  const secure = new Set<string>();
  for (const p of read.parameters) {
    if (!p.Name?.startsWith(prefix)) continue;
    const rel = p.Name.slice(prefix.length);
    if (p.Type === 'SecureString') secure.add(rel);
    if (known.has(rel) && p.Value !== undefined && p.Type !== 'SecureString') found[rel] = p.Value;
    else ignored.push(rel);
  }
  const missing = (Object.keys(REQUIRED_PARAMETERS) as RequiredParameter[]).filter((n) => found[n] === undefined || found[n] === '');
  if (missing.length > 0) {
    const problems = missing.map((name) => ({
      file,
      path: `parameters.${name}`,
      message: secure.has(name)
        ? `is unusable: SSM parameter ${prefix}${name} (${REQUIRED_PARAMETERS[name]}) is a SecureString, eksai reads facts as plain String; nothing was written`
        : `is missing: SSM parameter ${prefix}${name} (${REQUIRED_PARAMETERS[name]}) was not found in ${region}; nothing was written`,
      fix: `apply terraform/bootstrap with cluster_name = "${cluster}" in ${region}; it writes it in ${TERRAFORM_SOURCE}`,
    }));
    throw new MissingParametersError(problems, missing);
  }
  const parameters = Object.fromEntries(Object.keys(found).sort().map((k) => [k, found[k]!]));
  const next: LookupsFile = { prefix, region, parameters };
  const path = lookupsPath(cwd, cluster);
  const text = serializeLookups(next);
  let committed: unknown;
  let committedText: string | undefined;
  if (existsSync(path)) {
    committedText = readFileSync(path, 'utf8');
    try {
      committed = JSON.parse(committedText);
    } catch {
      committed = {};
    }
  }
  const drift = diff(committed, next);
  const written = !options.check && committedText !== text;
  if (written) writeFileSync(path, text);
  return { cluster, region, prefix, file, parameters, ignored: ignored.sort(), pages: read.pages, drift, written };
}
