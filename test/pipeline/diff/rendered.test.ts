import { afterAll, describe, expect, it } from 'vitest';
import { diffRevisions, renderDiff } from '../../../pipeline/diff';
import { exampleDist, tempRepo, type Tree, withChartLock } from './helpers';

process.env.EKSAI_CHART_MIRROR ??= '../shared/charts';

const repos: { cleanup: () => void }[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

async function renderedDiffOf(base: Tree, head: Tree, render = true) {
  const repo = tempRepo();
  repos.push(repo);
  withChartLock(repo.dir);
  const a = repo.commit(base);
  const b = repo.commit(head);
  return diffRevisions({ cwd: repo.dir, base: a, head: b, render });
}

const withKarpenterReplicas = (n: number) => (input: Record<string, unknown>) => ({
  ...input,
  karpenter: { ...(input.karpenter as object), controller: { replicas: n } },
});
const withHubAdmins = (admins: string[]) => (input: Record<string, unknown>) => {
  const hub = input.jupyterhub as { auth: Record<string, unknown> };
  return { ...input, jupyterhub: { ...hub, auth: { ...hub.auth, adminUsers: admins } } };
};

describe('diff shows rendered changes of changed Helm releases (issue 13 item 7)', () => {
  it('fails when a values change of a release is shown only as its values, not as the rendered objects that change', async () => {
    const result = await renderedDiffOf(exampleDist('dev'), exampleDist('dev', withKarpenterReplicas(3)));
    expect(result.problems).toEqual([]);
    const rendered = result.changes.filter((c) => c.component === 'karpenter (rendered)');
    expect(rendered.map((c) => `${c.kind} ${c.resourceKind}/${c.name}`)).toContain('changed Deployment/karpenter');
    expect(rendered.find((c) => c.resourceKind === 'Deployment')!.fields).toContainEqual({ path: 'spec.replicas', old: 1, new: 3 });
    // Releases whose inputs did not change are not rendered into the diff.
    expect(result.changes.filter((c) => c.component.endsWith('(rendered)') && c.component !== 'karpenter (rendered)')).toEqual([]);
    expect(renderDiff(result, 'text')).toContain('  karpenter (rendered)\n');
  });

  it('fails when fields in ignoreDifferences (JupyterHub checksum annotations) or rendered Secret values show up', async () => {
    const result = await renderedDiffOf(exampleDist('prod'), exampleDist('prod', withHubAdmins(['platform-oncall@acme.com', 'new-admin@acme.com'])));
    expect(result.problems).toEqual([]);
    const rendered = result.changes.filter((c) => c.component === 'jupyterhub (rendered)');
    expect(rendered.length).toBeGreaterThan(0);
    const paths = rendered.flatMap((c) => c.fields.map((f) => `${c.resourceKind}/${c.name} ${f.path}`));
    expect(paths.filter((p) => p.includes('checksum'))).toEqual([]);
    const secretFields = rendered.filter((c) => c.resourceKind === 'Secret').flatMap((c) => c.fields);
    expect(secretFields.length).toBeGreaterThan(0);
    expect(secretFields.every((f) => f.hidden === true && !('old' in f) && !('new' in f))).toBe(true);
    for (const format of ['text', 'markdown', 'json'] as const) expect(renderDiff(result, format)).not.toContain('new-admin@acme.com","');
  });

  it('says why when a release cannot be rendered, and leaves the rest of the diff intact', async () => {
    const saved = process.env.EKSAI_CHART_MIRROR;
    process.env.EKSAI_CHART_MIRROR = '/nonexistent-chart-mirror';
    try {
      const result = await renderedDiffOf(exampleDist('dev'), exampleDist('dev', withKarpenterReplicas(3)));
      expect(result.problems).toEqual([{ file: '(render)', message: expect.stringMatching(/^rendered changes of dev\/karpenter not shown: /) }]);
      expect(result.changes.map((c) => `${c.resourceKind}/${c.name}`)).toEqual(['Application/karpenter']);
    } finally {
      process.env.EKSAI_CHART_MIRROR = saved;
    }
  });
});
