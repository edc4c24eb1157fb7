/**
 * The error types of eksai. Only lib/cli/index.ts catches them and maps them to exit codes:
 * ConfigError / FindingsError → 1, UsageError / EnvironmentError → 2, anything else → 2 with a stack.
 */

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

/** `clusters/prod.ts: nodePools[gpu].limits.gpu must be >= 1 (got 0): raise it or remove the pool` */
export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.file}: ${p.path}` : p.file;
  const got = 'value' in p ? ` (got ${formatValue(p.value)})` : '';
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
