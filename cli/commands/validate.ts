import { UsageError } from '../../lib/errors';
import { validate } from '../../pipeline/validate';
import { FORMATTERS, type FormatName } from '../../pipeline/validate/format';
import { POLICY_IDS } from '../../pipeline/validate/policy';
import { policySeverities } from '../../pipeline/validate/settings';
import type { CommandSpec } from '../types';

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'check manifests against pinned Kubernetes/CRD schemas, CEL rules and Helm values schemas (offline)',
  usage: 'validate [paths...] [--no-render] [--format text|json|github] [--policy <id>=error|warning|off ...]',
  details: `Validates every document of every YAML file under the given paths (default: dist/), not only eksai's:
Kubernetes 1.35 OpenAPI v3 for core kinds, the pinned CRDs' openAPIV3Schema (every served version; unknown
fields rejected), every x-kubernetes-validations CEL rule (transition rules with oldSelf are skipped), and the
values schema of Argo CD Applications whose chart ships one (cilium, jupyterhub). Kinds without a pinned schema
are reported as skipped. CEL rules that cannot be evaluated are reported as errors, never passed.
Also: list-type set/map uniqueness and enforced formats; platform policies (policy/<id>: no literal Secret data,
IMDSv2 hop limit 1, encrypted EBS, no @latest AMI alias, GPU pools tainted, Ray heads not on spot) and checks
inside each dist/<cluster>/ (cross/<id>): NodePool → EC2NodeClass, Application → AppProject, every pod template
(workloads, Ray groups, JupyterHub profiles) fits some NodePool, Volcano queue / ServiceAccount / ConfigMap /
StorageClass references exist where dist renders that kind, Application paths exist and their project allows
source and destination, custom resources sync after the Application installing their CRDs (cross/crd-installed:
an earlier sync wave, or the same Application's manifests; by the operator charts' groups without renders).
Rendered releases (unless --no-render): the Helm Applications of every validated dist/<cluster>/apps/ are
rendered with the real helm as Argo CD renders them (offline: EKSAI_CHART_MIRROR), twice where the chart or
values call a function that can vary between runs (time, randomness, map order), and validated with dist,
reported at rendered/<cluster>/<application>/<Kind>.<namespace>.<name>.yaml; chart CRDs replace the pins.
Cross checks over dist and renders: AppProject admission of every object (cross/project-admits-object),
render determinism vs ignoreDifferences (cross/render-deterministic), every CRD installed in time, by
the CRDs dist and the releases carry (cross/crd-installed), chart CRDs vs pins (cross/crd-pins-match-charts), GPU pods and DaemonSets fit a GPU
NodePool (cross/gpu-pod-fits-a-gpu-nodepool). Nulls are decoded as the API server does.
Special files (devices, FIFOs, sockets, symlink loops), files over 16 MiB, invalid UTF-8 and YAML alias bombs
are findings. Items of kind: List are validated as the objects they are.
Policy severities: error (default), warning (shown, exit 0) or off, per id, in eksai.validate.json
({"policies": {"no-latest-ami-alias": "warning"}}) or with --policy <id>=<severity> (wins).
Policy ids: ${POLICY_IDS.join(', ')}.
Compiled validators are cached under <schema cache>/.compiled (EKSAI_SCHEMA_CACHE, default ~/.cache/eksai/schemas).
Schemas come from EKSAI_SCHEMA_MIRROR (a directory laid out as <dir>/<url without https://>) or the cache.
Exit codes: 0 all valid or skipped, 1 invalid documents or errors (malformed YAML, unevaluated rules),
2 usage/environment errors (e.g. schemas unavailable).

Examples:
  eksai validate
  eksai validate dist/prod some/other/manifests.yaml
  eksai validate --format github
  eksai validate --no-render
  eksai validate --policy no-latest-ami-alias=warning --policy heads-not-on-spot=off`,
  options: {
    format: { type: 'string', arg: 'text|json|github', default: 'text', description: 'output format' },
    policy: {
      type: 'string',
      multiple: true,
      arg: '<id>=error|warning|off',
      description: 'severity of one policy (repeatable; overrides eksai.validate.json)',
    },
    'no-render': { type: 'boolean', description: 'do not render the Helm releases (validate only the files)' },
  },
  allowPositionals: true,
  run: async (ctx) => {
    const name = (ctx.values.format ?? 'text') as string;
    const formatter = FORMATTERS[name as FormatName];
    if (!formatter) throw new UsageError(`--format must be one of ${Object.keys(FORMATTERS).join(', ')} (got ${JSON.stringify(name)})`);
    const flags = ctx.values.policy;
    const policySeveritiesById = policySeverities(ctx.cwd, Array.isArray(flags) ? flags : typeof flags === 'string' ? [flags] : []);
    // Rendering and a first run's schema compiling are the long parts: their progress goes to stderr.
    const report = await validate({
      cwd: ctx.cwd,
      paths: ctx.positionals,
      policySeverities: policySeveritiesById,
      render: ctx.values['no-render'] !== true,
      log: ctx.log,
    });
    const failed = report.results.some((r) => r.status === 'invalid' || r.status === 'error');
    return { exitCode: failed ? 1 : 0, stdout: formatter.format(report) };
  },
};
