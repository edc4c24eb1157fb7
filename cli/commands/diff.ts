import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { diffRevisions, hasChanges, renderDiff, type DiffFormat } from '../../pipeline/diff';
import { UsageError } from '../../lib/errors';
import { checkDist } from '../../pipeline/synth/check';
import { synthesize } from '../../pipeline/synth';
import type { CommandSpec } from '../types';

export const diffCommand: CommandSpec = {
  name: 'diff',
  summary: 'semantic, risk-first review of dist/ between two git revisions',
  usage: 'diff --base <ref> [--head <ref>] [--format text|markdown|json] [--exit-code] [--no-render]',
  details: `Compares every Kubernetes object in dist/ at --base with --head (default: the working tree),
keyed by apiVersion/kind/namespace/name and grouped cluster → component (a kind: List counts as its items);
each cluster's Terraform input (bootstrap/terraform.json) is one object TerraformInput/terraform.json.
Prints Terraform-style counts, then risks (what Argo CD does with each removal: deleted on sync, deleted after
confirmation, or left running with the command to delete it; node drift from NodePool/EC2NodeClass changes,
GPU and other limits, capacity type, disruption budgets, Helm chart bumps, updates a CRD transition rule such
as an immutable field would make the API server reject), then field-level changes, including inside Helm
values and serialized annotations. Lists align by identity (Kubernetes list keys from the pinned schemas,
else name-like keys such as name/slug/key/namespace+server), so a removed item is one line. Renames (same
kind and content, new name) are shown as renames. Secret values are never printed: Secret data anywhere,
keys named like password/token/secret/key material, {name, value} entries named so, and secret-looking
strings show as "(changed, value hidden)". A YAML alias bomb or an oversized file is refused with a warning.
Helm releases whose chart version or values changed are rendered in both revisions (helm template as Argo
CD runs it) and their objects compared as \`<application> (rendered)\`, ignoreDifferences fields left out;
--no-render skips that. When head is the working tree and dist/ is stale, synth runs first (said on stderr). --format markdown
always fits a GitHub comment (65,536 characters).
Exit codes: 0 success (with --exit-code: 0 no changes, 1 changes), 2 usage or environment error.

Examples:
  eksai diff --base origin/main
  eksai diff --base v1.2.0 --head HEAD --format json | jq .risks
  eksai diff --base origin/main --format markdown > diff.md`,
  options: {
    base: { type: 'string', arg: '<ref>', description: 'git revision to compare from (required)' },
    head: { type: 'string', arg: '<ref>', description: 'git revision to compare to (default: the working tree)' },
    format: { type: 'string', arg: 'text|markdown|json', default: 'text', description: 'output format' },
    'exit-code': { type: 'boolean', description: 'exit 1 when there are changes (like git diff --exit-code)' },
    'no-render': {
      type: 'boolean',
      description: 'do not render the Helm releases whose chart version or values changed (needs helm and the charts: EKSAI_CHART_MIRROR or network)',
    },
  },
  run: async (ctx) => {
    const base = ctx.values.base;
    if (typeof base !== 'string' || base === '') throw new UsageError('--base <ref> is required, e.g. `eksai diff --base origin/main`');
    const head = typeof ctx.values.head === 'string' ? ctx.values.head : undefined;
    if (head === undefined && existsSync(join(ctx.cwd, 'clusters', 'index.ts'))) {
      const check = checkDist({ cwd: ctx.cwd });
      if (!check.fresh) {
        ctx.log(`dist is stale (${check.stale.length} file${check.stale.length === 1 ? '' : 's'}): running synth first`);
        synthesize({ cwd: ctx.cwd });
      }
    }
    const result = await diffRevisions({ cwd: ctx.cwd, base, head, render: ctx.values['no-render'] !== true });
    const format = (ctx.values.format ?? 'text') as DiffFormat;
    const exitCode = ctx.values['exit-code'] === true && hasChanges(result) ? 1 : 0;
    return { exitCode, stdout: renderDiff(result, format, { color: ctx.isTTY }) };
  },
};
