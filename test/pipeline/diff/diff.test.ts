import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffCommand } from '../../../cli/commands/diff';
import { UsageError } from '../../../lib/errors';
import { diffRevisions, MARKDOWN_LIMIT, renderMarkdown, renderText } from '../../../pipeline/diff';
import { eksai, minimalInput, tempRepo as registryRepo } from '../../helpers';
import { childApp, cleanupDiffRepos, cluster, diffTrees as diffOf, nodePool, rootApp, tempRepo, type Tree } from './helpers';

const repos: { cleanup: () => void }[] = [];
afterAll(() => {
  repos.forEach((r) => r.cleanup());
  cleanupDiffRepos();
});

/** Runs the command adapter the way cli does (flags parsed, defaults applied). */
async function cli(cwd: string, ...args: string[]) {
  const values: Record<string, string | boolean> = { format: 'text' };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!.replace(/^--/, '');
    if (flag === 'exit-code') values[flag] = true;
    else values[flag] = args[++i]!;
  }
  const logs: string[] = [];
  const out = await diffCommand.run({ values, positionals: [], cwd, isTTY: false, log: (l) => logs.push(l) });
  return { code: out.exitCode, stdout: out.stdout ?? '', stderr: logs.join('\n') };
}

const dashboard = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dash', namespace: 'mon' }, data: { a: '1' } };

describe('eksai diff', () => {
  it('reports no changes and exits 0 with --exit-code', async () => {
    const repo = tempRepo();
    repos.push(repo);
    repo.commit(cluster('dev'));
    const out = await cli(repo.dir, '--base', 'HEAD', '--exit-code');
    expect(out).toMatchObject({ code: 0 });
    expect(out.stdout).toContain('No changes.');
  });

  it('exits 1 with --exit-code when the working tree changed dist, 0 without it', async () => {
    const repo = tempRepo();
    repos.push(repo);
    repo.commit(cluster('dev'));
    repo.write(cluster('dev', { gpu: '16' }));
    expect((await cli(repo.dir, '--base', 'HEAD', '--exit-code')).code).toBe(1);
    const plain = await cli(repo.dir, '--base', 'HEAD');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Plan: 0 to add, 1 to change, 0 to rename, 0 to destroy.');
  });

  it('fails with a usage error (exit 2) and the fix when the base ref does not exist', async () => {
    const repo = tempRepo();
    repos.push(repo);
    repo.commit(cluster('dev'));
    const run = cli(repo.dir, '--base', 'origin/nope');
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(
      "unknown git revision 'origin/nope': pass a branch, tag or commit that exists locally (in CI fetch it first, e.g. `git fetch origin nope`)",
    );
  });

  it('reports an added cluster', async () => {
    const result = await diffOf(cluster('dev'), { ...cluster('dev'), ...cluster('prod') });
    expect(result.clusters).toEqual({ added: ['prod'], removed: [] });
    expect(result.counts).toMatchObject({ added: 7, removed: 0, changed: 0, renamed: 0 });
    expect(new Set(result.changes.map((c) => c.cluster))).toEqual(new Set(['prod']));
  });

  it('reports a removed component as deletions pruned by its app', async () => {
    const base = {
      ...cluster('dev'),
      'dist/dev/apps/Application.monitoring.yaml': childApp('dev', 'monitoring', true),
      'dist/dev/monitoring/ConfigMap.dash.yaml': dashboard,
    };
    const head = { ...cluster('dev'), 'dist/dev/apps/Application.monitoring.yaml': childApp('dev', 'monitoring', true) };
    const result = await diffOf(base, head);
    expect(result.changes.map((c) => `${c.kind} ${c.component}/${c.resourceKind}/${c.name}`)).toEqual(['removed monitoring/ConfigMap/dash']);
    expect(result.risks).toEqual([
      expect.objectContaining({ level: 'high', resource: 'ConfigMap/dash', message: expect.stringContaining('Application monitoring has automated prune on') }),
    ]);
  });

  it('reports a removed child Application whose finalizer deletes its resources', async () => {
    const root = { 'dist/dev/root/Application.root.yaml': rootApp('dev', true) };
    const base = {
      ...cluster('dev'),
      ...root,
      'dist/dev/apps/Application.monitoring.yaml': childApp('dev', 'monitoring', false),
      'dist/dev/monitoring/ConfigMap.dash.yaml': dashboard,
    };
    const result = await diffOf(base, { ...cluster('dev'), ...root });
    expect(result.counts.removed).toBe(2);
    expect(result.risks.map((r) => r.message)).toEqual([
      'Application monitoring deleted on sync (Application root has automated prune on) with resources-finalizer: Argo CD deletes every resource it manages',
      'deleted from the cluster on sync: deleted with its Application monitoring (resources finalizer; Application root has automated prune on)',
    ]);
  });

  it('reports a changed GPU limit as a risk with its direction', async () => {
    const result = await diffOf(cluster('prod', { gpu: '8' }), cluster('prod', { gpu: '4' }));
    expect(result.changes).toEqual([
      expect.objectContaining({ kind: 'changed', resourceKind: 'NodePool', name: 'gpu', fields: [{ path: 'spec.limits.nvidia.com/gpu', old: '8', new: '4' }] }),
    ]);
    expect(result.risks).toEqual([expect.objectContaining({ level: 'medium', cluster: 'prod', message: 'GPU limit 8 → 4 (down)' })]);
  });

  it('lists the pools that drain on an AMI alias bump', async () => {
    const result = await diffOf(cluster('prod'), cluster('prod', { alias: 'al2023@v20251201' }));
    const ami = result.risks.filter((r) => r.message.startsWith('AMI change'));
    expect(ami.map((r) => [r.resource, r.message])).toEqual([
      ['EC2NodeClass/default', 'AMI change al2023@v20251117 → al2023@v20251201: nodes of pools general, memory drift and are replaced'],
      ['EC2NodeClass/gpu', 'AMI change al2023@v20251117 → al2023@v20251201: nodes of pool gpu drift and are replaced'],
    ]);
  });

  it('reports a Helm chart bump and changes inside valuesObject', async () => {
    const base = cluster('dev');
    const head = { ...cluster('dev', { chart: '1.15.0' }) };
    (
      head['dist/dev/apps/Application.karpenter.yaml'] as { spec: { source: { helm: { valuesObject: Record<string, unknown> } } } }
    ).spec.source.helm.valuesObject.replicas = 3;
    const result = await diffOf(base, head);
    expect(result.changes[0]?.fields).toEqual([
      { path: 'spec.source.helm.valuesObject.replicas', old: 2, new: 3 },
      { path: 'spec.source.targetRevision', old: '1.14.1', new: '1.15.0' },
    ]);
    expect(result.risks.map((r) => r.message)).toContainEqual(expect.stringContaining('chart oci://public.ecr.aws/karpenter/karpenter 1.14.1 → 1.15.0'));
  });

  it('detects a rename instead of remove + add', async () => {
    const base = { ...cluster('dev'), 'dist/dev/node-pools/NodePool.batch.yaml': nodePool('batch', { capacity: 'spot' }) };
    const head = { ...cluster('dev'), 'dist/dev/node-pools/NodePool.batch-spot.yaml': nodePool('batch-spot', { capacity: 'spot' }) };
    const result = await diffOf(base, head);
    expect(result.counts).toEqual({ added: 0, removed: 0, changed: 0, renamed: 1 });
    expect(result.changes[0]).toMatchObject({ kind: 'renamed', name: 'batch-spot', from: 'batch' });
    expect(renderText(result)).toContain('→ NodePool/batch-spot (renamed from batch)');
  });

  it('masks secret values in every format', async () => {
    const secret = (pw: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'ml' },
      data: { password: pw },
      stringData: { user: 'admin' },
    });
    const cfg = (token: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'ml' },
      data: { apiToken: token, level: 'info' },
    });
    const repo = tempRepo();
    repos.push(repo);
    const a = repo.commit({ 'dist/dev/ml/Secret.db.yaml': secret('czNjcjN0LW9sZA=='), 'dist/dev/ml/ConfigMap.cfg.yaml': cfg('tok-OLD-123') });
    const b = repo.commit({ 'dist/dev/ml/Secret.db.yaml': secret('czNjcjN0LW5ldw=='), 'dist/dev/ml/ConfigMap.cfg.yaml': cfg('tok-NEW-456') });
    for (const format of ['text', 'markdown', 'json']) {
      const out = await cli(repo.dir, '--base', a, '--head', b, '--format', format);
      expect(out.code).toBe(0);
      for (const v of ['czNjcjN0LW9sZA==', 'czNjcjN0LW5ldw==', 'tok-OLD-123', 'tok-NEW-456']) expect(out.stdout).not.toContain(v);
      const shown: Record<string, string> = {
        text: 'data.password: (changed, value hidden)',
        markdown: '`data.password`: (changed, value hidden)',
        json: '"hidden": true',
      };
      expect(out.stdout).toContain(shown[format]);
    }
  });

  it('folds a huge diff under the GitHub comment limit and says what was folded', async () => {
    const big = (n: number, gpu: string): Tree => {
      const t: Tree = {};
      for (const c of ['dev', 'staging', 'prod', 'eu', 'us'])
        for (let i = 0; i < n; i++) t[`dist/${c}/pools/NodePool.p${i}.yaml`] = nodePool(`p${i}-${'x'.repeat(120)}`, { gpu });
      return t;
    };
    const result = await diffOf(big(100, '8'), big(100, '16'));
    expect(result.counts.changed).toBe(500);
    expect(renderText(result).length).toBeGreaterThan(MARKDOWN_LIMIT);
    const md = renderMarkdown(result);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain('Plan: 0 to add, 500 to change, 0 to rename, 0 to destroy.');
    expect(md).toContain('<details><summary><b>prod</b>');
    expect(md).toMatch(/(Field-level changes omitted for|Only counts per component shown for): /);
  });
});

describe('eksai diff: CRD transition rules (oldSelf)', () => {
  const withPool = (pool: ReturnType<typeof nodePool>): Tree => ({ ...cluster('dev'), 'dist/dev/node-pools/NodePool.batch.yaml': pool });
  const rejections = (risks: readonly { message: string }[]) => risks.filter((r) => r.message.startsWith('the API server will reject'));

  it('reports an update that changes an immutable field as a high risk with the rule message and path', async () => {
    const head = nodePool('batch');
    head.spec.template.spec.nodeClassRef = { ...head.spec.template.spec.nodeClassRef, kind: 'OtherNodeClass' };
    const result = await diffOf(withPool(nodePool('batch')), withPool(head));
    expect(rejections(result.risks)).toEqual([
      {
        level: 'high',
        cluster: 'dev',
        component: 'node-pools',
        resource: 'NodePool/batch',
        message: 'the API server will reject this update: nodeClassRef.kind is immutable at spec.template.spec.nodeClassRef',
      },
    ]);
  });

  it('reports a one-way switch (dynamic → static NodePool)', async () => {
    const head = nodePool('batch') as ReturnType<typeof nodePool> & { spec: { replicas?: number } };
    head.spec.replicas = 3;
    const result = await diffOf(withPool(nodePool('batch')), withPool(head));
    expect(rejections(result.risks).map((r) => r.message)).toEqual([
      expect.stringMatching(
        /^the API server will reject this update: Cannot transition NodePool between static \(replicas set\) and dynamic \(replicas unset\) provisioning modes at spec$/,
      ),
    ]);
  });

  it('accepts an update the rules allow (nodeClassRef.name may change), and ignores new objects', async () => {
    const result = await diffOf(withPool(nodePool('batch')), {
      ...withPool(nodePool('batch', { nodeClass: 'gpu' })),
      'dist/dev/node-pools/NodePool.new.yaml': nodePool('new'),
    });
    expect(result.counts).toMatchObject({ changed: 1, added: 1 });
    expect(rejections(result.risks)).toEqual([]);
    expect(result.risks.map((r) => r.message)).toContainEqual(expect.stringContaining('template change (spec.nodeClassRef.name)'));
    expect(result.problems).toEqual([]);
  });

  it('says the rules were not checked when the pinned CRDs cannot be read', async () => {
    const repo = tempRepo();
    repos.push(repo);
    const empty = mkdtempSync(join(tmpdir(), 'eksai-mirror-'));
    const head = nodePool('batch');
    head.spec.template.spec.nodeClassRef.kind = 'OtherNodeClass';
    const a = repo.commit(withPool(nodePool('batch')));
    const b = repo.commit(withPool(head));
    const result = await diffRevisions({ cwd: repo.dir, base: a, head: b, schemas: { mirror: empty } });
    rmSync(empty, { recursive: true, force: true });
    expect(rejections(result.risks)).toEqual([]);
    expect(result.problems).toEqual([
      {
        file: '(schemas)',
        message: expect.stringMatching(
          /^CRD transition rules \(oldSelf\) not checked: schema https:\/\/raw\.githubusercontent\.com\/aws\/karpenter-provider-aws\/.* is not in the mirror/,
        ),
      },
      {
        file: '(schemas)',
        message: expect.stringMatching(
          /^lists of \d+ schema files? aligned by name-like keys only \(no Kubernetes list keys\): schema https:.* is not in the mirror/,
        ),
      },
    ]);
  });
});

describe('eksai diff: stale working tree', () => {
  it('synthesizes dist first when the cluster files changed since the last synth, and says so', () => {
    const dir = registryRepo([minimalInput()]);
    try {
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
      expect(eksai(['synth', '--cwd', dir]).status).toBe(0);
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('commit', '-qm', 'base');
      const raised = minimalInput({
        karpenter: {
          nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }],
          nodePools: [
            { name: 'general', kind: 'cpu', limits: { cpu: 100 } },
            { name: 'gpu', kind: 'gpu', limits: { gpu: 6 } },
          ],
        },
      });
      writeFileSync(join(dir, 'clusters', 'index.ts'), `export const clusters = {\n  "minimal": ${JSON.stringify(raised)},\n};\n`);
      const out = eksai(['diff', '--cwd', dir, '--base', 'HEAD']);
      expect(out.stderr).toContain('dist is stale (1 file): running synth first');
      expect(out.stdout).toContain('GPU limit 2 → 6 (up)');
      expect(out.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
