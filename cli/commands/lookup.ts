import { UsageError } from '../../lib/errors';
import { lookupTarget } from '../../lib/config/lookup-target';
import { lookup } from '../../lib/lookups/ssm';
import type { CommandSpec } from '../types';

export const lookupCommand: CommandSpec = {
  name: 'lookup',
  summary: "read a cluster's facts from SSM /eksai/<cluster>/ and verify its AMI aliases into clusters/<name>.lookups.json",
  usage: 'lookup --cluster <name> [--check] [--format text|json]',
  details: `Reads every parameter under /eksai/<cluster>/ (GetParametersByPath, recursive, paginated) in the
region of the cluster config, with the standard AWS credential chain. AWS_ENDPOINT_URL_SSM or
AWS_ENDPOINT_URL point it at another endpoint. Throttling and timeouts are retried with backoff;
connect 5 s, request 10 s and the whole lookup 60 s are bounded (EKSAI_SSM_CONNECT_TIMEOUT_MS,
EKSAI_SSM_REQUEST_TIMEOUT_MS, EKSAI_SSM_TOTAL_TIMEOUT_MS), at most 50 pages, a repeated NextToken stops it.
Every fact is checked and written in canonical form with the rules synth applies (an endpoint with
credentials, a path, a query or a port other than 443 is refused). Every pinned AMI alias is resolved
through the public SSM parameters Karpenter reads for the cluster's Kubernetes version (each
architecture, nvidia for gpu pools) and the AMI ids are recorded; synth refuses an alias the file
has not verified. The file is replaced atomically (temp file, fsync, rename) and only when every
check passed; terraform/bootstrap writes the facts. --check compares and writes nothing.
Exit codes: 0 written / no drift, 1 drift, missing or invalid parameters, unknown AMI release,
2 usage, credentials, access denied, timeout, page limit, repeated token, write failure.

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
    const target = lookupTarget(ctx.cwd, cluster);
    const result = await lookup({ cluster, ...target, cwd: ctx.cwd, check });
    const exitCode = check && result.drift.length > 0 ? 1 : 0;
    if (ctx.values.format === 'json') return { exitCode, stdout: `${JSON.stringify(result, null, 2)}\n` };
    if (result.ignored.length > 0)
      ctx.log(`note: ignored ${result.ignored.length} parameter(s) eksai does not use under ${result.prefix}: ${result.ignored.join(', ')}`);
    const n = Object.keys(result.parameters).length;
    const lines = result.drift.map((d) =>
      d.status === 'missing'
        ? `  missing ${result.file}`
        : `  ${d.status.padEnd(7)} ${d.name}${d.committed !== undefined ? ` committed=${d.committed}` : ''}${d.ssm !== undefined ? ` ssm=${d.ssm}` : ''}`,
    );
    if (check) {
      if (result.drift.length === 0) return { exitCode, stdout: `${result.file} matches SSM ${result.prefix} in ${result.region} (${n} parameters)\n` };
      return {
        exitCode,
        stdout: `${result.file} drifted from SSM ${result.prefix} in ${result.region}:\n${lines.join('\n')}\nrun \`eksai lookup --cluster ${cluster}\`, then synth and commit\n`,
      };
    }
    const what = result.written ? 'wrote' : 'unchanged:';
    const a = Object.keys(result.amis).length;
    return {
      exitCode,
      stdout: `${what} ${result.file} (${n} parameters from SSM ${result.prefix} in ${result.region}, ${result.pages} page${result.pages === 1 ? '' : 's'}; ${a} AMI alias${a === 1 ? '' : 'es'} verified)\n`,
    };
  },
};
