import { UsageError } from '../../errors';
import { validate } from '../../validate';
import { FORMATTERS, type FormatName } from '../../validate/format';
import type { CommandSpec } from '../types';

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'check manifests against pinned Kubernetes/CRD schemas, CEL rules and Helm values schemas (offline)',
  usage: 'validate [paths...] [--format text|json|github]',
  details: `Validates every document of every YAML file under the given paths (default: dist/), not only eksai's:
Kubernetes 1.35 OpenAPI v3 for core kinds, the pinned CRDs' openAPIV3Schema (every served version; unknown
fields rejected), every x-kubernetes-validations CEL rule (transition rules with oldSelf are skipped), and the
values schema of Argo CD Applications whose chart ships one (cilium, jupyterhub). Kinds without a pinned schema
are reported as skipped. CEL rules that cannot be evaluated are reported as errors, never passed.
Also: platform policies (policy/<id>: no literal Secret data, IMDSv2 hop limit 1, encrypted EBS, no @latest AMI
alias, GPU pools tainted) and references inside dist/<cluster>/ (cross/<id>: NodePool → EC2NodeClass,
Application → AppProject).
Schemas come from EKSAI_SCHEMA_MIRROR (a directory laid out as <dir>/<url without https://>) or the cache.
Exit codes: 0 all valid or skipped, 1 invalid documents or errors (malformed YAML, unevaluated rules),
2 usage/environment errors (e.g. schemas unavailable).

Examples:
  eksai validate
  eksai validate dist/prod some/other/manifests.yaml
  eksai validate --format github`,
  options: {
    format: { type: 'string', arg: 'text|json|github', default: 'text', description: 'output format' },
  },
  allowPositionals: true,
  run: async (ctx) => {
    const name = (ctx.values.format ?? 'text') as string;
    const formatter = FORMATTERS[name as FormatName];
    if (!formatter) throw new UsageError(`--format must be one of ${Object.keys(FORMATTERS).join(', ')} (got ${JSON.stringify(name)})`);
    const report = await validate({ cwd: ctx.cwd, paths: ctx.positionals });
    const failed = report.results.some((r) => r.status === 'invalid' || r.status === 'error');
    return { exitCode: failed ? 1 : 0, stdout: formatter.format(report) };
  },
};
