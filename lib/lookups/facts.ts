import { OPTIONAL_PARAMETERS, REQUIRED_PARAMETERS } from './parameters';

/** Facts about the cluster's AWS infrastructure, read from clusters/<name>.lookups.json (SSM snapshot). */
export interface ClusterFacts {
  /** https URL of the EKS API server. */
  readonly endpoint: string;
  /** Hostname of the API server (no scheme, no port): what Cilium's k8sServiceHost needs. */
  readonly endpointHost: string;
  readonly nodeRoleName: string;
  readonly interruptionQueueName: string;
  readonly vpcId: string;
  /** Every parameter under /eksai/<cluster>/, by relative name (optional extras included). */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * The one set of rules for SSM facts, applied by `eksai lookup` before it writes a value and by
 * synth when it reads the lookups file: a value is checked and turned into its canonical form, and
 * only the canonical form is ever written or rendered. (A check on a cleaned value while the raw one
 * was written let `https://admin:hunter2@abc…` reach Karpenter's clusterEndpoint in dist.)
 */

export type FactName = keyof typeof REQUIRED_PARAMETERS | keyof typeof OPTIONAL_PARAMETERS;

export type FactCheck = { readonly value: string } | { readonly error: string; readonly shown: string };

/** Longer than any real fact; keeps a hostile value (a 50 MB account id) out of regexes and messages. */
export const MAX_FACT_LENGTH = 2048;

/** What an error may show of a value: credentials masked, at most 60 characters, the length when cut. */
export function shownValue(raw: string): string {
  const masked = maskUserinfo(raw);
  return masked.length > 60 ? `${masked.slice(0, 60)}… (${raw.length} characters)` : masked;
}

/** `scheme://user:pass@host…` → `scheme://***@host…` (linear, whatever the length). */
export function maskUserinfo(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]{0,20}:\/\//i.exec(raw);
  const start = scheme ? scheme[0].length : 0;
  const rest = raw.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  return at < 0 ? raw : `${raw.slice(0, start)}***${rest.slice(at)}`;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * `https://<hostname>`: Karpenter's clusterEndpoint takes the URL, Cilium's k8sServiceHost the hostname
 * (an IP breaks when the endpoint moves, a path or port means the value is not the EKS endpoint).
 * Canonical form: lower-case scheme, no `:443`, nothing after the host.
 */
function endpoint(raw: string): string | { error: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  if (!scheme) return { error: 'must be an https URL such as https://ABC123.gr7.us-west-2.eks.amazonaws.com' };
  if (scheme[1]!.toLowerCase() !== 'https') return { error: 'must use https' };
  const rest = raw.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  if (authority.includes('@')) return { error: 'must not contain credentials (user:password@): the value lands in Git; remove them from the SSM parameter' };
  if (tail.startsWith('?')) return { error: 'must not have a query string' };
  if (tail.startsWith('#')) return { error: 'must not have a fragment' };
  if (tail === '/') return { error: 'must not end with a slash (write https://<host>)' };
  if (tail !== '') return { error: 'must not have a path' };
  if (authority.startsWith('[')) return { error: 'must be a hostname, not an IP address (the EKS endpoint IPs change)' };
  const colon = authority.lastIndexOf(':');
  const host = colon < 0 ? authority : authority.slice(0, colon);
  if (colon >= 0 && authority.slice(colon + 1) !== '443') return { error: 'must use port 443 (the EKS API port)' };
  if (/^\d+(\.\d+){3}$/.test(host)) return { error: 'must be a hostname, not an IP address (the EKS endpoint IPs change)' };
  const labels = host.split('.');
  if (host.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1]!)) {
    return { error: 'must have a DNS hostname such as ABC123.gr7.us-west-2.eks.amazonaws.com' };
  }
  return `https://${host}`;
}

function pattern(re: RegExp, what: string): (raw: string) => string | { error: string } {
  return (raw) => (re.test(raw) ? raw : { error: `must be ${what}` });
}

/** Rules per fact (IAM: role names are [\w+=,.@-]{1,64}; SQS: queue names [A-Za-z0-9_-]{1,80}). */
const FACT_RULES: Record<FactName, (raw: string) => string | { error: string }> = {
  'cluster/endpoint': endpoint,
  'karpenter/node-role-name': pattern(/^[\w+=,.@-]{1,64}$/, 'a plain IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-), not an ARN'),
  'karpenter/interruption-queue-name': pattern(/^[A-Za-z0-9_-]{1,80}$/, 'a plain SQS queue name (1-80 of A-Z a-z 0-9 _-), not an ARN or URL'),
  'network/vpc-id': pattern(/^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'a VPC id such as vpc-0abc12345def67890'),
  'storage/efs-file-system-id': pattern(/^fs-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'an EFS file system id such as fs-0123456789abcdef0'),
  'account/id': pattern(/^\d{12}$/, 'a 12-digit AWS account id'),
};

export function isFactName(name: string): name is FactName {
  return Object.prototype.hasOwnProperty.call(FACT_RULES, name);
}

/** Checks one fact and returns its canonical value, or an error with what may be shown of the value. */
export function checkFact(name: FactName, raw: string): FactCheck {
  const fail = (error: string): FactCheck => ({ error, shown: shownValue(raw) });
  if (raw.length > MAX_FACT_LENGTH) return fail(`is ${raw.length} characters long, more than any ${name} can be (at most ${MAX_FACT_LENGTH})`);
  const bad = /[^\x21-\x7e]/.exec(raw);
  if (bad) return fail(`contains ${describeChar(bad[0])} at position ${bad.index + 1}: facts are single printable ASCII words`);
  const result = FACT_RULES[name](raw);
  return typeof result === 'string' ? { value: result } : fail(result.error);
}

function describeChar(c: string): string {
  const named: Record<string, string> = { '\t': 'a tab', '\n': 'a newline', '\r': 'a carriage return', ' ': 'a space' };
  return named[c] ?? `the character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Hostname of a canonical endpoint (what Cilium's k8sServiceHost takes), lower case as URL parsing gives it. */
export function endpointHost(canonicalEndpoint: string): string {
  return canonicalEndpoint.slice('https://'.length).toLowerCase();
}
