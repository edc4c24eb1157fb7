import { ConfigError, FindingsError, formatProblem } from '../../lib/errors';
import { checkDist, type CheckResult } from '../../pipeline/synth/check';
import type { CommandSpec } from '../types';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'exit 1 when dist/ is not exactly what synth produces (CI freshness gate)',
  usage: 'check [--cluster <name>]... [--format text|json]',
  details: `Synthesizes in memory and compares with dist/ byte for byte. Lists files that changed, are
missing, or should not be there, in the cluster folders synth owns and its marker .eksai-dist.json, and
.eksai-* leftovers of a killed synth. Other top-level entries of dist (a README of yours) are ignored, as
synth keeps them. Writes nothing. Exit codes: 0 fresh, 1 stale or config errors, 2 usage.

Examples:
  eksai check
  eksai check --format json`,
  options: {
    cluster: { type: 'string', multiple: true, arg: '<name>', description: 'only check this cluster (repeatable)' },
    outdir: { type: 'string', arg: '<dir>', default: 'dist', description: 'dist directory' },
    format: { type: 'string', arg: 'text|json', default: 'text', description: 'output format' },
  },
  run: (ctx) => {
    let result: CheckResult;
    try {
      result = checkDist({ cwd: ctx.cwd, only: ctx.values.cluster as string[] | undefined, outdir: ctx.values.outdir as string });
    } catch (err) {
      // check never writes: say that dist could not be compared, not "nothing was written".
      if (!(err instanceof ConfigError)) throw err;
      const n = err.problems.length;
      throw new FindingsError(
        `${n} config error${n === 1 ? '' : 's'}; dist/ was not compared (fix them, then run \`eksai synth\`)\n${err.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      );
    }
    if (ctx.values.format === 'json') return { exitCode: result.fresh ? 0 : 1, stdout: `${JSON.stringify(result, null, 2)}\n` };
    if (result.fresh) return { exitCode: 0, stdout: `dist is fresh (${result.files} files)\n` };
    const lines = result.stale.map((s) => `  ${s.status.padEnd(8)} ${s.path}`);
    const leftovers = result.stale.some((s) => s.status === 'leftover')
      ? 'leftovers are what a killed (or still running) synth left: the next synth finishes or rolls back its swap and removes them\n'
      : '';
    return {
      exitCode: 1,
      stdout: `dist is stale: ${result.stale.length} file${result.stale.length === 1 ? '' : 's'} differ from a fresh synth\n${lines.join('\n')}\n${leftovers}run \`npm run synth\` and commit dist/\n`,
    };
  },
};
