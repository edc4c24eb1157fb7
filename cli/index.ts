import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, EnvironmentError, FindingsError, UsageError, formatProblem } from '../lib/errors';
import { COMMANDS } from './commands';
import type { CommandSpec } from './types';
import { scalarText } from '../lib/text';

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
    "Run `eksai <command> --help` for a command's options and examples.",
    'Exit codes: 0 ok, 1 findings (config errors, invalid manifests, stale dist, changes), 2 usage or environment error.',
    '',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const opts = { ...spec.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(opts).map(([name, o]) => {
    const flag = `${'short' in o && o.short ? `-${o.short}, ` : ''}--${name}${'arg' in o && o.arg ? ` ${o.arg}` : ''}`;
    const def = 'default' in o && o.default !== undefined ? ` (default: ${scalarText(o.default)})` : '';
    return [flag, `${o.description}${def}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return [`Usage: eksai ${spec.usage}`, '', spec.summary, '', spec.details, '', 'Options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`), ''].join(
    '\n',
  );
}

/**
 * errno codes that mean the machine, not eksai, is in the way: what happened and what to do. A Node
 * system error with one of these (it carries `code` and `syscall`) is an environment error: one line,
 * exit 2, no stack.
 */
const SYSTEM_ERRORS: Readonly<Record<string, readonly [what: string, fix: string]>> = {
  EACCES: ['permission denied', 'give your user access to it, or use another folder (e.g. --outdir)'],
  EPERM: ['operation not permitted', 'check its permissions and attributes, or use another folder (e.g. --outdir)'],
  EROFS: ['read-only file system', 'work in a writable checkout, or pass --outdir <writable folder>'],
  ENOSPC: ['no space left on device', 'free some space and run again'],
  EDQUOT: ['disk quota exceeded', 'free some space and run again'],
  EFBIG: ['file too large', 'free some space or raise the file size limit (ulimit -f)'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'move that file away or use another path'],
  EISDIR: ['is a folder where a file is expected', 'move the folder away or use another path'],
  EEXIST: ['already exists', 'move it away or use another path'],
  ENOTEMPTY: ['folder not empty', 'move it away or use another path'],
  ELOOP: ['too many levels of symbolic links (a symlink loop?)', 'fix or remove the symlink'],
  ENAMETOOLONG: ['name too long', 'use a shorter path'],
  ENOENT: ['no such file or directory', 'check that it exists (and, for a program, that it is on PATH)'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n) and run again'],
  ENFILE: ['too many open files in the system', 'close programs or raise the system limit and run again'],
  EBUSY: ['resource busy', 'close what uses it and run again'],
  ETXTBSY: ['file busy', 'close what uses it and run again'],
  EIO: ['input/output error', 'check the disk and the file system'],
  EXDEV: ['crosses file systems', 'keep the output folder on one file system (no mount point inside it)'],
};

/** One line for a system error of the environment (read-only dist, full disk, dist is a file, loops), else undefined. */
export function systemErrorMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, syscall, path, dest } = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== 'string' || typeof syscall !== 'string') return undefined;
  const entry = SYSTEM_ERRORS[code];
  if (entry === undefined) return undefined;
  // Paths are shown as they are, quoted as JSON only when they hold control characters (one line).
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const show = (p: string) => (/[\u0000-\u001f\u007f]/.test(p) ? JSON.stringify(p) : p);
  const target = path !== undefined ? ` ${show(path)}${dest !== undefined ? ` → ${show(dest)}` : ''}` : '';
  // A child process that could not start has syscall `spawnSync <cmd>` and path `<cmd>`.
  const verb = syscall.startsWith('spawn') ? 'run' : syscall;
  return `cannot ${verb}${target}: ${entry[0]} (${code}): ${entry[1]}`;
}

/** Parses argv, runs one command, prints, and returns the exit code. The one place errors are caught. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${(require('../package.json') as { version: string }).version}\n`);
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
    const system = systemErrorMessage(err);
    if (system !== undefined) {
      io.stderr(`eksai ${name}: ${system}\n`);
      return 2;
    }
    io.stderr(`eksai ${name}: internal error, please report it with the stack below\n${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}
