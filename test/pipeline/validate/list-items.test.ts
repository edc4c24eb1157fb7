import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../../pipeline/validate';
import { FORMATTERS } from '../../../pipeline/validate/format';

process.env.EKSAI_SCHEMA_MIRROR = resolve(__dirname, '../../../../shared/schemas'); // tests run in temp folders

const SECRET = 'hunter2-do-not-print';
const b64 = Buffer.from(SECRET).toString('base64');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eksai-lists-'));
  writeFileSync(
    join(dir, 'list.yaml'),
    `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata: {name: db, namespace: team-a}
    stringData: {password: ${SECRET}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, imagePullPolicyy: Always}]}
  - apiVersion: v1
    kind: List
    items:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}, data: {a: b}}
`,
  );
  writeFileSync(
    join(dir, 'secret-list.yaml'),
    `apiVersion: v1
kind: SecretList
items:
  - metadata: {name: token}
    data: {token: "${SECRET}!"}
  - metadata: {name: ok}
    data: {token: ${b64}}
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate: kind List items', () => {
  it('fails when an item of a kind: List is invalid, validating every item (nested lists too) as the object it is', async () => {
    const report = await validate({ cwd: dir, paths: ['list.yaml'] });
    expect(report.results.map((r) => [r.kind, r.name, r.status, r.problems.map((p) => `${p.path} ${p.rule ?? p.message}`)])).toEqual([
      ['Secret', 'db', 'invalid', ['items[0].stringData policy/no-literal-secret-data']],
      ['Deployment', 'web', 'invalid', ['items[1].spec.template.spec.containers[0].imagePullPolicyy unknown field']],
      ['ConfigMap', 'nested', 'valid', []],
    ]);
  });

  it('fails when an item of a typed SecretList is invalid (kind taken from the list), never printing the Secret value', async () => {
    const report = await validate({ cwd: dir, paths: ['secret-list.yaml'] });
    expect(report.results.map((r) => [r.kind, r.name, r.problems.map((p) => `${p.path}: ${p.message}`)])).toEqual([
      ['Secret', 'token', ['items[0].data.token: must be a valid byte (base64)', expect.stringMatching(/^items\[0\]\.data: Secret carries literal data/)]],
      ['Secret', 'ok', [expect.stringMatching(/^items\[1\]\.data: Secret carries literal data/)]],
    ]);
    for (const format of ['text', 'json', 'github'] as const) {
      const out = FORMATTERS[format].format(report);
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(b64);
    }
  });
});
