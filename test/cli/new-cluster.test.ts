import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import * as schema from '../../lib/config/schema';
import { clusterTemplate, newCluster as newClusterInProcess, registryIdentifier } from '../../cli/commands/new-cluster';
import { UsageError } from '../../lib/errors';
import { eksai, lookupsFor, REPO } from '../helpers';

const MIRROR = { EKSAI_SCHEMA_MIRROR: resolve(REPO, process.env.EKSAI_SCHEMA_MIRROR ?? '../shared/schemas') };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the repo's clusters/ and the code they import, so the template's import resolves. */
function repoCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-new-'));
  dirs.push(dir);
  for (const d of ['clusters', 'lib', 'charts', 'apps', 'imports', 'pipeline', 'cli']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** What `eksai lookup` would write for a cluster (the facts terraform/bootstrap puts in SSM). */
function writeLookups(dir: string, name: string, region: string): void {
  // The cluster file is `export default defineCluster(<literal>);`: its pinned AMI aliases are verified as lookup would.
  const text = readFileSync(join(dir, 'clusters', `${name}.ts`), 'utf8');
  const literal = text.slice(text.indexOf('defineCluster(') + 'defineCluster('.length, text.lastIndexOf(');'));
  const input: unknown = new Function(`return (${literal});`)(); // eslint-disable-line @typescript-eslint/no-implied-eval -- the file new-cluster just wrote
  writeFileSync(join(dir, 'clusters', `${name}.lookups.json`), `${JSON.stringify(lookupsFor(name, region, input), null, 2)}\n`);
}

function newCluster(dir: string, flags: readonly string[]) {
  return eksai(['new-cluster', '--cwd', dir, ...flags]);
}

describe('eksai new-cluster', () => {
  test('writes a cluster file and prints the next steps; synth names the missing lookups file', () => {
    const dir = repoCopy();
    const r = newCluster(dir, ['--name', 'research-eu', '--region', 'eu-west-1', '--repo', 'https://github.com/acme/ai-platform.git']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'wrote clusters/research-eu.ts, clusters/index.ts',
        'next steps:',
        '  1. create the cluster and its SSM facts: terraform -chdir=terraform/bootstrap apply -var cluster_name=research-eu -var region=eu-west-1',
        '  2. eksai lookup --cluster research-eu      # writes clusters/research-eu.lookups.json from SSM /eksai/research-eu/',
        '  3. eksai synth --cluster research-eu       # writes dist/research-eu/',
        '  4. eksai validate dist/research-eu && eksai check',
        '  5. commit clusters/research-eu.ts, clusters/research-eu.lookups.json, clusters/index.ts and dist/research-eu/',
        '',
      ].join('\n'),
    );
    const index = readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8');
    expect(index).toContain("import researchEu from './research-eu';");
    expect(index).toContain("export const clusters = { dev, staging, prod, 'research-eu': researchEu };");
    const missing = eksai(['synth', '--cwd', dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('clusters/research-eu.lookups.json does not exist: run `eksai lookup --cluster research-eu`');
  });

  // Each combination must give a dist that CI accepts: synth, validate and check all pass.
  test.each([
    { name: 'plain', flags: ['--region', 'us-east-1', '--repo', 'https://github.com/acme/platform.git'] },
    { name: 'two-teams', flags: ['--region', 'eu-west-1', '--repo', 'git@github.com:acme/platform.git', '--team', 'research', '--team', 'ml-eng'] },
    {
      name: 'stage',
      flags: ['--region', 'us-west-2', '--repo', 'ssh://git@gitlab.example.com/acme/platform.git', '--environment', 'staging', '--team', 'research'],
    },
    {
      name: 'prod-eu',
      flags: ['--region', 'eu-central-1', '--repo', 'https://gitlab.example.com:8443/acme/platform', '--environment', 'prod', '--ami', 'al2023@v20251117'],
    },
  ])('a new cluster ($name) passes synth, validate and check', ({ name, flags }) => {
    const dir = repoCopy();
    expect(newCluster(dir, ['--name', name, ...flags]).status).toBe(0);
    writeLookups(dir, name, flags[flags.indexOf('--region') + 1]!);
    const synth = eksai(['synth', '--cwd', dir, '--cluster', name]);
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const validate = eksai(['validate', '--cwd', dir, join(dir, 'dist', name)], MIRROR);
    expect(validate.stdout).toMatch(/Invalid: 0, Errors: 0/);
    expect(validate.status).toBe(0);
    expect(eksai(['check', '--cwd', dir, '--cluster', name])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^dist is fresh/) });
  });

  test('names that are reserved words or not identifiers are registered under safe identifiers and synth works', () => {
    const dir = repoCopy();
    for (const name of ['class', 'default', 'constructor', 'new-1', '9lives']) {
      expect(newCluster(dir, ['--name', name, '--region', 'us-west-2', '--repo', 'https://github.com/acme/platform.git']).status).toBe(0);
      writeLookups(dir, name, 'us-west-2');
    }
    const index = readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8');
    expect(index).toContain("import cluster_class from './class';");
    expect(index).toContain(
      "'class': cluster_class, 'default': cluster_default, 'constructor': cluster_constructor, 'new-1': new1, '9lives': cluster_9lives };",
    );
    const synth = eksai(['synth', '--cwd', dir]);
    expect(synth.stderr).toBe('');
    expect(synth.stdout).toMatch(/^synthesized 8 clusters \(9lives, class, constructor, default, dev, new-1, prod, staging\)/);
    expect(existsSync(join(dir, 'dist', 'constructor', 'root', 'Application.root.yaml'))).toBe(true);
    expect(registryIdentifier('research-eu')).toBe('researchEu');
  });

  test('fails when the cluster exists or the name is not a DNS label', () => {
    const dir = repoCopy();
    expect(newCluster(dir, ['--name', 'dev', '--region', 'us-west-2', '--repo', 'https://x/y.git'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('clusters/dev.ts already exists'),
    });
    for (const name of ['Bad_Name', '__proto__', '../escape', 'a'.repeat(64), '']) {
      const r = newCluster(dir, ['--name', name, '--region', 'us-west-2', '--repo', 'https://x/y.git']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--name ${JSON.stringify(name)} must be a DNS-1123 label`);
    }
  });

  test('fails when --repo is not an https or ssh git URL, before writing anything', () => {
    const dir = repoCopy();
    const before = readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8');
    const r = newCluster(dir, ['--name', 'eu', '--region', 'eu-west-1', '--repo', 'not-a-url']);
    expect(r).toMatchObject({ status: 2, stdout: '' });
    expect(r.stderr).toBe(
      'eksai new-cluster: 1 invalid flag; nothing was written\n  --repo "not-a-url" must be an https or ssh git URL: use the URL Argo CD clones, e.g. \'https://github.com/acme/platform.git\'\n',
    );
    expect(existsSync(join(dir, 'clusters', 'eu.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8')).toBe(before);
  });

  test('fails when --region, --environment, --team or --ami is not what synth accepts, listing every bad flag', () => {
    const dir = repoCopy();
    const shape = newCluster(dir, ['--name', 'eu', '--region', 'eu-west-1', '--repo', 'https://x/y.git', '--environment', 'qa', '--team', 'Data_Sci']);
    expect(shape).toMatchObject({
      status: 2,
      stderr:
        'eksai new-cluster: 2 invalid flags; nothing was written\n  --environment "qa" must be one of "dev", "staging", "prod"\n  --team "Data_Sci" must be a DNS-1123 label (lowercase letters, digits, "-")\n',
    });
    // A bad team name does not hide the rules' findings on the other flags.
    const r = newCluster(dir, [
      '--name',
      'eu',
      '--region',
      'eu-wset-1',
      '--repo',
      'https://x/y.git',
      '--environment',
      'prod',
      '--team',
      'Data_Sci',
      '--team',
      'kube-system',
      '--ami',
      'al2023@latest',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('4 invalid flags; nothing was written');
    expect(r.stderr).toContain(`--region "eu-wset-1" is not an AWS region with EKS: did you mean 'eu-west-1'?`);
    expect(r.stderr).toContain('--team "Data_Sci" must be a DNS-1123 label');
    expect(r.stderr).toContain('--team "kube-system" is a system or platform namespace');
    expect(r.stderr).toContain('--ami "al2023@latest" uses @latest');
    expect(existsSync(join(dir, 'clusters', 'eu.ts'))).toBe(false);
  });

  // Code in a flag: the attack of issue 12 and its variants. Each is rejected and nothing is written.
  const PAYLOADS = [
    "https://x.git', targetRevision: (require('fs').writeFileSync('/tmp/eksai-pwned', 'x'), 'main') }, karpenter: {} }); //",
    "https://x/y.git'+require('child_process').execSync('id')+'",
    'https://x/y.git"+process.exit(3)+"',
    'https://x/y`${process.exit(3)}`.git',
    'https://x/y.git\n}); process.exit(3); ({',
    'https://x/y.git*/ process.exit(3) /*',
    'https://x/y.git\u2028process.exit(3)',
    'https://x/y.git\u2029process.exit(3)',
    'https://admin:hunter2@github.com/acme/x.git',
  ];
  test.each(PAYLOADS.map((p) => [JSON.stringify(p), p]))('fails when --repo carries code: %s', (_, payload) => {
    const dir = repoCopy();
    const before = readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8');
    const r = newCluster(dir, ['--name', 'evil', '--region', 'us-west-2', '--repo', payload]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--repo ${JSON.stringify(payload).slice(0, 20)}`);
    expect(r.stderr).toContain('must be an https or ssh git URL');
    expect(existsSync(join(dir, 'clusters', 'evil.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8')).toBe(before);
  });

  test.each([
    ['--region', "us-west-2', x: require('fs')"],
    ['--team', "a'b"],
    ['--ami', "al2023@v20251117'}]}}); process.exit(3); //"],
    ['--name', "x'; process.exit(3); '"],
    ['--environment', "dev' + process.exit(3) + '"],
  ])('fails when %s carries code', (flag, payload) => {
    const dir = repoCopy();
    const flags: Record<string, string> = { '--name': 'evil', '--region': 'us-west-2', '--repo': 'https://x/y.git', [flag]: payload };
    const r = newCluster(dir, Object.entries(flags).flat());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${flag} ${JSON.stringify(payload)}`);
    expect(existsSync(join(dir, 'clusters', 'evil.ts'))).toBe(false);
  });

  test('property: any flag values are rejected with a usage error, or give files that load to exactly those values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksai-new-'));
    dirs.push(dir);
    const nasty = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom("'", '"', '`${process.exit(9)}`', '*/', '\u2028', '\n', 'class', '__proto__', 'constructor'),
    );
    // Mostly valid values, so that a good share of runs writes files (about a fifth have every flag valid).
    const flag = (valid: readonly string[]) =>
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...valid) },
        nasty,
        fc.tuple(fc.constantFrom(...valid), nasty).map(([a, b]) => a + b),
      );
    let written = 0;
    fc.assert(
      fc.property(
        fc.record({
          name: flag(['east', 'class', 'default', 'new-1']),
          region: flag(['us-east-1', 'eu-west-1']),
          repoURL: flag(['https://github.com/acme/p.git', 'git@github.com:acme/p.git']),
          environment: flag(['dev', 'prod']),
          teams: fc.array(flag(['research', 'ml']), { maxLength: 2 }),
          amiAlias: flag(['al2023@v20251117']),
        }),
        (o) => {
          rmSync(join(dir, 'clusters'), { recursive: true, force: true });
          mkdirSync(join(dir, 'clusters'));
          writeFileSync(join(dir, 'clusters', 'index.ts'), 'export const clusters = {};\n');
          try {
            newClusterInProcess({ ...o, cwd: dir });
          } catch (err) {
            expect(err).toBeInstanceOf(UsageError);
            expect(readdirSync(join(dir, 'clusters'))).toEqual(['index.ts']);
            return;
          }
          written++;
          const load = (file: string, modules: Record<string, unknown>) => {
            const mod = { exports: {} as Record<string, unknown> };
            const code = transformSync(readFileSync(join(dir, 'clusters', file), 'utf8'), { loader: 'ts', format: 'cjs' }).code;
            // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the generated cluster file as CommonJS with a stub require, which is what it tests
            new Function('require', 'module', 'exports', code)((id: string) => modules[id] ?? expect.unreachable(`required ${id}`), mod, mod.exports);
            return mod.exports;
          };
          const config = load(`${o.name}.ts`, { '../lib/config/schema': schema }).default as Record<string, unknown>;
          expect(config).toMatchObject({ name: o.name, region: o.region, environment: o.environment, gitops: { repoURL: o.repoURL } });
          const registry = load('index.ts', { [`./${o.name}`]: { __esModule: true, default: config } }).clusters as Record<string, unknown>;
          expect(Object.keys(registry)).toEqual([o.name]);
          expect(registry[o.name]).toBe(config);
        },
      ),
      { numRuns: 300 },
    );
    expect(written).toBeGreaterThan(10);
  });

  test('the template writes hostile strings inertly: loading the file yields exactly them and runs nothing', () => {
    const hostile = [
      "a'b",
      'a"b',
      'a`${globalThis.__pwned = 1}`b',
      'a\n}); globalThis.__pwned = 1; ({',
      'a*/ globalThis.__pwned = 1 /*',
      'a\u2028globalThis.__pwned = 1',
      'a\u2029b',
      '</script>\\',
      'ü—☃',
    ];
    for (const s of hostile) {
      const code = transformSync(clusterTemplate({ cwd: '/', name: 'x', environment: s, region: s, repoURL: s, teams: [s], amiAlias: s }), {
        loader: 'ts',
        format: 'cjs',
      }).code;
      const required: string[] = [];
      const mod = { exports: {} as { default?: Record<string, unknown> } };
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the generated cluster file as CommonJS to record what it requires
      new Function('require', 'module', 'exports', code)((id: string) => (required.push(id), schema), mod, mod.exports);
      expect(required).toEqual(['../lib/config/schema']);
      expect((globalThis as { __pwned?: number }).__pwned).toBeUndefined();
      const d = mod.exports.default!;
      expect([
        d.environment,
        d.region,
        (d.gitops as { repoURL: string }).repoURL,
        (d.teams as { name: string }[])[0]!.name,
        (d.karpenter as { nodeClasses: { amiAlias: string }[] }).nodeClasses[0]!.amiAlias,
      ]).toEqual([s, s, s, s, s]);
    }
  });
});
