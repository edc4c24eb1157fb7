import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../../cli/commands/validate';
import type { ValidationReport } from '../../../pipeline/validate';
import { FORMATTERS, summaryLine } from '../../../pipeline/validate/format';

const cwd = resolve(__dirname, '../../..');
process.env.EKSAI_SCHEMA_MIRROR ??= '../shared/schemas';

const report: ValidationReport = {
  files: 2,
  timingsMs: { schemas: 1, total: 2 },
  results: [
    {
      file: 'a.yaml',
      line: 1,
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      name: 'gpu',
      status: 'invalid',
      problems: [{ path: 'spec.weight', message: 'must be integer' }],
    },
    { file: 'a.yaml', line: 9, apiVersion: 'v1', kind: 'ConfigMap', name: 'x', status: 'valid', problems: [] },
    {
      file: 'b.yaml',
      line: 3,
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'w',
      status: 'skipped',
      problems: [{ path: '', message: 'no pinned schema for example.com/v1 Widget' }],
    },
  ],
};

describe('formatters', () => {
  it('text: one line per problem and the summary', () => {
    expect(FORMATTERS.text.format(report)).toBe(
      'a.yaml:1 - NodePool gpu is invalid: spec.weight: must be integer\n' +
        'b.yaml:3 - Widget w was skipped: no pinned schema for example.com/v1 Widget\n' +
        'Summary: 3 resources found in 2 files - Valid: 1, Invalid: 1, Errors: 0, Skipped: 1\n',
    );
  });

  it('github: workflow commands with file and line', () => {
    expect(FORMATTERS.github.format(report).split('\n')[0]).toBe('::error file=a.yaml,line=1::NodePool gpu: spec.weight: must be integer');
  });

  it('json: counts and results', () => {
    expect(JSON.parse(FORMATTERS.json.format(report))).toMatchObject({ summary: { resources: 3, files: 2, valid: 1, invalid: 1, skipped: 1, error: 0 } });
  });

  it('summary line', () => {
    expect(summaryLine(report)).toBe('Summary: 3 resources found in 2 files - Valid: 1, Invalid: 1, Errors: 0, Skipped: 1');
  });
});

describe('eksai validate (command)', () => {
  const run = (positionals: string[], format = 'text') => validateCommand.run({ values: { format }, positionals, cwd, isTTY: false, log: () => undefined });

  it('exits 0 when every document is valid', async () => {
    const out = await run(['test/fixtures/manifests/valid-nodepool.yaml']);
    expect(out).toMatchObject({ exitCode: 0 });
    expect(out.stdout).toContain('Valid: 1, Invalid: 0');
  });

  it('fails with exit 1 when a document is invalid', async () => {
    const out = await run(['test/fixtures/manifests/wrong-type.yaml'], 'github');
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toContain('::error file=test/fixtures/manifests/wrong-type.yaml,line=1::NodePool gpu: spec.weight: must be integer');
  });

  it('takes policy severities from eksai.validate.json and --policy flags (flags win)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksai-validate-settings-'));
    const saved = process.env.EKSAI_SCHEMA_MIRROR;
    process.env.EKSAI_SCHEMA_MIRROR = resolve(cwd, saved ?? '../shared/schemas'); // the run's cwd is the temp dir
    try {
      copyFileSync(resolve(cwd, 'test/fixtures/manifests/policy-violations.yaml'), join(dir, 'policy-violations.yaml'));
      writeFileSync(
        join(dir, 'eksai.validate.json'),
        JSON.stringify({ policies: { 'imds-hop-limit': 'off', 'encrypted-volumes': 'off', 'no-latest-ami-alias': 'off', 'gpu-pool-tainted': 'warning' } }),
      );
      const args = { format: 'text', policy: ['no-literal-secret-data=warning'] };
      const out = await validateCommand.run({ values: args, positionals: ['policy-violations.yaml'], cwd: dir, isTTY: false, log: () => undefined });
      expect(out.exitCode).toBe(0);
      expect(out.stdout).toContain('policy-violations.yaml:1 - Secret db has a warning: stringData: Secret carries literal data in git');
      expect(out.stdout).toContain('NodePool gpu-untainted has a warning: spec.template.spec.taints:');
      expect(out.stdout).toContain('Valid: 3, Invalid: 0');
    } finally {
      process.env.EKSAI_SCHEMA_MIRROR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a usage error for an unknown policy id', async () => {
    const out = validateCommand.run({ values: { format: 'text', policy: ['heads-on-spot=off'] }, positionals: [], cwd, isTTY: false, log: () => undefined });
    await expect(out).rejects.toThrow(/^--policy heads-on-spot=off: unknown policy "heads-on-spot": use one of no-literal-secret-data, .*heads-not-on-spot$/);
  });

  it('fails with a usage error for an unknown format', async () => {
    await expect(run([], 'xml')).rejects.toThrow(/--format must be one of text, json, github/);
  });

  it('fails with an environment error naming EKSAI_SCHEMA_MIRROR when schemas are unavailable', async () => {
    const saved = process.env.EKSAI_SCHEMA_MIRROR;
    process.env.EKSAI_SCHEMA_MIRROR = '/nonexistent-mirror';
    try {
      await expect(run(['test/fixtures/manifests/valid-nodepool.yaml'])).rejects.toMatchObject({
        name: 'EnvironmentError',
        message: expect.stringContaining('EKSAI_SCHEMA_MIRROR'),
      });
    } finally {
      process.env.EKSAI_SCHEMA_MIRROR = saved;
    }
  });
});
