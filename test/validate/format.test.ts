import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../lib/cli/commands/validate';
import type { ValidationReport } from '../../lib/validate';
import { FORMATTERS, summaryLine } from '../../lib/validate/format';

const cwd = resolve(__dirname, '../..');
process.env.EKSAI_SCHEMA_MIRROR ??= '../shared/schemas';

const report: ValidationReport = {
  files: 2,
  timingsMs: { schemas: 1, total: 2 },
  results: [
    { file: 'a.yaml', line: 1, apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'gpu', status: 'invalid', problems: [{ path: 'spec.weight', message: 'must be integer' }] },
    { file: 'a.yaml', line: 9, apiVersion: 'v1', kind: 'ConfigMap', name: 'x', status: 'valid', problems: [] },
    { file: 'b.yaml', line: 3, apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', status: 'skipped', problems: [{ path: '', message: 'no pinned schema for example.com/v1 Widget' }] },
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
  const run = (positionals: string[], format = 'text') =>
    validateCommand.run({ values: { format }, positionals, cwd, isTTY: false, log: () => undefined });

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

  it('fails with a usage error for an unknown format', async () => {
    await expect(run([], 'xml')).rejects.toThrow(/--format must be one of text, json, github/);
  });

  it('fails with an environment error naming EKSAI_SCHEMA_MIRROR when schemas are unavailable', async () => {
    const saved = process.env.EKSAI_SCHEMA_MIRROR;
    process.env.EKSAI_SCHEMA_MIRROR = '/nonexistent-mirror';
    try {
      await expect(run(['test/fixtures/manifests/valid-nodepool.yaml'])).rejects.toMatchObject({ name: 'EnvironmentError', message: expect.stringContaining('EKSAI_SCHEMA_MIRROR') });
    } finally {
      process.env.EKSAI_SCHEMA_MIRROR = saved;
    }
  });
});
