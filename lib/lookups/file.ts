import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../errors';
import type { AmiRecord } from './amis';
import { REQUIRED_PARAMETERS, ssmPrefix, type RequiredParameter } from './parameters';
import { checkFact, endpointHost, isFactName, shownValue, type ClusterFacts } from './facts';

/**
 * `clusters/<name>.lookups.json`: the committed snapshot of a cluster's SSM facts, written by
 * `eksai lookup`. Synth reads only this file, so it runs offline and repeatably.
 */
export interface LookupsFile {
  /** Verified AMI aliases (lib/lookups/amis.ts): per alias, the Kubernetes version and AMI id per image. */
  readonly amis: Readonly<Record<string, AmiRecord>>;
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

const sortedKeys = <T>(o: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]!]),
  );

/** Deterministic serialisation: sorted keys at every level, 2-space indent, trailing newline. */
export function serializeLookups(file: LookupsFile): string {
  const amis = Object.fromEntries(
    Object.keys(file.amis)
      .sort()
      .map((alias) => [
        alias,
        { images: sortedKeys(file.amis[alias]!.images as Record<string, string>), kubernetesVersion: file.amis[alias]!.kubernetesVersion },
      ]),
  );
  return `${JSON.stringify({ amis, parameters: sortedKeys(file.parameters), prefix: file.prefix, region: file.region }, null, 2)}\n`;
}

/** A real lookups file is about 2 KB; anything this big is not one (and is not parsed). */
export const MAX_LOOKUPS_BYTES = 1024 * 1024;

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
  const st = statSync(file);
  if (!st.isFile()) {
    problems.push({
      file: rel,
      path: '',
      message: 'is not a regular file (a folder, device or FIFO is in its place)',
      fix: `remove it and rerun \`eksai lookup --cluster ${cluster}\``,
    });
    return undefined;
  }
  const size = st.size;
  if (size > MAX_LOOKUPS_BYTES) {
    problems.push({
      file: rel,
      path: '',
      message: `is ${size} bytes, more than a lookups file can be (at most ${MAX_LOOKUPS_BYTES})`,
      fix: `rerun \`eksai lookup --cluster ${cluster}\``,
    });
    return undefined;
  }
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = jsonErrorAt(text, (err as Error).message);
    problems.push({
      file: `${rel}:${at.line}:${at.column}`,
      path: '',
      message: `is not valid JSON: ${at.reason}`,
      fix: `fix that line, or rerun \`eksai lookup --cluster ${cluster}\``,
    });
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
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
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

/**
 * Checks a parsed lookups document and turns it into ClusterFacts. Every missing or malformed
 * required fact is a problem naming the SSM parameter and the command that fills it. Facts go
 * through checkFact, the same rules `eksai lookup` applies before writing, and only their
 * canonical values reach the config.
 */
export function factsFromLookups(cluster: string, region: string, doc: unknown, problems: Problem[]): ClusterFacts | undefined {
  const rel = lookupsRelPath(cluster);
  const prefix = ssmPrefix(cluster);
  const refill = `run \`eksai lookup --cluster ${cluster}\` after terraform/bootstrap has written it`;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    typeof (doc as { parameters?: unknown }).parameters !== 'object' ||
    (doc as { parameters?: unknown }).parameters === null
  ) {
    problems.push({ file: rel, path: 'parameters', message: 'must be an object of SSM parameter values', fix: refill });
    return undefined;
  }
  const d = doc as Partial<LookupsFile>;
  const params = d.parameters as Record<string, unknown>;
  const before = problems.length;
  if (d.prefix !== undefined && d.prefix !== prefix) {
    problems.push({
      file: rel,
      path: 'prefix',
      message: `must be ${prefix} (the file belongs to another cluster)`,
      value: shownValue(String(d.prefix)),
      fix: refill,
    });
  }
  if (d.region !== undefined && d.region !== region) {
    problems.push({ file: rel, path: 'region', message: `must match the cluster region ${region}`, value: shownValue(String(d.region)), fix: refill });
  }
  const canonical: Record<string, string> = {};
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (!isFactName(key)) continue;
    if (typeof value !== 'string') {
      problems.push({
        file: rel,
        path: `parameters.${key}`,
        message: 'must be a string',
        value: typeof value === 'object' ? typeof value : value,
        fix: refill,
      });
      continue;
    }
    if (value === '') continue;
    const checked = checkFact(key, value);
    if ('value' in checked) canonical[key] = checked.value;
    else
      problems.push({ file: rel, path: `parameters.${key}`, message: checked.error, value: checked.shown, fix: `check SSM ${prefix}${key}, then ${refill}` });
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
  if (problems.length > before) return undefined;
  return {
    endpoint: canonical['cluster/endpoint']!,
    endpointHost: endpointHost(canonical['cluster/endpoint']!),
    nodeRoleName: canonical['karpenter/node-role-name']!,
    interruptionQueueName: canonical['karpenter/interruption-queue-name']!,
    vpcId: canonical['network/vpc-id']!,
    parameters: canonical,
  };
}
