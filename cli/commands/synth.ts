import { formatProblem } from '../../lib/errors';
import { synthesize } from '../../pipeline/synth';
import type { CommandSpec } from '../types';

export const synthCommand: CommandSpec = {
  name: 'synth',
  summary: 'generate dist/<cluster>/ from clusters/*.ts (atomic, deterministic)',
  usage: 'synth [--cluster <name>]... [--outdir <dir>] [--format text|json]',
  details: `Loads every cluster in clusters/index.ts with its clusters/<name>.lookups.json, checks the
config (all problems at once), builds the manifests and writes dist/<cluster>/<component>/<Kind>.<name>.yaml.
Nothing is written when anything fails; cluster folders are swapped in whole, so files a synth no longer
produces disappear. The output folder's .eksai-dist.json lists the cluster folders synth owns: it replaces
or removes only those, and refuses a non-empty folder without that file. A synth killed midway is finished
or rolled back by the next one; concurrent synths of one folder run one after the other.
Exit codes: 0 written, 1 config errors, 2 usage/environment errors.

Examples:
  eksai synth
  eksai synth --cluster dev --cluster prod
  eksai synth --format json | jq .files`,
  options: {
    cluster: { type: 'string', multiple: true, arg: '<name>', description: 'only this cluster (repeatable); other dist folders are left alone' },
    outdir: { type: 'string', arg: '<dir>', default: 'dist', description: 'output directory' },
    format: { type: 'string', arg: 'text|json', default: 'text', description: 'summary format' },
    quiet: { type: 'boolean', short: 'q', description: 'print nothing on success' },
  },
  run: (ctx) => {
    const result = synthesize({
      cwd: ctx.cwd,
      only: ctx.values.cluster as string[] | undefined,
      outdir: ctx.values.outdir as string,
      onWait: (holder) => ctx.log(`waiting for another synth writing this dist (${holder})`),
    });
    for (const note of result.recovered) ctx.log(`recovered: ${note}`);
    for (const w of result.warnings) ctx.log(`warning: ${formatProblem(w)}`);
    const names = [...result.clusters.keys()];
    const ms = Object.values(result.timings).reduce((a, b) => a + b, 0);
    if (ctx.values.format === 'json') {
      const summary = {
        clusters: names,
        files: result.files,
        objects: result.objects,
        removedClusters: result.removedClusters,
        recovered: result.recovered,
        warnings: result.warnings,
        timingsMs: result.timings,
      };
      return { exitCode: 0, stdout: `${JSON.stringify(summary, null, 2)}\n` };
    }
    if (ctx.values.quiet) return { exitCode: 0 };
    const removed = result.removedClusters.length > 0 ? `; removed ${result.removedClusters.join(', ')}` : '';
    return {
      exitCode: 0,
      stdout: `synthesized ${names.length} cluster${names.length === 1 ? '' : 's'} (${names.join(', ')}): ${result.objects} objects in ${result.files} files → ${result.outdir} in ${(ms / 1000).toFixed(2)}s${removed}\n`,
    };
  },
};
