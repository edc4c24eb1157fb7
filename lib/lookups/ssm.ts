import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { GetParametersByPathCommand, type Parameter, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, EnvironmentError, type Problem } from '../errors';
import { writeFileAtomic } from './atomic';
import { amiNeeds, amiProblems, resolveAmis, type AmiRecord, type NodeImageInputs } from './amis';
import {
  createSsmClient,
  resolveTimeouts,
  SSM_MAX_PAGES,
  SsmPageLimitError,
  SsmRepeatedTokenError,
  startDeadline,
  translateSsmError,
  type CallContext,
  type Deadline,
  type SsmTimeouts,
} from './client';
import { checkFact, isFactName, shownValue } from './facts';
import { factsFromLookups, lookupsPath, MAX_LOOKUPS_BYTES, lookupsRelPath, serializeLookups, type LookupsFile } from './file';
import { OPTIONAL_PARAMETERS, REQUIRED_PARAMETERS, ssmPrefix, type RequiredParameter } from './parameters';
import { scalarText } from '../text';

export { SSM_MAX_ATTEMPTS, SsmAccessDeniedError, SsmPageLimitError, SsmRepeatedTokenError, SsmTimeoutError, createSsmClient } from './client';

/**
 * `eksai lookup`: reads a cluster's facts from SSM Parameter Store (written by terraform/bootstrap)
 * and the AMI ids of its pinned aliases (public parameters), and snapshots them into
 * clusters/<name>.lookups.json, the only place synth reads them from.
 */

/** Where in terraform/bootstrap each required parameter is written, for error messages. */
export const TERRAFORM_SOURCE = 'terraform/bootstrap/main.tf (aws_ssm_parameter.facts, keys in local.ssm_parameters)';

export interface LookupOptions {
  readonly cluster: string;
  /** AWS region of the cluster (from its config: see lookupTarget). */
  readonly region: string;
  /** Repository root. */
  readonly cwd: string;
  /** What decides the AMIs to verify (from the cluster config: see lookupTarget). */
  readonly nodes: NodeImageInputs;
  /** Cluster file, relative to the repo root, for AMI messages. @default clusters/<cluster>.ts */
  readonly clusterFile?: string;
  /**
   * More checks the new file must pass before it is written (lookupTarget passes every lookups rule of loadCluster,
   * e.g. storage.efs needs its id): the problems it has, empty when none.
   */
  readonly verify?: (doc: unknown) => readonly Problem[];
  /** Compare with the committed file instead of writing it. */
  readonly check?: boolean;
  /** SSM client to use; default: standard credential chain, AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL honoured, timeouts below. */
  readonly client?: SSMClient;
  /** Connect / request / total timeouts (see SSM_TIMEOUTS; the total applies to a given client too). */
  readonly timeouts?: Partial<SsmTimeouts>;
  /** Pages GetParametersByPath may return. @default SSM_MAX_PAGES */
  readonly maxPages?: number;
}

/** One difference between SSM and the committed lookups file. */
export interface Drift {
  /** Parameter name relative to the prefix, `amis/<alias>/<image>`, or `prefix` / `region` / `file`. */
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
  /** Known parameters (required + optional) read from SSM, canonical, sorted. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Verified AMI aliases. */
  readonly amis: Readonly<Record<string, AmiRecord>>;
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

/** A fact in SSM breaks the rules synth applies (lib/lookups/facts.ts): nothing was written. Exit code 1. */
export class InvalidParametersError extends ConfigError {
  constructor(problems: readonly Problem[]) {
    super(problems);
    this.name = 'InvalidParametersError';
  }
}

/** The lookups file could not be replaced; the committed one is unchanged. Exit code 2. */
export class LookupsWriteError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'LookupsWriteError';
  }
}

/** Every parameter under the prefix, following NextToken, within the page cap and never the same token twice. */
async function readPath(
  client: SSMClient,
  prefix: string,
  deadline: Deadline,
  maxPages: number,
  ctx: CallContext,
): Promise<{ parameters: Parameter[]; pages: number }> {
  const parameters: Parameter[] = [];
  const seen = new Set<string>();
  let pages = 0;
  let token: string | undefined;
  do {
    if (pages >= maxPages) {
      throw new SsmPageLimitError(
        `SSM returned more than ${maxPages} pages of GetParametersByPath ${prefix} in ${ctx.region} (eksai reads ${Object.keys(REQUIRED_PARAMETERS).length + Object.keys(OPTIONAL_PARAMETERS).length} parameters); nothing was written: move unrelated parameters out of ${prefix} or check AWS_ENDPOINT_URL_SSM, then rerun \`eksai lookup --cluster ${ctx.cluster}\``,
      );
    }
    const out = await client.send(new GetParametersByPathCommand({ Path: prefix, Recursive: true, WithDecryption: false, MaxResults: 10, NextToken: token }), {
      abortSignal: deadline.signal,
    });
    pages += 1;
    parameters.push(...(out.Parameters ?? []));
    token = out.NextToken || undefined;
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new SsmRepeatedTokenError(
          `SSM returned the same NextToken twice for GetParametersByPath ${prefix} in ${ctx.region} (page ${pages}), which would loop forever; nothing was written: check AWS_ENDPOINT_URL_SSM (a proxy or emulator replaying pages?), then rerun \`eksai lookup --cluster ${ctx.cluster}\``,
        );
      }
      seen.add(token);
    }
  } while (token !== undefined);
  return { parameters, pages };
}

function diff(committed: unknown, next: LookupsFile): Drift[] {
  if (committed === undefined) return [{ name: 'file', status: 'missing' }];
  const drift: Drift[] = [];
  const doc = (typeof committed === 'object' && committed !== null ? committed : {}) as Partial<LookupsFile>;
  const shown = (v: unknown) => (v === undefined ? undefined : shownValue(scalarText(v)));
  for (const key of ['prefix', 'region'] as const) {
    if (doc[key] !== next[key]) drift.push({ name: key, status: 'changed', committed: shown(doc[key]) ?? 'undefined', ssm: next[key] });
  }
  const flat = (file: Partial<LookupsFile>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...(typeof file.parameters === 'object' && file.parameters !== null ? file.parameters : {}) };
    const amis = (typeof file.amis === 'object' && file.amis !== null ? file.amis : {}) as Record<string, Partial<AmiRecord> | null>;
    for (const [alias, rec] of Object.entries(amis)) {
      out[`amis/${alias}/kubernetesVersion`] = rec?.kubernetesVersion;
      for (const [key, id] of Object.entries(rec?.images ?? {})) out[`amis/${alias}/${key}`] = id;
    }
    return out;
  };
  const old = flat(doc);
  const now = flat(next) as Record<string, string | undefined>;
  const names = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
  for (const name of names) {
    const a = old[name];
    const b = now[name];
    if (a === undefined && b !== undefined) drift.push({ name, status: 'added', ssm: b });
    else if (a !== undefined && b === undefined) drift.push({ name, status: 'removed', committed: shown(a) });
    else if (a !== b) drift.push({ name, status: 'changed', committed: shown(a), ssm: b });
  }
  return drift;
}

/** SSM parameters → known facts (canonical) and ignored names; every broken or missing required fact is an error. */
function collectFacts(
  read: readonly Parameter[],
  prefix: string,
  cluster: string,
  region: string,
  file: string,
): { parameters: Record<string, string>; ignored: string[] } {
  const found: Record<string, string> = {};
  const ignored: string[] = [];
  const secure = new Set<string>();
  const invalid: Problem[] = [];
  const fix = (name: string) =>
    `correct SSM parameter ${prefix}${name} (terraform/bootstrap writes it in ${TERRAFORM_SOURCE}), then rerun \`eksai lookup --cluster ${cluster}\``;
  for (const p of read) {
    if (!p.Name?.startsWith(prefix)) continue;
    const rel = p.Name.slice(prefix.length);
    if (p.Type === 'SecureString') secure.add(rel);
    if (!isFactName(rel) || p.Value === undefined || p.Type === 'SecureString') {
      ignored.push(rel);
      continue;
    }
    if (p.Value === '') continue;
    const checked = checkFact(rel, p.Value);
    if ('value' in checked) found[rel] = checked.value;
    else invalid.push({ file: `SSM ${prefix}`, path: rel, message: `${checked.error}; nothing was written`, value: checked.shown, fix: fix(rel) });
  }
  const missing = (Object.keys(REQUIRED_PARAMETERS) as RequiredParameter[]).filter((n) => found[n] === undefined && !invalid.some((p) => p.path === n));
  if (missing.length > 0) {
    const problems = missing.map((name) => ({
      file,
      path: `parameters.${name}`,
      message: secure.has(name)
        ? `is unusable: SSM parameter ${prefix}${name} (${REQUIRED_PARAMETERS[name]}) is a SecureString, eksai reads facts as plain String; nothing was written`
        : `is missing: SSM parameter ${prefix}${name} (${REQUIRED_PARAMETERS[name]}) was not found in ${region}; nothing was written`,
      fix: `apply terraform/bootstrap with cluster_name = "${cluster}" in ${region}; it writes it in ${TERRAFORM_SOURCE}`,
    }));
    throw new MissingParametersError([...invalid, ...problems], missing);
  }
  if (invalid.length > 0) throw new InvalidParametersError(invalid);
  return {
    parameters: Object.fromEntries(
      Object.keys(found)
        .sort()
        .map((k) => [k, found[k]!]),
    ),
    ignored: ignored.sort(),
  };
}

/** The committed file's text; undefined when there is none. A folder or special file in its place is an environment error. */
function readCommitted(path: string, file: string, cluster: string): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile())
    throw new LookupsWriteError(
      `${file} is not a regular file (a folder, link or device is in its place): remove it, then rerun \`eksai lookup --cluster ${cluster}\``,
    );
  // Larger than any lookups file: it is replaced, never parsed.
  return st.size > MAX_LOOKUPS_BYTES ? '' : readFileSync(path, 'utf8');
}

/** Reads /eksai/<cluster>/ and the AMI parameters from SSM; writes (or in check mode compares) clusters/<cluster>.lookups.json. */
export async function lookup(options: LookupOptions): Promise<LookupResult> {
  const { cluster, region, cwd } = options;
  const prefix = ssmPrefix(cluster);
  const file = lookupsRelPath(cluster);
  const clusterFile = options.clusterFile ?? `clusters/${cluster}.ts`;
  const timeouts = resolveTimeouts(options.timeouts);
  const client = options.client ?? createSsmClient(region, timeouts);
  const deadline = startDeadline(timeouts.totalMs);
  const base = { cluster, region, timeouts, deadline };
  const needs = amiNeeds(options.nodes);
  let read: { parameters: Parameter[]; pages: number };
  let amis: Record<string, AmiRecord>;
  let facts: { parameters: Record<string, string>; ignored: string[] };
  try {
    const pathCtx: CallContext = { ...base, operation: 'GetParametersByPath', what: prefix, resource: `arn:aws:ssm:${region}:<account>:parameter${prefix}*` };
    try {
      read = await readPath(client, prefix, deadline, options.maxPages ?? SSM_MAX_PAGES, pathCtx);
    } catch (err) {
      throw translateSsmError(err, pathCtx);
    }
    // Facts first: a missing or broken fact is reported before any AMI is looked up.
    facts = collectFacts(read.parameters, prefix, cluster, region, file);
    const amiCtx: CallContext = {
      ...base,
      operation: 'GetParameters',
      what: 'the AMI parameters under /aws/service/',
      resource: `arn:aws:ssm:${region}::parameter/aws/service/*`,
    };
    try {
      amis = await resolveAmis({ client, signal: deadline.signal }, cluster, clusterFile, region, needs);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw translateSsmError(err, amiCtx);
    }
  } finally {
    deadline.cancel();
    if (!options.client) client.destroy();
  }
  const { parameters, ignored } = facts;
  const next: LookupsFile = { amis, prefix, region, parameters };
  // Refuse to write what synth would reject: the same checks synth runs on the file it reads.
  const problems: Problem[] = [];
  const doc = JSON.parse(serializeLookups(next)) as unknown;
  factsFromLookups(cluster, region, doc, problems);
  amiProblems(cluster, clusterFile, options.nodes, doc, problems);
  if (options.verify && problems.length === 0) problems.push(...options.verify(doc));
  if (problems.length > 0) throw new InvalidParametersError(problems.map((p) => ({ ...p, message: `${p.message}; nothing was written` })));
  const path = lookupsPath(cwd, cluster);
  const text = serializeLookups(next);
  const committedText = readCommitted(path, file, cluster);
  let committed: unknown;
  if (committedText !== undefined) {
    try {
      committed = JSON.parse(committedText);
    } catch {
      committed = {};
    }
  }
  const drift = diff(committed, next);
  const written = !options.check && committedText !== text;
  if (written) {
    try {
      writeFileAtomic(path, text);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LookupsWriteError(
        `cannot write ${file} (${e.code ?? e.name}: ${e.message}); ${committedText === undefined ? 'no file was created' : 'the committed file is unchanged'}: free disk space or fix the folder's permissions, then rerun \`eksai lookup --cluster ${cluster}\``,
      );
    }
  }
  return { cluster, region, prefix, file, parameters, amis, ignored, pages: read.pages, drift, written };
}
