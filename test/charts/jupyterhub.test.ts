import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, test } from 'vitest';
import { clusters } from '../../clusters';
import { jupyterhub, jupyterhubValues, notebookProfiles } from '../../charts/jupyterhub';
import { CHARTS } from '../../charts/versions';
import { loadCluster } from '../../charts/checks';
import { placement, poolShape } from '../../lib/placement';
import { VALUES_SCHEMA_URLS } from '../../lib/schemas/pins';
import { schemaPath } from '../../lib/schemas/resolve';
import { chartObjects, find, loadOk, minimalInput, REPO } from '../helpers';

process.env.EKSAI_SCHEMA_MIRROR ??= '../shared/schemas';

const TEAMS = [{ name: 'research' }, { name: 'ml-eng' }];
const GITHUB = {
  kind: 'github',
  clientId: { secretName: 'jupyterhub-oauth', key: 'client-id' },
  clientSecret: { secretName: 'jupyterhub-oauth', key: 'client-secret' },
  allowedOrganizations: ['acme'],
};
const COGNITO = {
  kind: 'cognito',
  domain: 'acme.auth.us-west-2.amazoncognito.com',
  clientId: { secretName: 'jupyterhub-cognito', key: 'id' },
  clientSecret: { secretName: 'jupyterhub-cognito', key: 'secret' },
  allowedGroups: ['research'],
};
const GENERIC = {
  kind: 'generic-oauth',
  clientId: { secretName: 'jupyterhub-oidc', key: 'id' },
  clientSecret: { secretName: 'jupyterhub-oidc', key: 'secret' },
  authorizeUrl: 'https://sso.acme.com/auth',
  tokenUrl: 'https://sso.acme.com/token',
  userdataUrl: 'https://sso.acme.com/userinfo',
  allowedGroups: ['ml'],
};
const INGRESS = { host: 'notebooks.acme.com', certificateArn: 'arn:aws:acm:us-west-2:111122223333:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' };

const hubCluster = (jupyterhubPatch: Record<string, unknown> = {}, patch: Record<string, unknown> = {}) =>
  loadOk(minimalInput({ teams: TEAMS, jupyterhub: jupyterhubPatch, ...patch }));

type Values = any;

/** Every key of a nested value, depth first. */
function keys(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(keys);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]);
  return [];
}

describe('jupyterhub component', () => {
  test('values of the examples and of every auth kind validate against the mirrored z2jh 4.4.0 values schema', async () => {
    const schema = parseYaml(readFileSync(await schemaPath(VALUES_SCHEMA_URLS.jupyterhub, { cwd: REPO }), 'utf8')) as object;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    // Helm validates values merged with the chart's defaults; required keys come from those defaults.
    const check = (name: string, values: unknown) => {
      const ok = validate(values);
      const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'required');
      expect(ok || errors.length === 0, `${name}: ${JSON.stringify(errors)}`).toBe(true);
    };
    for (const [name, input] of Object.entries(clusters)) {
      const result = loadCluster({ name, file: `clusters/${name}.ts`, input }, REPO);
      if (!('config' in result)) throw new Error(`example ${name} does not load`);
      expect(result.config.jupyterhub.enabled, name).toBe(true);
      check(name, jupyterhub.helm!(result.config).values);
    }
    for (const auth of [GITHUB, COGNITO, GENERIC]) check(auth.kind, jupyterhubValues(hubCluster({ auth, ingress: INGRESS }, { environment: 'prod' })));
    check(
      'no gpu pool, no teams',
      jupyterhubValues(
        loadOk(
          minimalInput({
            jupyterhub: { enabled: true },
            karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] },
          }),
        ),
      ),
    );
    // The schema is strict: a misplaced key fails (not only for the required keys the chart defaults provide).
    validate({ singleuser: { profile_list: [] } });
    expect((validate.errors ?? []).filter((e) => e.keyword !== 'required').map((e) => e.params)).toContainEqual({ additionalProperty: 'profile_list' });
  });

  test('one CPU small/large pair always, a GPU profile only with a gpu pool, every setting under kubespawner_override', () => {
    const withGpu = hubCluster();
    expect(notebookProfiles(withGpu).map((p) => p.slug)).toEqual(['cpu-small', 'cpu-large', 'gpu']);
    const cpuOnly = loadOk(
      minimalInput({
        teams: TEAMS,
        karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] },
      }),
    );
    expect(notebookProfiles(cpuOnly).map((p) => p.slug)).toEqual(['cpu-small', 'cpu-large']);

    const list = (jupyterhubValues(withGpu) as Values).singleuser.profileList as Record<string, unknown>[];
    for (const profile of list) expect(Object.keys(profile).sort()).toEqual(expect.arrayContaining(['display_name', 'kubespawner_override', 'slug']));
    for (const profile of list)
      expect(Object.keys(profile).filter((k) => !['display_name', 'slug', 'default', 'kubespawner_override', 'profile_options'].includes(k))).toEqual([]);
    expect(list[0]).toMatchObject({
      slug: 'cpu-small',
      default: true,
      kubespawner_override: {
        node_selector: { 'eksai.io/pool-kind': 'cpu', 'karpenter.sh/capacity-type': 'on-demand' },
        cpu_guarantee: 1,
        cpu_limit: 2,
        mem_guarantee: '4G',
        mem_limit: '8G',
        image: 'ghcr.io/acme/eksai-notebook:2.56.0-py311',
      },
    });
  });

  test('the GPU profile tolerates the GPU taint, requests one GPU, uses the GPU image and fits only the gpu pool', () => {
    const cluster = hubCluster();
    const gpu = notebookProfiles(cluster).find((p) => p.slug === 'gpu')!;
    expect(gpu.override).toMatchObject({
      node_selector: { 'eksai.io/pool-kind': 'gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      extra_resource_limits: { 'nvidia.com/gpu': '1' },
      image: 'ghcr.io/acme/eksai-notebook:2.56.0-py311-gpu',
    });
    // The placement the rule checks is the one the chart renders.
    expect(gpu.placement).toEqual({ nodeSelector: gpu.override.node_selector, tolerations: gpu.override.tolerations, gpus: 1 });
    expect(placement(gpu.placement, cluster.karpenter.nodePools.map(poolShape)).fits).toEqual(['gpu']);
    const small = notebookProfiles(cluster)[0]!;
    expect(placement(small.placement, cluster.karpenter.nodePools.map(poolShape)).fits).toEqual(['general']);

    // Image pins from the cluster file reach every profile and the chart's default image.
    const pinned = hubCluster({ image: 'acme/notebook:2026-01-05', gpuImage: 'registry.acme.com:5000/gpu-notebook:2026-01-05' });
    expect(notebookProfiles(pinned).map((p) => p.override.image)).toEqual([
      'acme/notebook:2026-01-05',
      'acme/notebook:2026-01-05',
      'registry.acme.com:5000/gpu-notebook:2026-01-05',
    ]);
    expect((jupyterhubValues(pinned) as Values).singleuser.image).toEqual({ name: 'acme/notebook', tag: '2026-01-05' });
  });

  test("each team choice sets RAY_ADDRESS to the team's Ray head (the team contract), on every profile", () => {
    const cluster = hubCluster();
    const list = (jupyterhubValues(cluster) as Values).singleuser.profileList as Values[];
    for (const profile of list) {
      const choices = profile.profile_options.team.choices;
      expect(Object.keys(choices)).toEqual(cluster.teams.map((t) => t.name));
      for (const team of cluster.teams) {
        expect(choices[team.name].kubespawner_override.environment).toEqual({ RAY_ADDRESS: team.ray.clientAddress, EKSAI_TEAM: team.name });
      }
    }
    expect(list[0].profile_options.team.choices.research.kubespawner_override.environment.RAY_ADDRESS).toBe('ray://ray-head.research.svc:10001');
    expect(list[0].profile_options.team.choices.research.default).toBe(true);
  });

  test("notebooks may egress to every team's Ray head on 10001 and 8265, nowhere else private", () => {
    const singleuser = (jupyterhubValues(hubCluster()) as Values).singleuser;
    expect(singleuser.networkPolicy).toMatchObject({ enabled: true, egressAllowRules: { privateIPs: false, cloudMetadataServer: false } });
    expect(singleuser.networkPolicy.egress).toEqual(
      ['research', 'ml-eng'].map((ns) => ({
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            podSelector: { matchLabels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'head' } },
          },
        ],
        ports: [
          { protocol: 'TCP', port: 10001 },
          { protocol: 'TCP', port: 8265 },
        ],
      })),
    );
  });

  test('hub, proxy and user-scheduler on the core node group; notebooks non-root, do-not-disrupt, gp3 home, culled', () => {
    const values = jupyterhubValues(hubCluster({ idleTimeout: '30m', storage: '25Gi' })) as Values;
    const core = { nodeSelector: { 'eksai.io/node-group': 'core' }, tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] };
    expect(values.hub).toMatchObject(core);
    expect(values.proxy).toMatchObject({ chp: core, service: { type: 'ClusterIP' } });
    expect(values.scheduling).toMatchObject({ userScheduler: { enabled: false }, userPlaceholder: { enabled: false } });
    expect(values.singleuser).toMatchObject({
      uid: 1000,
      fsGid: 100,
      extraAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      storage: { type: 'dynamic', capacity: '25Gi', dynamic: { storageClass: 'gp3' } },
      cloudMetadata: { blockWithIptables: false },
    });
    expect(values.hub.config.KubeSpawner.container_security_context).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(values.cull).toMatchObject({ enabled: true, timeout: 1800 });
  });

  test('OAuth client id and secret only as secretKeyRef env vars: no literal secret anywhere in the values', () => {
    for (const auth of [GITHUB, COGNITO, GENERIC]) {
      const values = jupyterhubValues(hubCluster({ auth }, { environment: 'prod' })) as Values;
      expect(values.hub.extraEnv).toEqual({
        OAUTH_CLIENT_ID: { name: 'OAUTH_CLIENT_ID', valueFrom: { secretKeyRef: { name: auth.clientId.secretName, key: auth.clientId.key } } },
        OAUTH_CLIENT_SECRET: { name: 'OAUTH_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: auth.clientSecret.secretName, key: auth.clientSecret.key } } },
      });
      const all = keys(values);
      for (const forbidden of ['client_id', 'client_secret', 'cookie_secret', 'secretToken', 'password', 'value'])
        expect(all, `${auth.kind}: ${forbidden}`).not.toContain(forbidden);
    }
  });

  test('auth becomes hub.config: GitHub orgs with read:org, Cognito through the ID token groups, dummy only allow_all', () => {
    const github = (jupyterhubValues(hubCluster({ auth: { ...GITHUB, adminUsers: ['alice'] }, ingress: INGRESS }, { environment: 'prod' })) as Values).hub
      .config;
    expect(github).toMatchObject({
      JupyterHub: { authenticator_class: 'github' },
      Authenticator: { admin_users: ['alice'] },
      GitHubOAuthenticator: { allowed_organizations: ['acme'], scope: ['read:org'], oauth_callback_url: 'https://notebooks.acme.com/hub/oauth_callback' },
    });
    const cognito = (jupyterhubValues(hubCluster({ auth: COGNITO }, { environment: 'prod' })) as Values).hub.config;
    expect(cognito).toMatchObject({
      JupyterHub: { authenticator_class: 'generic-oauth' },
      GenericOAuthenticator: {
        authorize_url: 'https://acme.auth.us-west-2.amazoncognito.com/oauth2/authorize',
        token_url: 'https://acme.auth.us-west-2.amazoncognito.com/oauth2/token',
        userdata_from_id_token: true,
        allowed_groups: ['research'],
        manage_groups: true,
        auth_state_groups_key: 'oauth_user.cognito:groups',
      },
    });
    expect(cognito.GenericOAuthenticator).not.toHaveProperty('userdata_url');
    expect((jupyterhubValues(hubCluster()) as Values).hub.config).toMatchObject({
      JupyterHub: { authenticator_class: 'dummy' },
      Authenticator: { allow_all: true },
    });
  });

  test('ingress is an ALB through the chart values; without it the hub is ClusterIP only', () => {
    const values = jupyterhubValues(hubCluster({ ingress: { ...INGRESS, scheme: 'internet-facing' } })) as Values;
    expect(values.ingress).toMatchObject({
      enabled: true,
      ingressClassName: 'alb',
      hosts: ['notebooks.acme.com'],
      annotations: {
        'alb.ingress.kubernetes.io/scheme': 'internet-facing',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/certificate-arn': INGRESS.certificateArn,
      },
    });
    expect((jupyterhubValues(hubCluster()) as Values).ingress).toEqual({ enabled: false });
  });

  test("the hub may reach the API server under Cilium (kube-apiserver entity), and Prometheus may scrape the hub's metrics", () => {
    const cluster = hubCluster();
    const policy = find(chartObjects(cluster, 'jupyterhub'), 'CiliumNetworkPolicy', 'hub-kube-apiserver') as Values;
    expect(policy.metadata.namespace).toBe('jupyterhub');
    expect(policy.spec).toEqual({
      endpointSelector: { matchLabels: { app: 'jupyterhub', component: 'hub' } },
      egress: [{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }],
    });
    expect((jupyterhubValues(cluster) as Values).hub).toMatchObject({
      authenticatePrometheus: false,
      networkPolicy: {
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 8081 }] }],
      },
    });
  });

  test('Argo CD keeps the tokens z2jh generates at random on every render instead of rolling the hub', () => {
    const app = find(chartObjects(hubCluster(), 'apps'), 'Application', 'jupyterhub') as Values;
    expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    expect(app.spec.ignoreDifferences).toEqual([
      {
        group: '',
        kind: 'Secret',
        name: 'hub',
        jsonPointers: ['/data/hub.config.ConfigurableHTTPProxy.auth_token', '/data/hub.config.JupyterHub.cookie_secret', '/data/hub.config.CryptKeeper.keys'],
      },
      { group: 'apps', kind: 'Deployment', name: 'hub', jsonPointers: ['/spec/template/metadata/annotations/checksum~1secret'] },
      { group: 'apps', kind: 'Deployment', name: 'proxy', jsonPointers: ['/spec/template/metadata/annotations/checksum~1auth-token'] },
    ]);
    // The user-facing config (Secret key values.yaml) still syncs.
    expect(JSON.stringify(app.spec.ignoreDifferences)).not.toContain('values.yaml');
  });

  test('chart pin, namespace, wave, restricted PSA; on with teams, off without', () => {
    const cluster = hubCluster();
    expect(jupyterhub.helm!(cluster)).toMatchObject({
      repoURL: 'https://hub.jupyter.org/helm-chart/',
      chart: 'jupyterhub',
      version: '4.4.0',
      releaseName: 'jupyterhub',
    });
    expect(CHARTS.jupyterhub.version).toBe('4.4.0');
    expect(jupyterhub).toMatchObject({ namespace: 'jupyterhub', wave: 20, podSecurity: 'restricted' });
    expect(jupyterhub.enabled(cluster)).toBe(true);
    expect(jupyterhub.enabled(loadOk(minimalInput()))).toBe(false);
    expect(jupyterhub.enabled(loadOk(minimalInput({ teams: TEAMS, jupyterhub: { enabled: false } })))).toBe(false);
  });
});
