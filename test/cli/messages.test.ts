import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { eksai, lookupsFor, minimalInput, REPO } from '../helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A repo root whose clusters/ holds exactly these files (cluster files export plain data, no imports). */
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-errors-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'clusters'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const cluster = (name: string) => `export default ${JSON.stringify(minimalInput({ name }), null, 2)};\n`;
const lookups = (name: string) => JSON.stringify(lookupsFor(name, 'us-west-2', minimalInput({ name })), null, 2);

describe('error messages point at the real cause', () => {
  test('fails when a registry key is not the file name, naming the file that exists', () => {
    const dir = repo({
      'clusters/index.ts': "import foo from './bar';\nexport const clusters = { foo };\n",
      'clusters/bar.ts': cluster('bar'),
      'clusters/bar.lookups.json': lookups('bar'),
    });
    const r = eksai(['synth', '--cwd', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "eksai synth: 1 config error; nothing was written\n  clusters/index.ts: clusters.foo is imported from clusters/bar.ts: the registry key must be the file name: use the key 'bar', or rename clusters/bar.ts to clusters/foo.ts\n",
    );
  });

  test('fails when a cluster file has no default export, with one error that says so', () => {
    const dir = repo({
      'clusters/index.ts': "import bar from './bar';\nexport const clusters = { bar };\n",
      'clusters/bar.ts': cluster('bar').replace('export default', 'export const config ='),
      'clusters/bar.lookups.json': lookups('bar'),
    });
    const r = eksai(['synth', '--cwd', dir]);
    expect(r.stderr).toBe('eksai synth: 1 config error; nothing was written\n  clusters/bar.ts has no default export: export default defineCluster({ ... })\n');
    expect(r.status).toBe(1);
  });

  test.each([
    ['an Error', "throw new Error('boom');", 'boom'],
    ['a TypeError', '(undefined as unknown as { x: () => void }).x();', "TypeError: Cannot read properties of undefined (reading 'x')"],
  ])('fails when a cluster file throws %s at load, naming file:line of the throw', (_, statement, reason) => {
    const file = [
      '// A cluster file that computes something at load time.',
      'interface Sizes { readonly cpu: number }',
      '',
      'const sizes: Sizes = { cpu: 4 };',
      'function pick(): string {',
      `  ${statement}`,
      "  return 'us-west-2';",
      '}',
      '',
      `export default { ...${JSON.stringify(minimalInput({ name: 'bar' }))}, region: pick(), tags: { cpu: String(sizes.cpu) } };`,
      '',
    ].join('\n');
    const dir = repo({ 'clusters/index.ts': "import bar from './bar';\nexport const clusters = { bar };\n", 'clusters/bar.ts': file });
    const r = eksai(['synth', '--cwd', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^eksai synth: 1 config error; nothing was written\\n  clusters/bar\\.ts:6:\\d+ threw while loading: ${reason.replace(/[()]/g, '\\$&')}: fix the code at that line`,
      ),
    );
  });

  test('fails when check meets config errors, without claiming that it writes', () => {
    const dir = repo({
      'clusters/index.ts': "import bar from './bar';\nexport const clusters = { bar };\n",
      'clusters/bar.ts': cluster('bar').replace('"us-west-2"', '"us-wset-2"'),
      'clusters/bar.lookups.json': lookups('bar'),
    });
    const r = eksai(['check', '--cwd', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('nothing was written');
    expect(r.stderr).toMatch(
      /^eksai check: 2 config errors; dist\/ was not compared \(fix them, then run `eksai synth`\)\n {2}clusters\/bar\.ts: region is not an AWS region with EKS \(got "us-wset-2"\): did you mean 'us-west-2'\?\n/,
    );
  });

  test.each([
    ['a missing comma', '{\n  "parameters": {\n    "a": "1"\n    "b": "2"\n  }\n}\n', '4:5', "Expected ',' or '}' after property value"],
    ['a bare word', '{\n  "parameters": nope\n}\n', '2:18', "Unexpected token 'o'"],
    ['a truncated file', '{\n  "parameters": {', '2:18', "Expected property name or '}'"],
    ['a line break in a value', '{\n  "parameters": { "a": "x\ny" }\n}\n', '2:26', 'Bad control character in string literal'],
    ['an empty file', '', '1:1', 'Unexpected end of JSON input'],
  ])('fails when the lookups file has %s, naming line:column', (_, text, at, reason) => {
    const dir = repo({
      'clusters/index.ts': "import bar from './bar';\nexport const clusters = { bar };\n",
      'clusters/bar.ts': cluster('bar'),
      'clusters/bar.lookups.json': text,
    });
    const r = eksai(['synth', '--cwd', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`  clusters/bar.lookups.json:${at} is not valid JSON: ${reason}: fix that line, or rerun \`eksai lookup --cluster bar\``);
    expect(r.stderr).not.toMatch(/position \d+/);
  });

  test.each([
    ['{ "polices": { "no-latest-ami-alias": "warning" } }', 'eksai validate: eksai.validate.json: "polices" is not a known key: did you mean "policies"?\n'],
    ['{ "policies": {}, "severity": "off" }', 'eksai validate: eksai.validate.json: "severity" is not a known key: use one of policies\n'],
    ['[1]', 'eksai validate: eksai.validate.json: must be an object such as { "policies": { "no-latest-ami-alias": "warning" } }\n'],
  ])('fails when eksai.validate.json has a misspelled key: %s', (settings, stderr) => {
    const dir = repo({ 'eksai.validate.json': settings, 'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' });
    const r = eksai(['validate', '--cwd', dir, join(dir, 'ns.yaml')], { EKSAI_SCHEMA_MIRROR: resolve(REPO, '../shared/schemas') });
    expect(r).toMatchObject({ status: 2, stderr });
  });
});
