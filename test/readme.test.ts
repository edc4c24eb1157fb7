/**
 * The README is a user's guide that must match what the commands really print. This test reads every shell block
 * of README.md:
 * - every line `$ <command>` is run in a throwaway copy of the repository, and the lines shown after it (up to the
 *   next `$` line or the end of the block) must match what it prints, stdout and stderr together. Numbers are
 *   compared by shape (any number matches any number: counts and timings that change with the fleet belong to the
 *   bench, not to prose), the copy's path reads as `/repo` and the home folder as `~`, a `…` inside a line matches
 *   any text, and a line that is
 *   only `…` matches any number of lines.
 * - every other `eksai` command a block shows (`node bin/eksai.js …`, `npx eksai …`, `npm run synth|check …`) must
 *   name a real command with flags that command accepts.
 * An HTML comment `<!-- doctest: edit <path> -->` right before a block appends a comment line to that file in the
 * copy first (to show what a stale dist looks like).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, appendFileSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

interface Block {
  readonly line: number;
  readonly lines: readonly string[];
  readonly edits: readonly string[];
}

function shellBlocks(text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|console|shell)\s*$/.test(lines[i]!)) continue;
    const edits: string[] = [];
    for (let j = i - 1; j >= 0 && /^<!-- doctest: /.test(lines[j]!); j--) {
      const m = /^<!-- doctest: edit (\S+) -->$/.exec(lines[j]!);
      if (!m) throw new Error(`README.md:${j + 1}: unknown doctest directive ${lines[j]}`);
      edits.push(m[1]!);
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    out.push({ line: start + 1, lines: body, edits });
  }
  return out;
}

interface Example {
  readonly line: number;
  readonly command: string;
  readonly expected: readonly string[];
  readonly edits: readonly string[];
}

function examples(blocks: readonly Block[]): Example[] {
  const out: Example[] = [];
  for (const b of blocks) {
    b.lines.forEach((l, k) => {
      if (!l.startsWith('$ ')) return;
      const expected: string[] = [];
      for (let n = k + 1; n < b.lines.length && !b.lines[n]!.startsWith('$ '); n++) expected.push(b.lines[n]!);
      out.push({ line: b.line + k + 1, command: l.slice(2), expected, edits: b.edits });
    });
  }
  return out;
}

/** `node bin/eksai.js synth --cluster dev` → ['synth', '--cluster', 'dev']; undefined when the line runs no eksai command. */
function eksaiArgv(segment: string): string[] | undefined {
  const words = segment
    .trim()
    .replace(/\s+#.*$/, '')
    .split(/\s+/)
    .filter(Boolean);
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) words.shift(); // env assignments
  if (words[0] === 'node' && words[1] === 'bin/eksai.js') return words.slice(2);
  if (words[0] === 'npx' && words[1] === 'eksai') return words.slice(2);
  if (words[0] === 'eksai') return words.slice(1);
  if (words[0] === 'npm' && words[1] === 'run' && (words[2] === 'synth' || words[2] === 'check')) {
    const rest = words.slice(3);
    return [words[2], ...(rest[0] === '--' ? rest.slice(1) : rest)];
  }
  return undefined;
}

const unquote = (w: string): string => w.replace(/^(['"])(.*)\1$/, '$2');

interface CliCommand {
  /** Flag name → whether it takes a value. */
  readonly flags: ReadonlyMap<string, boolean>;
  readonly positionals: boolean;
}

/** What `eksai <command> --help` says the command accepts (the help is generated from the option specs). */
function cliCommand(name: string): CliCommand | undefined {
  const r = spawnSync('node', ['bin/eksai.js', name, '--help'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const flags = new Map<string, boolean>();
  const usage = /^Usage: eksai (.*)$/m.exec(r.stdout)?.[1] ?? '';
  for (const m of r.stdout.slice(r.stdout.indexOf('Options:')).matchAll(/^\s+(?:-(\w), )?--([\w-]+)( \S+)?/gm)) {
    flags.set(m[2]!, m[3] !== undefined);
    if (m[1]) flags.set(m[1], m[3] !== undefined);
  }
  return { flags, positionals: /\[\w+\.\.\.\]|<\w+>(?!\])/.test(usage.replace(/--[\w-]+ <[^>]+>/g, '')) };
}

const specs = new Map<string, CliCommand | undefined>();

/** Problems of one eksai command line against the real CLI: unknown command, unknown flag, missing value. */
function argvProblem(argv: readonly string[]): string | undefined {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '--version') return undefined;
  if (!specs.has(name)) specs.set(name, cliCommand(name));
  const spec = specs.get(name);
  if (!spec) return `unknown command '${name}'`;
  for (let i = 0; i < rest.length; i++) {
    const word = unquote(rest[i]!);
    const flag = /^--?([\w-]+)(=.*)?$/.exec(word);
    if (!flag) {
      if (!spec.positionals) return `'${word}': \`eksai ${name}\` takes no positional arguments`;
      continue;
    }
    const takesValue = spec.flags.get(flag[1]!);
    if (takesValue === undefined) return `unknown flag '${word}' (see \`eksai ${name} --help\`)`;
    if (takesValue && flag[2] === undefined && (++i >= rest.length || rest[i]!.startsWith('-'))) return `flag '${word}' needs a value`;
  }
  return undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A README output line as a pattern: numbers match numbers, `…` matches anything. */
function linePattern(line: string): RegExp {
  const parts = line.split('…').map((p) => escape(p).replace(/\d+(?:\\\.\d+)?/g, '\\d+(?:\\.\\d+)?'));
  return new RegExp(`^${parts.join('.*')}$`);
}

function matches(expected: readonly string[], actual: readonly string[]): boolean {
  const go = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e]!.trim() === '…') {
      for (let k = a; k <= actual.length; k++) if (go(e + 1, k)) return true;
      return false;
    }
    return a < actual.length && linePattern(expected[e]!.trimEnd()).test(actual[a]!.trimEnd()) && go(e + 1, a + 1);
  };
  return go(0, 0);
}

describe('README', () => {
  const blocks = shellBlocks(README);
  let copy = '';

  let root = '';
  beforeAll(() => {
    // <root>/repo is the copy; <root>/shared points at the offline upstream material, so `../shared/...` in an example
    // means what it means beside the real checkout.
    root = mkdtempSync(join(tmpdir(), 'eksai-readme-'));
    copy = join(root, 'repo');
    mkdirSync(copy);
    symlinkSync(resolve(REPO, '..', 'shared'), join(root, 'shared'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of files) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      try {
        cpSync(join(REPO, f), join(copy, f));
      } catch {
        // a tracked file deleted in the working tree
      }
    }
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('shows only eksai commands and flags that exist', () => {
    const problems: string[] = [];
    for (const b of blocks) {
      // In a block of `$` examples only the `$` lines are commands; the others are what they print.
      const prompted = b.lines.some((l) => l.startsWith('$ '));
      b.lines.forEach((l, k) => {
        if (prompted && !l.startsWith('$ ')) return;
        const text = l.startsWith('$ ') ? l.slice(2) : l;
        for (const segment of text.split(/&&|\|\||;|\|/)) {
          const argv = eksaiArgv(segment.replace(/\s[12]?>.*$/, ''));
          const problem = argv && argvProblem(argv);
          if (problem) problems.push(`README.md:${b.line + k + 1}: ${segment.trim()}: ${problem}`);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  it('has examples whose printed output matches what the commands print', () => {
    const found = examples(blocks);
    expect(found.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const ex of found) {
      expect(eksaiArgv(ex.command.split(/&&|\|/)[0]!), `README.md:${ex.line}: \`$ ${ex.command}\` is not an eksai command the doc test can run`).toBeDefined();
      for (const edit of ex.edits) appendFileSync(join(copy, edit), '# edited by the README doc test\n');
      const r = spawnSync('bash', ['-c', `${ex.command} 2>&1`], {
        cwd: copy,
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'silent', FORCE_COLOR: '0', NO_COLOR: '1' },
        timeout: 120_000,
      });
      const actual = (r.stdout ?? '').replaceAll(copy, '/repo').replaceAll(homedir(), '~').replace(/\n$/, '').split('\n');
      if (!matches(ex.expected, actual)) {
        problems.push(
          `README.md:${ex.line}: \`$ ${ex.command}\`\n  README shows:\n    ${ex.expected.join('\n    ')}\n  it prints:\n    ${actual.join('\n    ')}`,
        );
      }
      if (ex.edits.length > 0) execFileSync('node', ['bin/eksai.js', 'synth'], { cwd: copy }); // undo the edit for the next example
    }
    expect(problems.join('\n')).toBe('');
  });
});
