import { afterAll, describe, expect, it } from 'vitest';
import { diffRevisions, renderDiff, type DiffFormat } from '../../../pipeline/diff';
import { isSecretKey, scrubMessage } from '../../../pipeline/diff/secrets';
import { tempRepo, type Tree } from './helpers';

const repos: { cleanup: () => void }[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const FORMATS: readonly DiffFormat[] = ['text', 'markdown', 'json'];

/** Diffs base → head in a throwaway repo and returns the result and its three renderings. */
async function outputs(base: Tree, head: Tree) {
  const repo = tempRepo();
  repos.push(repo);
  const a = repo.commit(base);
  const b = repo.commit(head);
  const result = await diffRevisions({ cwd: repo.dir, base: a, head: b });
  return { result, rendered: FORMATS.map((f) => [f, renderDiff(result, f)] as const) };
}

/** Asserts no secret appears in any format, and each hidden path is reported as a hidden change. */
async function expectMasked(base: Tree, head: Tree, secrets: readonly string[], hiddenPaths: readonly string[]) {
  const { result, rendered } = await outputs(base, head);
  for (const [format, text] of rendered) for (const s of secrets) expect(text, `${format} output leaks ${s}`).not.toContain(s);
  const hidden = result.changes.flatMap((c) => c.fields.filter((f) => f.hidden).map((f) => f.path));
  for (const p of hiddenPaths) expect(hidden).toContain(p);
  const [, text] = rendered[0]!;
  for (const p of hiddenPaths) expect(text).toContain(`${p}: (changed, value hidden)`);
  return result;
}

const secret = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ml', ...extra },
  type: 'Opaque',
  data,
});

describe('diff masks secrets (issue 12 item 5)', () => {
  it('fails when a Secret inside a kind: List is printed', async () => {
    const list = (pw: string, token: string) => ({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ml' }, data: { a: '1' } },
        secret('db', { password: pw }, {}),
        { ...secret('tok', {}), stringData: { token } },
      ],
    });
    const result = await expectMasked(
      { 'dist/dev/ml/List.yaml': list('b2xkLXB3', 'tok-old-1') },
      { 'dist/dev/ml/List.yaml': list('bmV3LXB3', 'tok-new-2') },
      ['b2xkLXB3', 'bmV3LXB3', 'tok-old-1', 'tok-new-2'],
      ['data.password', 'stringData.token'],
    );
    expect(result.changes.map((c) => `${c.resourceKind}/${c.name}`)).toEqual(['Secret/db', 'Secret/tok']);
  });

  it('fails when the last-applied-configuration annotation of a Secret prints its data', async () => {
    const lastApplied = (pw: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ml' }, data: { password: pw } });
    const withAnnotation = (pw: string) =>
      secret('db', { password: pw }, { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(pw) } });
    await expectMasked(
      { 'dist/dev/ml/Secret.db.yaml': withAnnotation('c2VjcmV0LW9sZA==') },
      { 'dist/dev/ml/Secret.db.yaml': withAnnotation('c2VjcmV0LW5ldw==') },
      ['c2VjcmV0LW9sZA==', 'c2VjcmV0LW5ldw=='],
      ['data.password', 'metadata.annotations.kubectl.kubernetes.io/last-applied-configuration.data.password'],
    );
  });

  it('fails when a serialized Secret that is not valid JSON, or one inside another kind, is printed', async () => {
    const cm = (note: string, applied: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ml', annotations: { note, 'kubectl.kubernetes.io/last-applied-configuration': applied } },
      data: { a: '1' },
    });
    const broken = (pw: string) => `{"apiVersion":"v1","kind":"Secret","data":{"password":"${pw}"}`;
    const embedded = (pw: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { password: pw } });
    await expectMasked(
      { 'dist/dev/ml/ConfigMap.c.yaml': cm(broken('AAAA-old'), embedded('BBBB-old')) },
      { 'dist/dev/ml/ConfigMap.c.yaml': cm(broken('AAAA-new'), embedded('BBBB-new')) },
      ['AAAA-old', 'AAAA-new', 'BBBB-old', 'BBBB-new'],
      ['metadata.annotations.note', 'metadata.annotations.kubectl.kubernetes.io/last-applied-configuration.stringData.password'],
    );
  });

  it('fails when Helm values of an Application print a secret (valuesObject, values string, parameters, extraEnv, an embedded Secret)', async () => {
    const app = (v: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'jupyterhub', namespace: 'argocd' },
      spec: {
        project: 'platform',
        sources: [
          {
            chart: 'jupyterhub',
            repoURL: 'https://hub.jupyter.org/helm-chart/',
            targetRevision: '4.4.0',
            helm: {
              parameters: [
                { name: 'hub.db.password', value: `param-${v}` },
                { name: 'replicas', value: '2' },
              ],
              valuesObject: {
                hub: {
                  config: { GenericOAuthenticator: { client_secret: `oauth-${v}`, client_id: 'visible-id' } },
                  cookieSecret: `cookie-${v}`,
                  extraEnv: {
                    DB_PASSWORD: `env-${v}`,
                    OAUTH_CLIENT_SECRET: { name: 'OAUTH_CLIENT_SECRET', valueFrom: { secretKeyRef: { key: 'client-secret', name: `ref-${v}` } } },
                  },
                },
                proxy: { secretToken: `proxy-${v}` },
                singleuser: { extraEnv: [{ name: 'OPENAI_API_KEY', value: `sk-${v}` }], tokens: [`t1-${v}`, `t2-${v}`] },
                extraObjects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${v}` }, stringData: { password: `embedded-${v}` } }],
              },
            },
          },
          { repoURL: 'https://example.com/x.git', path: 'dist/dev/jupyterhub', targetRevision: 'main', helm: { values: `auth:\n  password: values-${v}\n` } },
        ],
      },
    });
    const result = await expectMasked(
      { 'dist/dev/apps/Application.jupyterhub.yaml': app('OLD') },
      { 'dist/dev/apps/Application.jupyterhub.yaml': app('NEW') },
      ['param-', 'oauth-', 'cookie-', 'env-', 'proxy-', 'sk-', 't1-', 'embedded-', 'values-'],
      [
        'spec.sources[0].helm.parameters[name=hub.db.password].value',
        'spec.sources[0].helm.valuesObject.hub.config.GenericOAuthenticator.client_secret',
        'spec.sources[0].helm.valuesObject.hub.cookieSecret',
        'spec.sources[0].helm.valuesObject.hub.extraEnv.DB_PASSWORD',
        'spec.sources[0].helm.valuesObject.proxy.secretToken',
        'spec.sources[0].helm.valuesObject.singleuser.extraEnv[name=OPENAI_API_KEY].value',
        'spec.sources[0].helm.valuesObject.singleuser.tokens',
        'spec.sources[1].helm.values.auth.password',
        'spec.sources[0].helm.valuesObject.extraObjects[0].stringData.password',
      ],
    );
    // References are names, not secrets: they stay visible.
    const fields = result.changes[0]!.fields;
    expect(fields).toContainEqual({
      path: 'spec.sources[0].helm.valuesObject.hub.extraEnv.OAUTH_CLIENT_SECRET.valueFrom.secretKeyRef.name',
      old: 'ref-OLD',
      new: 'ref-NEW',
    });
  });

  it('fails when a removed or added list item shown whole carries a secret, or a literal secret sits in env, args, a URL or a PEM', async () => {
    const deploy = (v: string, extraEnv: boolean) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'ml' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: {
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 1, podAffinityTerm: { topologyKey: v === 'OLD' ? 'kubernetes.io/hostname' : 'topology.kubernetes.io/zone' } },
                ],
              },
            },
            containers: [
              {
                name: 'api',
                image: 'api:1',
                args: [`--token=arg-${v}`, '--verbose'],
                env: [
                  { name: 'DB_URL', value: `postgres://app:url-${v}@db:5432/app` },
                  { name: 'LEVEL', value: v === 'OLD' ? 'info' : 'debug' },
                  ...(extraEnv ? [{ name: 'API_TOKEN', value: `removed-${v}` }] : []),
                ],
              },
            ],
          },
        },
      },
    });
    const cm = (v: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tls', namespace: 'ml' },
      data: {
        'server.pem': `-----BEGIN RSA PRIVATE KEY-----\npem-${v}\n-----END RSA PRIVATE KEY-----\n`,
        'app.conf': `[db]\nuser = app\npassword = conf-${v}\n`,
      },
    });
    const result = await expectMasked(
      { 'dist/dev/ml/Deployment.api.yaml': deploy('OLD', true), 'dist/dev/ml/ConfigMap.tls.yaml': cm('OLD') },
      { 'dist/dev/ml/Deployment.api.yaml': deploy('NEW', false), 'dist/dev/ml/ConfigMap.tls.yaml': cm('NEW') },
      ['arg-', 'url-', 'removed-', 'pem-', 'conf-'],
      ['data.app.conf', 'data.server.pem', 'spec.template.spec.containers[name=api].env[name=DB_URL].value', 'spec.template.spec.containers[name=api].args'],
    );
    const fields = result.changes.flatMap((c) => c.fields);
    // The removed env entry is one removal, shown whole with its value redacted; non-secrets stay visible.
    expect(fields).toContainEqual({ path: 'spec.template.spec.containers[name=api].env[name=API_TOKEN]', old: { name: 'API_TOKEN', value: '(hidden)' } });
    expect(fields).toContainEqual({ path: 'spec.template.spec.containers[name=api].env[name=LEVEL].value', old: 'info', new: 'debug' });
    expect(fields).toContainEqual(expect.objectContaining({ path: expect.stringMatching(/podAffinityTerm\.topologyKey$/), old: 'kubernetes.io/hostname' }));
  });

  it('fails when a key that names a secret is not masked, or a reference or selector is', () => {
    for (const k of [
      'password',
      'clientSecret',
      'client_secret',
      'apiToken',
      'AWS_SECRET_ACCESS_KEY',
      'tls.key',
      'privateKey',
      'apiKey',
      '.dockerconfigjson',
      'cookieSecret',
      'auth_token',
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of [
      'key',
      'topologyKey',
      'secretName',
      'secretKeyRef',
      'existingSecret',
      'passwordFile',
      'tokenPath',
      'token_url',
      'auth_state_groups_key',
      'name',
      'bypass',
    ])
      expect(isSecretKey(k), k).toBe(false);
  });

  it('fails when a tool message (helm failing on a value) echoes a secret from the values it was given', () => {
    const app = {
      spec: { source: { helm: { valuesObject: { hub: { db: { password: 'hunter2-db' } }, proxy: { secretToken: 'tok-9f8e7d' }, replicas: 2 } } } },
    };
    expect(
      scrubMessage('helm template failed: execution error at (jupyterhub/templates/hub.yaml:3:4): bad password hunter2-db for token tok-9f8e7d, replicas 2', [
        app,
      ]),
    ).toBe('helm template failed: execution error at (jupyterhub/templates/hub.yaml:3:4): bad password (hidden) for token (hidden), replicas 2');
    expect(scrubMessage('chart failed: password=s3cr3t-unknown rejected', [app])).toBe('chart failed: (message withheld: it may hold a secret value)');
  });
});
