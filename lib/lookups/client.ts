import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { EnvironmentError } from '../errors';
import { maskUserinfo } from './facts';

/**
 * The SSM client of `eksai lookup` and the bounds that keep it from hanging: a server that accepts
 * and never answers once held lookup for 200 s+, a repeating NextToken made 25,723 requests in 60 s.
 */

/** Attempts per SSM call (1 + retries); throttling and timeouts are retried with the SDK's exponential backoff. */
export const SSM_MAX_ATTEMPTS = 6;

export interface SsmTimeouts {
  /** TCP/TLS connect of one attempt (NodeHttpHandler connectionTimeout). */
  readonly connectMs: number;
  /** One attempt, request sent to response headers (NodeHttpHandler requestTimeout, thrown). */
  readonly requestMs: number;
  /** The whole lookup, every call, retry and response body included (AbortSignal). */
  readonly totalMs: number;
}

/**
 * @default connect 5 s, request 10 s, total 60 s (an SSM call answers in well under a second); each overridable with EKSAI_SSM_CONNECT_TIMEOUT_MS,
 * EKSAI_SSM_REQUEST_TIMEOUT_MS, EKSAI_SSM_TOTAL_TIMEOUT_MS (milliseconds), or LookupOptions.timeouts.
 */
export const SSM_TIMEOUTS: SsmTimeouts = { connectMs: 5_000, requestMs: 10_000, totalMs: 60_000 };

const TIMEOUT_ENV: Record<keyof SsmTimeouts, string> = {
  connectMs: 'EKSAI_SSM_CONNECT_TIMEOUT_MS',
  requestMs: 'EKSAI_SSM_REQUEST_TIMEOUT_MS',
  totalMs: 'EKSAI_SSM_TOTAL_TIMEOUT_MS',
};

/** Pages GetParametersByPath may return (10 parameters each, eksai uses 6): more means a broken or hostile endpoint. */
export const SSM_MAX_PAGES = 50;

/** Defaults ← environment ← options; a malformed environment value is a usage problem, not silently ignored. */
export function resolveTimeouts(options: Partial<SsmTimeouts> = {}, env: NodeJS.ProcessEnv = process.env): SsmTimeouts {
  const out: Record<string, number> = { ...SSM_TIMEOUTS };
  for (const key of Object.keys(TIMEOUT_ENV) as (keyof SsmTimeouts)[]) {
    const raw = env[TIMEOUT_ENV[key]];
    if (raw !== undefined && raw !== '') {
      const n = Number(raw);
      if (!/^\d{1,9}$/.test(raw) || n <= 0)
        throw new EnvironmentError(
          `${TIMEOUT_ENV[key]} must be a positive number of milliseconds (got ${JSON.stringify(raw.slice(0, 20))}): unset it or use e.g. ${SSM_TIMEOUTS[key]}`,
        );
      out[key] = n;
    }
    const given = options[key];
    if (given !== undefined) out[key] = given;
  }
  return out as unknown as SsmTimeouts;
}

/**
 * Standard credential chain; endpoint from AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL (the SDK resolves
 * them). `overrides` is for tests (endpoint, credentials, maxAttempts).
 */
export function createSsmClient(region: string, timeouts: SsmTimeouts = resolveTimeouts(), overrides: Partial<SSMClientConfig> = {}): SSMClient {
  return new SSMClient({
    region,
    maxAttempts: SSM_MAX_ATTEMPTS,
    retryMode: 'standard',
    // NodeHttpHandlerOptions (@smithy/types httpHandlerInitialization.d.ts): requestTimeout only throws with throwOnRequestTimeout.
    requestHandler: {
      connectionTimeout: timeouts.connectMs,
      requestTimeout: timeouts.requestMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.requestMs,
    },
    ...overrides,
  });
}

/** SSM did not answer in time (connect, request or the whole lookup). Exit code 2, nothing written. */
export class SsmTimeoutError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'SsmTimeoutError';
  }
}

/** GetParametersByPath returned more pages than any real prefix has. Exit code 2, nothing written. */
export class SsmPageLimitError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'SsmPageLimitError';
  }
}

/** GetParametersByPath handed back a NextToken it had already returned (an endless loop). Exit code 2. */
export class SsmRepeatedTokenError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'SsmRepeatedTokenError';
  }
}

/** The credentials may not read the SSM parameters. Exit code 2. */
export class SsmAccessDeniedError extends EnvironmentError {
  constructor(message: string) {
    super(message);
    this.name = 'SsmAccessDeniedError';
  }
}

/** A deadline for the whole lookup: every send gets its signal. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly totalMs: number;
  readonly cancel: () => void;
}

export function startDeadline(totalMs: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(Object.assign(new Error(`deadline of ${totalMs} ms exceeded`), { name: 'EksaiDeadline' })), totalMs);
  timer.unref();
  return { signal: controller.signal, totalMs, cancel: () => clearTimeout(timer) };
}

/** What a failed call was, for messages: `GetParametersByPath /eksai/dev/`. */
export interface CallContext {
  readonly cluster: string;
  readonly region: string;
  readonly operation: string;
  readonly what: string;
  /** IAM resource the credentials need, e.g. `arn:aws:ssm:us-west-2:<account>:parameter/eksai/dev/*`. */
  readonly resource: string;
  readonly timeouts: SsmTimeouts;
  readonly deadline: Deadline;
}

function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; __type?: string };
  return e.name ?? e.Code ?? '';
}

/** SDK errors → eksai errors with the fix. */
export function translateSsmError(err: unknown, ctx: CallContext): Error {
  const { cluster, region, operation, what } = ctx;
  const name = errorName(err);
  // The server writes this text: keep a hostile one short.
  const raw = String((err as Error).message ?? err);
  const detail = raw.length > 300 ? `${raw.slice(0, 300)}…` : raw;
  const endpoint = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
  const where = endpoint ? ` at ${maskUserinfo(endpoint)}` : '';
  const rerun = `rerun \`eksai lookup --cluster ${cluster}\``;
  if (ctx.deadline.signal.aborted) {
    return new SsmTimeoutError(
      `SSM${where} in ${region} did not finish ${operation} ${what} within ${ctx.deadline.totalMs} ms (the whole lookup, retries included); nothing was written: check the network and AWS_ENDPOINT_URL_SSM, raise EKSAI_SSM_TOTAL_TIMEOUT_MS if the link is slow, then ${rerun}`,
    );
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'RequestTimeoutException') {
    const phase = /establish a connection/.test(detail) ? `connect within ${ctx.timeouts.connectMs} ms` : `answer within ${ctx.timeouts.requestMs} ms`;
    return new SsmTimeoutError(
      `SSM${where} in ${region} did not ${phase} for ${operation} ${what}, after retries; nothing was written: check the network and AWS_ENDPOINT_URL_SSM (EKSAI_SSM_CONNECT_TIMEOUT_MS / EKSAI_SSM_REQUEST_TIMEOUT_MS raise the limits), then ${rerun}`,
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new SsmAccessDeniedError(
      `access denied reading SSM ${what} in ${region} (${detail}): allow ssm:${operation} on ${ctx.resource} for the credentials in use (check AWS_PROFILE / \`aws sts get-caller-identity\`)`,
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return new EnvironmentError(
      `no AWS credentials for ${operation} ${what} (${detail}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run \`aws sso login\``,
    );
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return new EnvironmentError(`SSM kept throttling ${operation} ${what} in ${region} after retries with backoff: wait a minute and ${rerun}`);
  }
  if (err instanceof EnvironmentError) return err;
  return new EnvironmentError(
    `${operation} ${what} in ${region}${where} failed (${name || 'error'}: ${detail}): check the network, region and AWS_ENDPOINT_URL_SSM, then ${rerun}`,
  );
}
