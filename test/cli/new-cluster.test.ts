import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { eksai, REPO } from '../helpers';

/** A copy of the repo's clusters/ and lib/ so the template's import resolves. */
function repoCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-new-'));
  cpSync(join(REPO, 'clusters'), join(dir, 'clusters'), { recursive: true });
  cpSync(join(REPO, 'lib'), join(dir, 'lib'), { recursive: true });
  cpSync(join(REPO, 'charts'), join(dir, 'charts'), { recursive: true });
  cpSync(join(REPO, 'apps'), join(dir, 'apps'), { recursive: true });
  cpSync(join(REPO, 'imports'), join(dir, 'imports'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('eksai new-cluster', () => {
  test('writes a cluster file that synthesizes once its lookups exist', () => {
    const dir = repoCopy();
    const r = eksai(['new-cluster', '--cwd', dir, '--name', 'research-eu', '--region', 'eu-west-1', '--repo', 'https://github.com/acme/ai-platform.git']);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringContaining('wrote clusters/research-eu.ts, clusters/index.ts') });
    expect(readFileSync(join(dir, 'clusters', 'index.ts'), 'utf8')).toContain("import researchEu from './research-eu';");
    const missing = eksai(['synth', '--cwd', dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('clusters/research-eu.lookups.json does not exist: run `eksai lookup --cluster research-eu`');
    writeFileSync(join(dir, 'clusters', 'research-eu.lookups.json'), JSON.stringify({ amis: { 'al2023@v20260714': { kubernetesVersion: '1.35', images: { 'amd64/nvidia': 'ami-0123456789abcdef1', 'amd64/standard': 'ami-0123456789abcdef2' } } }, parameters: { 'cluster/endpoint': 'https://abc.gr7.eu-west-1.eks.amazonaws.com', 'karpenter/interruption-queue-name': 'q', 'karpenter/node-role-name': 'r', 'network/vpc-id': 'vpc-0123456789abcdef0' }, prefix: '/eksai/research-eu/', region: 'eu-west-1' }));
    expect(eksai(['synth', '--cwd', dir, '--cluster', 'research-eu']).status).toBe(0);
  });

  test('fails when the cluster exists or the name is invalid', () => {
    const dir = repoCopy();
    expect(eksai(['new-cluster', '--cwd', dir, '--name', 'dev', '--region', 'us-west-2', '--repo', 'https://x/y.git'])).toMatchObject({ status: 2, stderr: expect.stringContaining('clusters/dev.ts already exists') });
    expect(eksai(['new-cluster', '--cwd', dir, '--name', 'Bad_Name', '--region', 'us-west-2', '--repo', 'https://x/y.git']).stderr).toContain('--name must be a DNS-1123 label');
  });
});
