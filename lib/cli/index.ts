import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, EnvironmentError, FindingsError, UsageError, formatProblem } from '../errors';
import { COMMANDS } from './commands';
import type { CommandSpec } from './types';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTTY: boolean;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
};

const GLOBAL_OPTIONS = {
  cwd: { type: 'string', arg: '<dir>', description: 'repository root (default: current directory)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const;

export function mainHelp(): string {
  const specs = COMMANDS.map((c) => c.load());
  const width = Math.max(...specs.map((c) => c.name.length));
  return [
    'eksai — typed GitOps generator for AI platforms on EKS',
    '',
    'Usage: eksai <command> [options]',
    '',
    'Commands:',
    ...specs.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `eksai <command> --help` for a command\'s options and examples.',
    'Exit codes: 0 ok, 1 findings (config errors, invalid manifests, stale dist, changes), 2 usage or environment error.',
    '',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const opts = { ...spec.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(opts).map(([name, o]) => {
    const flag = `${'short' in o && o.short ? `-${o.short}, ` : ''}--${name}${'arg' in o && o.arg ? ` ${o.arg}` : ''}`;
    const def = 'default' in o && o.default !== undefined ? ` (default: ${String(o.default)})` : '';
    return [flag, `${o.description}${def}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return [`Usage: eksai ${spec.usage}`, '', spec.summary, '', spec.details, '', 'Options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`), ''].join('\n');
}

/** Parses argv, runs one command, prints, and returns the exit code. The one place errors are caught. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === name)?.load();
  if (!spec) {
    io.stderr(`eksai: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const options = Object.fromEntries(
      Object.entries({ ...spec.options, ...GLOBAL_OPTIONS }).map(([k, o]) => {
        const opt: Record<string, unknown> = { type: o.type };
        if ('short' in o && o.short !== undefined) opt.short = o.short;
        if ('multiple' in o && o.multiple !== undefined) opt.multiple = o.multiple;
        if ('default' in o && o.default !== undefined) opt.default = o.default;
        return [k, opt];
      }),
    ) as unknown as ParseArgsConfig['options'];
    let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...rest], options, allowPositionals: spec.allowPositionals ?? false, strict: true });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\nRun \`eksai ${spec.name} --help\` for usage.`);
    }
    if (parsed.values.help) {
      io.stdout(commandHelp(spec));
      return 0;
    }
    const format = parsed.values.format;
    if (typeof format === 'string') {
      const allowed = (spec.options.format?.arg ?? '').split('|');
      if (!allowed.includes(format)) throw new UsageError(`--format must be one of ${allowed.join(', ')} (got '${format}')`);
    }
    const out = await spec.run({
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      positionals: parsed.positionals,
      cwd: resolve(typeof parsed.values.cwd === 'string' ? parsed.values.cwd : process.cwd()),
      isTTY: io.isTTY,
      log: (line) => io.stderr(`${line}\n`),
    });
    if (out.stdout) io.stdout(out.stdout);
    return out.exitCode;
  } catch (err) {
    if (err instanceof ConfigError) {
      const n = err.problems.length;
      io.stderr(`eksai ${name}: ${n} config error${n === 1 ? '' : 's'}; nothing was written\n${err.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
      return 1;
    }
    if (err instanceof FindingsError) {
      io.stderr(`eksai ${name}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || err instanceof EnvironmentError) {
      io.stderr(`eksai ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr(`eksai ${name}: internal error, please report it with the stack below\n${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}
