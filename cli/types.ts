/** What the CLI entry hands a command adapter. */
export interface CommandContext {
  /** Parsed flag values (node:util parseArgs). */
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** Repository root (--cwd, else process.cwd()). */
  readonly cwd: string;
  /** Whether stdout is a terminal (colors, progress). */
  readonly isTTY: boolean;
  /** Progress and warnings go to stderr through this. */
  readonly log: (line: string) => void;
}

/** What a command adapter returns; only cli/index.ts prints and exits. */
export interface CommandOutput {
  readonly exitCode: number;
  readonly stdout?: string;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** Placeholder in help, e.g. `<ref>`. */
  readonly arg?: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for `eksai --help`. */
  readonly summary: string;
  /** Usage line without the `eksai ` prefix, e.g. `synth [--cluster <name>...]`. */
  readonly usage: string;
  /** Longer help: what it does, exit codes, examples. */
  readonly details: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly allowPositionals?: boolean;
  readonly run: (ctx: CommandContext) => CommandOutput | Promise<CommandOutput>;
}
