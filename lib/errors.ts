/**
 * The error types of eksai. Only cli/index.ts catches them and maps them to exit codes:
 * ConfigError / FindingsError → 1, UsageError / EnvironmentError / an error of a system call → 2 with one line,
 * anything else → 2 as an internal error with its stack.
 */
import { isSecretKey, isSecretText } from './secrets';

/** One problem in user input: where, what, the value and the fix. */
export interface Problem {
  /** File the problem is in, relative to the repo root, e.g. `clusters/dev.ts`. */
  readonly file: string;
  /** Dotted path inside the file, e.g. `karpenter.nodePools[gpu].limits.gpu` ('' for the whole file). */
  readonly path: string;
  /** What is wrong, lowercase, no trailing period. */
  readonly message: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
  /** How to fix it. */
  readonly fix?: string;
}

export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The keys of a problem path: `jupyterhub.auth.clientSecret` → jupyterhub, auth, clientSecret (list items by name too). */
const pathKeys = (path: string): string[] => path.split(/[.[\]]+/).filter(Boolean);

/**
 * The value part of a message. A value under a secret-bearing key (`clientSecret`, `password`, `apiToken`...) or one
 * that looks like a secret (lib/secrets.ts) is described, never echoed: error messages end up in CI logs.
 */
function shownValue(p: Problem): string {
  if (!('value' in p)) return '';
  const secret = pathKeys(p.path).some(isSecretKey) || isSecretText(typeof p.value === 'string' ? p.value : JSON.stringify(p.value ?? null));
  if (secret) return ` (got a ${Array.isArray(p.value) ? 'list' : p.value === null ? 'null' : typeof p.value}, not shown: it may be a secret)`;
  return ` (got ${formatValue(p.value)})`;
}

/** `clusters/prod.ts: nodePools[gpu].limits.gpu must be >= 1 (got 0): raise it or remove the pool` */
export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.file}: ${p.path}` : p.file;
  const got = shownValue(p);
  const fix = p.fix ? `: ${p.fix}` : '';
  return `${where} ${p.message}${got}${fix}`;
}

/** Bad configuration: every problem found, not only the first. Exit code 1. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

/** The command ran and found something (invalid manifests, stale dist): exit code 1 after printing. */
export class FindingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FindingsError';
  }
}

/** Wrong flags or arguments. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The environment is missing something (schemas, git, credentials). Exit code 2. */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}
