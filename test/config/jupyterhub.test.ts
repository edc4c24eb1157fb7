import { describe, expect, test } from 'vitest';
import { durationSeconds } from '../../lib/config/normalize';
import { loadErrors, loadOk, minimalInput } from '../helpers';

const TEAMS = [{ name: 'research' }];
const ref = (key: string) => ({ secretName: 'jupyterhub-oauth', key });
const GITHUB = { kind: 'github', clientId: ref('client-id'), clientSecret: ref('client-secret'), allowedOrganizations: ['acme'] };
const CERT = 'arn:aws:acm:us-west-2:111122223333:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const nodePools = (pools: unknown[]) => ({ karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: pools } });

describe('jupyterhub config', () => {
  test('on by default when the cluster has teams, with per-environment defaults; dev defaults to dummy auth', () => {
    expect(loadOk(minimalInput()).jupyterhub.enabled).toBe(false);
    const dev = loadOk(minimalInput({ teams: TEAMS }));
    expect(dev.jupyterhub).toMatchObject({
      enabled: true,
      auth: { kind: 'dummy', adminUsers: [] },
      idleTimeoutSeconds: 3600,
      storage: '10Gi',
      images: { cpu: 'ghcr.io/acme/eksai-notebook:2.56.0-py311', gpu: 'ghcr.io/acme/eksai-notebook:2.56.0-py311-gpu' },
    });
    expect(dev.jupyterhub.ingress).toBeUndefined();
    const prod = loadOk(
      minimalInput({ environment: 'prod', teams: TEAMS, jupyterhub: { auth: GITHUB, ingress: { host: 'nb.acme.com', certificateArn: CERT } } }),
    );
    expect(prod.jupyterhub).toMatchObject({
      idleTimeoutSeconds: 4 * 3600,
      storage: '50Gi',
      auth: { kind: 'github', clientId: ref('client-id'), allowedOrganizations: ['acme'], allowedUsers: [], adminUsers: [] },
      ingress: { host: 'nb.acme.com', scheme: 'internal' },
    });
    // Off by default without Cilium: the notebooks' isolation is Cilium-enforced NetworkPolicy.
    expect(loadOk(minimalInput({ teams: TEAMS, cilium: { enabled: false } })).jupyterhub.enabled).toBe(false);
    expect(durationSeconds('1h30m')).toBe(5400);
  });

  test('fails when dummy auth is used in prod', () => {
    expect(loadErrors(minimalInput({ environment: 'prod', teams: TEAMS, jupyterhub: { auth: { kind: 'dummy' } } }))).toEqual([
      "clusters/minimal.ts: jupyterhub.auth.kind is dummy (anyone logs in with any name) and dummy auth is only allowed in dev, not prod (got \"dummy\"): use a real identity provider, e.g. auth: { kind: 'github', clientId: { secretName: 'jupyterhub-oauth', key: 'client-id' }, clientSecret: { secretName: 'jupyterhub-oauth', key: 'client-secret' }, allowedOrganizations: ['acme'] }",
    ]);
  });

  test('fails when staging has teams (so JupyterHub is on) but no auth', () => {
    expect(loadErrors(minimalInput({ environment: 'staging', teams: TEAMS }))).toEqual([
      "clusters/minimal.ts: jupyterhub.auth is required in staging: JupyterHub is on (the cluster has teams) and only dev defaults to dummy auth: add auth: { kind: 'github', clientId: { secretName: 'jupyterhub-oauth', key: 'client-id' }, clientSecret: { secretName: 'jupyterhub-oauth', key: 'client-secret' }, allowedOrganizations: ['acme'] }, or set jupyterhub.enabled: false",
    ]);
  });

  test('fails when an OAuth client secret is written literally instead of as a Secret reference', () => {
    expect(loadErrors(minimalInput({ teams: TEAMS, jupyterhub: { auth: { ...GITHUB, clientSecret: 'ghs_0123456789abcdef' } } }))).toEqual([
      'clusters/minimal.ts: jupyterhub.auth.clientSecret must be a Secret reference { secretName, key } (never the value itself) (got "ghs_0123456789abcdef")',
    ]);
  });

  test('fails when OAuth auth admits nobody', () => {
    expect(loadErrors(minimalInput({ environment: 'prod', teams: TEAMS, jupyterhub: { auth: { ...GITHUB, allowedOrganizations: [] } } }))).toEqual([
      'clusters/minimal.ts: jupyterhub.auth admits nobody: github auth needs allowedUsers or allowedOrganizations (JupyterHub 5 rejects every login without an allow rule): add allowedUsers or allowedOrganizations',
    ]);
  });

  test('fails when a profile matches no NodePool, naming the profile and every pool with its reasons', () => {
    // Spot-only CPU pool: the CPU profiles ask for on-demand capacity; the gpu pool has GPUs but the wrong kind and taint.
    // (Ray off: its head would fail on the same pool with its own error, tested in teams.test.ts.)
    const input = minimalInput({
      teams: TEAMS.map((t) => ({ ...t, ray: { enabled: false } })),
      ...nodePools([
        { name: 'spot', kind: 'cpu', capacityTypes: ['spot'], limits: { cpu: 100 } },
        { name: 'gpu', kind: 'gpu', limits: { gpu: 2 } },
      ]),
    });
    const errors = loadErrors(input);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(
      'clusters/minimal.ts: jupyterhub notebook profile "cpu-small" fits no NodePool: ' +
        'nodeSelector karpenter.sh/capacity-type=on-demand: pool spot has karpenter.sh/capacity-type in [spot] | ' +
        'nodeSelector eksai.io/pool-kind=cpu: pool gpu has eksai.io/pool-kind in [gpu]; pool gpu taints its nodes nvidia.com/gpu:NoSchedule and the pod does not tolerate it ' +
        '(got {"nodeSelector":{"eksai.io/pool-kind":"cpu","karpenter.sh/capacity-type":"on-demand"},"gpus":0}): ' +
        'add a cpu pool that allows on-demand capacity (the cpu default is spot + on-demand), or set jupyterhub.enabled: false',
    );
    expect(errors[1]).toMatch(/^clusters\/minimal\.ts: jupyterhub notebook profile "cpu-large" fits no NodePool: /);
  });

  test('fails when the GPU profile fits no pool (a spot-only gpu pool)', () => {
    const errors = loadErrors(
      minimalInput({
        teams: TEAMS,
        ...nodePools([
          { name: 'general', kind: 'cpu', limits: { cpu: 10 } },
          { name: 'gpu', kind: 'gpu', capacityTypes: ['spot'], limits: { gpu: 2 } },
        ]),
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('jupyterhub notebook profile "gpu" fits no NodePool: ');
    expect(errors[0]).toContain('the pod requests nvidia.com/gpu: 1 and pool general has no GPU instance types');
    expect(errors[0]).toContain('nodeSelector karpenter.sh/capacity-type=on-demand: pool gpu has karpenter.sh/capacity-type in [spot]');
  });

  test('fails when the ingress has no load balancer controller, or the hub is forced on without Cilium', () => {
    expect(
      loadErrors(minimalInput({ teams: TEAMS, loadBalancer: { enabled: false }, jupyterhub: { ingress: { host: 'nb.acme.com', certificateArn: CERT } } })),
    ).toEqual([
      'clusters/minimal.ts: jupyterhub.ingress needs the AWS Load Balancer Controller, but loadBalancer.enabled is false (got "nb.acme.com"): remove loadBalancer.enabled: false, or remove jupyterhub.ingress (the hub stays ClusterIP)',
    ]);
    expect(loadErrors(minimalInput({ cilium: { enabled: false }, jupyterhub: { enabled: true } }))).toEqual([
      "clusters/minimal.ts: jupyterhub.enabled is true but cilium.enabled is false: the notebook NetworkPolicies and the hub's API-server egress policy need Cilium (got true): remove cilium.enabled: false, or set jupyterhub.enabled: false",
    ]);
  });

  test('fails when a notebook image is unpinned or latest outside dev', () => {
    expect(loadErrors(minimalInput({ teams: TEAMS, jupyterhub: { image: 'quay.io/jupyter/scipy-notebook' } }))).toEqual([
      'clusters/minimal.ts: jupyterhub.image must be an image with a tag, e.g. quay.io/jupyter/scipy-notebook:2025-12-31 (got "quay.io/jupyter/scipy-notebook")',
    ]);
    expect(loadErrors(minimalInput({ environment: 'prod', teams: TEAMS, jupyterhub: { auth: GITHUB, gpuImage: 'acme/gpu:latest' } }))).toEqual([
      'clusters/minimal.ts: jupyterhub.gpuImage uses the latest tag: every push changes what users get, and nodes cache stale copies (got "acme/gpu:latest"): pin a dated tag or a digest',
    ]);
  });
});
