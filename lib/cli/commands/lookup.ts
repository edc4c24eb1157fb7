import { UsageError } from '../../errors';
import { clusterRegion, lookup } from '../../lookups/ssm';
import type { CommandSpec } from '../types';

export const lookupCommand: CommandSpec = {
  name: 'lookup',
  summary: 'read a cluster\'s facts from SSM /eksai/<cluster>/ into clusters/<name>.lookups.json',
  usage: 'lookup --cluster <name> [--check] [--format text|json]',
  details: `Reads every parameter under /eksai/<cluster>/ (GetParametersByPath, recursive, paginated) in the
region of the cluster config, with the standard AWS credential chain. AWS_ENDPOINT_URL_SSM or
AWS_ENDPOINT_URL point it at another endpoint. Throttling is retried with backoff. The file is written
(sorted keys) only when every required parameter was found; terraform/bootstrap writes them.
--check compares SSM with the committed file and writes nothing.
Exit codes: 0 written / no drift, 1 drift or missing parameters, 2 usage, credentials or access denied.

Examples:
  eksai lookup --cluster dev
  AWS_PROFILE=prod eksai lookup --cluster prod --check
  eksai lookup --cluster dev --format json | jq .parameters`,
  options: {
    cluster: { type: 'string', arg: '<name>', description: 'cluster to read (a key of clusters/index.ts)' },
    check: { type: 'boolean', description: 'report drift between SSM and the committed file; write nothing' },
    format: { type: 'string', arg: 'text|json', default: 'text', description: 'output format' },
  },
  run: async (ctx) => {
    const cluster = ctx.values.cluster;
    if (typeof cluster !== 'string' || cluster === '') throw new UsageError('--cluster <name> is required, e.g. `eksai lookup --cluster dev`');
    const check = ctx.values.check === true;
    const region = clusterRegion(ctx.cwd, cluster);
    const result = await lookup({ cluster, region, cwd: ctx.cwd, check });
    const exitCode = check && result.drift.length > 0 ? 1 : 0;
    if (ctx.values.format === 'json') return { exitCode, stdout: `${JSON.stringify(result, null, 2)}\n` };
    if (result.ignored.length > 0) ctx.log(`note: ignored ${result.ignored.length} parameter(s) eksai does not use under ${result.prefix}: ${result.ignored.join(', ')}`);
    const n = Object.keys(result.parameters).length;
    const lines = result.drift.map((d) =>
      d.status === 'missing' ? `  missing ${result.file}` : `  ${d.status.padEnd(7)} ${d.name}${d.committed !== undefined ? ` committed=${d.committed}` : ''}${d.ssm !== undefined ? ` ssm=${d.ssm}` : ''}`,
    );
    if (check) {
      if (result.drift.length === 0) return { exitCode, stdout: `${result.file} matches SSM ${result.prefix} in ${result.region} (${n} parameters)\n` };
      return { exitCode, stdout: `${result.file} drifted from SSM ${result.prefix} in ${result.region}:\n${lines.join('\n')}\nrun \`eksai lookup --cluster ${cluster}\`, then synth and commit\n` };
    }
    const what = result.written ? 'wrote' : 'unchanged:';
    return { exitCode, stdout: `${what} ${result.file} (${n} parameters from SSM ${result.prefix} in ${result.region}, ${result.pages} page${result.pages === 1 ? '' : 's'})\n` };
  },
};
