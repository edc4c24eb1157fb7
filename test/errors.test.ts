import { describe, expect, it } from 'vitest';
import { loadCluster } from '../charts/checks';
import { formatProblem } from '../lib/errors';
import { lookupsFor, minimalInput, REPO } from './helpers';

/** Every formatted problem of loading `input` as clusters/minimal.ts. */
function messages(patch: Record<string, unknown>): string[] {
  const input = minimalInput({ environment: 'staging', teams: [{ name: 'research' }], ...patch });
  const r = loadCluster({ name: 'minimal', file: 'clusters/minimal.ts', input, lookups: lookupsFor('minimal', 'us-west-2', input) }, REPO);
  return 'errors' in r ? r.errors.map(formatProblem) : [];
}

describe('error messages never echo a secret value', () => {
  const github = (clientId: unknown, clientSecret: unknown) => ({
    jupyterhub: { auth: { kind: 'github', clientId, clientSecret, allowedOrganizations: ['acme'] } },
  });

  it.each([
    ['a literal OAuth client secret', github({ secretName: 'oauth', key: 'id' }, 'hunter2-the-secret'), 'jupyterhub.auth.clientSecret', 'hunter2-the-secret'],
    ['a client secret given as a number', github({ secretName: 'oauth', key: 'id' }, 31337313373133), 'jupyterhub.auth.clientSecret', '31337313373133'],
    ['a repo URL with a password', { gitops: { repoURL: 'https://bot:s3cr3t-pw@github.com/acme/x.git' } }, 'gitops.repoURL', 's3cr3t-pw'],
    [
      'a GitHub token in a tag value',
      { tags: { owner: 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n' } },
      'tags',
      'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
    ],
    [
      'a private key in a label',
      {
        karpenter: {
          nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }],
          nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 }, labels: { k: '-----BEGIN RSA PRIVATE KEY-----\nMIIB' } }],
        },
      },
      'labels',
      'MIIB',
    ],
  ])('fails without printing the value when the config has %s', (_, patch, path, secret) => {
    const found = messages(patch);
    const line = found.find((m) => m.includes(path));
    expect(line, found.join('\n')).toBeDefined();
    expect(line).toContain('not shown: it may be a secret');
    for (const m of found) expect(m).not.toContain(secret);
  });

  it('still shows values that are not secrets', () => {
    expect(messages({ region: 'us-wset-2' }).join('\n')).toContain('(got "us-wset-2")');
    expect(messages(github('plain-client-id', { secretName: 'oauth', key: 'secret' })).join('\n')).toContain(
      'jupyterhub.auth.clientId must be a Secret reference { secretName, key } (never the value itself) (got "plain-client-id")',
    );
  });
});
