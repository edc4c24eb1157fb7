import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../errors';
import type { ClusterFacts } from '../config/types';
import { REQUIRED_PARAMETERS, ssmPrefix, type RequiredParameter } from './parameters';

/**
 * `clusters/<name>.lookups.json`: the committed snapshot of a cluster's SSM facts, written by
 * `eksai lookup`. Synth reads only this file, so it runs offline and repeatably.
 */
export interface LookupsFile {
  /** SSM prefix the parameters were read from, e.g. `/eksai/dev/`. */
  readonly prefix: string;
  readonly region: string;
  /** Parameter values by name relative to the prefix, sorted by name. */
  readonly parameters: Readonly<Record<string, string>>;
}

export function lookupsPath(cwd: string, cluster: string): string {
  return join(cwd, 'clusters', `${cluster}.lookups.json`);
}

export function lookupsRelPath(cluster: string): string {
  return `clusters/${cluster}.lookups.json`;
}

/** Deterministic serialisation: sorted keys, 2-space indent, trailing newline. */
export function serializeLookups(file: LookupsFile): string {
  const parameters = Object.fromEntries(
    Object.keys(file.parameters)
      .sort()
      .map((k) => [k, file.parameters[k]]),
  );
  return `${JSON.stringify({ parameters, prefix: file.prefix, region: file.region }, null, 2)}\n`;
}

/** Reads the lookups file of a cluster, or undefined with a problem when it is missing or malformed. */
export function readLookups(cwd: string, cluster: string, problems: Problem[]): unknown {
  const file = lookupsPath(cwd, cluster);
  const rel = lookupsRelPath(cluster);
  if (!existsSync(file)) {
    problems.push({
      file: rel,
      path: '',
      message: 'does not exist',
      fix: `run \`eksai lookup --cluster ${cluster}\` to read the cluster facts from SSM ${ssmPrefix(cluster)} (written by terraform/bootstrap)`,
    });
    return undefined;
  }
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = jsonErrorAt(text, (err as Error).message);
    problems.push({ file: `${rel}:${at.line}:${at.column}`, path: '', message: `is not valid JSON: ${at.reason}`, fix: `fix that line, or rerun \`eksai lookup --cluster ${cluster}\`` });
    return undefined;
  }
}

/**
 * Line and column (1-based) of a JSON.parse error, and its reason without the byte offset or the
 * echoed text. V8 gives a byte position for most errors but none for an unexpected token; then the
 * shortest prefix of the text that fails before its own end ends just after the bad character.
 */
export function jsonErrorAt(text: string, message: string): { line: number; column: number; reason: string } {
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ after the JSON value$|Unexpected non-whitespace character after JSON.*$/s, 'Unexpected text after the JSON value')
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
  const positionOf = (m: string) => Number(/at position (\d+)/.exec(m)?.[1] ?? NaN);
  let pos = positionOf(message);
  if (Number.isNaN(pos)) {
    pos = text.length;
    if (!/^Unexpected end of JSON input/.test(message)) {
      const failsInside = (n: number): boolean => {
        try {
          JSON.parse(text.slice(0, n));
          return false;
        } catch (e) {
          const m = (e as Error).message;
          if (/^Unexpected end of JSON input/.test(m)) return false;
          const p = positionOf(m);
          return Number.isNaN(p) || p < n;
        }
      };
      let lo = 1;
      let hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (failsInside(mid)) hi = mid;
        else lo = mid + 1;
      }
      pos = lo - 1;
    }
  }
  const before = text.slice(0, pos).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1, reason };
}

const ARN_OR_NAME = /^[\w+=,.@-]+$/;

/**
 * Checks a parsed lookups document and turns it into ClusterFacts. Every missing or malformed
 * required fact is a problem naming the SSM parameter and the command that fills it.
 */
export function factsFromLookups(cluster: string, region: string, doc: unknown, problems: Problem[]): ClusterFacts | undefined {
  const rel = lookupsRelPath(cluster);
  const prefix = ssmPrefix(cluster);
  const refill = `run \`eksai lookup --cluster ${cluster}\` after terraform/bootstrap has written it`;
  if (typeof doc !== 'object' || doc === null || typeof (doc as { parameters?: unknown }).parameters !== 'object') {
    problems.push({ file: rel, path: 'parameters', message: 'must be an object of SSM parameter values', fix: refill });
    return undefined;
  }
  const d = doc as Partial<LookupsFile>;
  const params = (d.parameters ?? {}) as Record<string, unknown>;
  const before = problems.length;
  if (d.prefix !== undefined && d.prefix !== prefix) {
    problems.push({ file: rel, path: 'prefix', message: `must be ${prefix} (the file belongs to another cluster)`, value: d.prefix, fix: refill });
  }
  if (d.region !== undefined && d.region !== region) {
    problems.push({ file: rel, path: 'region', message: `must match the cluster region ${region}`, value: d.region, fix: refill });
  }
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      problems.push({ file: rel, path: `parameters.${key}`, message: 'must be a string', value, fix: refill });
    }
  }
  for (const name of Object.keys(REQUIRED_PARAMETERS) as RequiredParameter[]) {
    const value = params[name];
    if (value === undefined || value === '') {
      problems.push({
        file: rel,
        path: `parameters.${name}`,
        message: `is missing: SSM parameter ${prefix}${name} (${REQUIRED_PARAMETERS[name]}) was not found`,
        fix: refill,
      });
    }
  }
  const endpoint = params['cluster/endpoint'];
  let endpointHost = '';
  if (typeof endpoint === 'string' && endpoint !== '') {
    const host = parseEndpointHost(endpoint);
    if (typeof host === 'string') endpointHost = host;
    else problems.push({ file: rel, path: 'parameters.cluster/endpoint', message: host.error, value: endpoint, fix: `check SSM ${prefix}cluster/endpoint, then ${refill}` });
  }
  const vpc = params['network/vpc-id'];
  if (typeof vpc === 'string' && vpc !== '' && !/^vpc-[0-9a-f]{8,17}$/.test(vpc)) {
    problems.push({ file: rel, path: 'parameters.network/vpc-id', message: 'must be a VPC id such as vpc-0abc12345def67890', value: vpc, fix: refill });
  }
  for (const name of ['karpenter/node-role-name', 'karpenter/interruption-queue-name'] as const) {
    const v = params[name];
    if (typeof v === 'string' && v !== '' && !ARN_OR_NAME.test(v)) {
      problems.push({ file: rel, path: `parameters.${name}`, message: 'must be a plain IAM role / SQS queue name, not an ARN or URL', value: v, fix: refill });
    }
  }
  if (problems.length > before) return undefined;
  const p = params as Record<string, string>;
  return {
    endpoint: p['cluster/endpoint']!,
    endpointHost,
    nodeRoleName: p['karpenter/node-role-name']!,
    interruptionQueueName: p['karpenter/interruption-queue-name']!,
    vpcId: p['network/vpc-id']!,
    parameters: p,
  };
}

/**
 * Hostname of an API endpoint URL. Cilium's k8sServiceHost needs a hostname: an IP breaks when the
 * endpoint moves, a path or port means the value is not the EKS endpoint.
 */
export function parseEndpointHost(endpoint: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { error: 'must be an https URL such as https://ABC123.gr7.us-west-2.eks.amazonaws.com' };
  }
  if (url.protocol !== 'https:') return { error: 'must use https' };
  if (url.pathname !== '/' && url.pathname !== '') return { error: 'must not have a path' };
  if (url.port !== '' && url.port !== '443') return { error: 'must use port 443' };
  if (/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname.startsWith('[')) {
    return { error: 'must be a hostname, not an IP address (the EKS endpoint IPs change)' };
  }
  return url.hostname;
}
