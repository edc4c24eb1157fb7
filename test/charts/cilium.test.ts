import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, test } from 'vitest';
import { clusters } from '../../clusters';
import { ciliumValues, cilium } from '../../charts/cilium';
import { VALUES_SCHEMA_URLS } from '../../lib/schemas/pins';
import { schemaPath } from '../../lib/schemas/resolve';
import { loadCluster } from '../../charts/checks';
import { buildCluster } from '../../pipeline/synth/build';
import { chartObjects, loadOk, minimalInput, REPO } from '../helpers';

process.env.EKSAI_SCHEMA_MIRROR ??= '../shared/schemas';

describe('cilium component', () => {
  const cluster = loadOk(minimalInput());

  test('kube-proxy-free with the endpoint hostname on 443, ENI IPAM, Hubble metrics', () => {
    expect(ciliumValues(cluster)).toMatchObject({
      kubeProxyReplacement: true,
      k8sServiceHost: 'abcdef0123456789.gr7.us-west-2.eks.amazonaws.com',
      k8sServicePort: 443,
      eni: { enabled: true },
      ipam: { mode: 'eni' },
      hubble: { enabled: true, metrics: { enabled: expect.arrayContaining(['dns', 'drop', 'flow']) } },
      operator: { replicas: 1 },
    });
    expect(ciliumValues(loadOk(minimalInput({ environment: 'prod' })))).toMatchObject({ operator: { replicas: 2 } });
  });

  test("never sets the agent's tolerations (they would replace the chart's toleration of its own startup taint)", () => {
    expect(ciliumValues(cluster)).not.toHaveProperty('tolerations');
  });

  test("pins the operator to the core nodes; its tolerations keep the chart's not-ready ones (a list replaces a list)", () => {
    const operator = ciliumValues(cluster).operator as { nodeSelector: unknown; tolerations: { key: string }[] };
    expect(operator.nodeSelector).toEqual({ 'eksai.io/node-group': 'core' });
    // Chart 1.19.4 values.yaml operator.tolerations, without the control-plane keys EKS nodes never carry.
    expect(operator.tolerations.map((t) => t.key)).toEqual([
      'CriticalAddonsOnly',
      'node.kubernetes.io/not-ready',
      'node.cloudprovider.kubernetes.io/uninitialized',
    ]);
    expect(ciliumValues(cluster)).toMatchObject({ serviceAccounts: { operator: { name: 'cilium-operator' } } });
    // Hubble relay too: at the first sync the core nodes are the only ones, and Karpenter's wave waits for Cilium's health.
    expect(ciliumValues(cluster)).toMatchObject({
      hubble: { relay: { nodeSelector: { 'eksai.io/node-group': 'core' }, tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] } },
    });
  });

  test('values of every example cluster validate against the mirrored Cilium 1.19.4 values schema', async () => {
    const schema = JSON.parse(readFileSync(await schemaPath(VALUES_SCHEMA_URLS.cilium, { cwd: REPO }), 'utf8')) as object;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    for (const [name, input] of Object.entries(clusters)) {
      const result = loadCluster({ name, file: `clusters/${name}.ts`, input }, REPO);
      if (!('config' in result)) throw new Error(`example ${name} does not load`);
      const values = cilium.helm!(result.config).values;
      expect(validate(values), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ kubeProxyReplacement: 42 })).toBe(false);
  });

  test('the Cilium app is the first wave and every NodePool carries its startup taint', () => {
    const built = buildCluster(cluster);
    const apps = built.charts.get('apps')!;
    const waves = apps
      .filter((o) => o.kind === 'Application')
      .map((o) => [o.metadata.name, Number((o.metadata.annotations as Record<string, string>)['argocd.argoproj.io/sync-wave'])] as const);
    expect(Math.min(...waves.map(([, w]) => w))).toBe(waves.find(([n]) => n === 'cilium')![1]);
    const pools = chartObjects(cluster, 'node-pools').filter((o) => o.kind === 'NodePool');
    expect(pools.length).toBeGreaterThan(0);
    for (const pool of pools)
      expect((pool.spec as any).template.spec.startupTaints).toContainEqual({ key: 'node.cilium.io/agent-not-ready', value: 'true', effect: 'NoExecute' });
  });

  test('no Cilium app and no startup taint when cilium.enabled is false', () => {
    const off = loadOk(minimalInput({ cilium: { enabled: false } }));
    expect(
      buildCluster(off)
        .charts.get('apps')!
        .some((o) => o.metadata.name === 'cilium'),
    ).toBe(false);
  });
});
