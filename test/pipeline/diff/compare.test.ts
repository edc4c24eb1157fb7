import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compareDist, diffValues, renderText } from '../../../pipeline/diff';
import { isSecretKey } from '../../../pipeline/diff/compare';
import { locate } from '../../../pipeline/diff/identity';
import { nodePool, type Tree } from './helpers';

const files = (tree: Tree) => new Map(Object.entries(tree).map(([p, b]) => [p, stringify(b)]));

describe('identity', () => {
  it('takes the cluster and component from dist/<cluster>/<component>/', () => {
    expect(locate('dist/prod/node-pools/NodePool.gpu.yaml')).toEqual({ cluster: 'prod', component: 'node-pools' });
    expect(locate('dist/README.yaml')).toBeUndefined();
  });
});

describe('field changes', () => {
  it('keys list items by name or key and masks secret-like keys but not selector keys', () => {
    const a = { requirements: [{ key: 'karpenter.sh/capacity-type', values: ['spot'] }], auth: { apiKey: 'old-k', password: 'old-p' } };
    const b = { requirements: [{ key: 'karpenter.sh/capacity-type', values: ['on-demand'] }], auth: { apiKey: 'new-k', password: 'new-p' } };
    expect(diffValues(a, b)).toEqual([
      { path: 'auth.apiKey', hidden: true },
      { path: 'auth.password', hidden: true },
      { path: 'requirements[key=karpenter.sh/capacity-type].values', old: ['spot'], new: ['on-demand'] },
    ]);
    expect(isSecretKey('key')).toBe(false);
    expect(isSecretKey('clientSecret')).toBe(true);
  });

  it('compares Helm values given as a YAML string field by field', () => {
    expect(diffValues({ helm: { values: 'replicas: 1\n' } }, { helm: { values: 'replicas: 2\n' } })).toEqual([
      { path: 'helm.values.replicas', old: 1, new: 2 },
    ]);
  });
});

describe('node pool risks', () => {
  it('reports capacity type and disruption budget changes', () => {
    const base = nodePool('batch', { capacity: 'on-demand' });
    const head = nodePool('batch', { capacity: 'spot' });
    head.spec.disruption.budgets = [{ nodes: '0' }];
    const d = compareDist(files({ 'dist/dev/node-pools/NodePool.batch.yaml': base }), files({ 'dist/dev/node-pools/NodePool.batch.yaml': head }));
    expect(d.risks.map((r) => r.message)).toEqual([
      'disruption budgets[0].nodes 10% → 0',
      'capacity type ["on-demand"] → ["spot"]: new nodes use the new capacity type; existing nodes drift',
    ]);
  });

  it('reports a removed NodePool and a removed cluster as high risks', () => {
    const d = compareDist(
      files({ 'dist/dev/node-pools/NodePool.gpu.yaml': nodePool('gpu'), 'dist/old/node-pools/NodePool.gpu.yaml': nodePool('gpu') }),
      files({}),
    );
    expect(d.clusters.removed).toEqual(['dev', 'old']);
    expect(d.risks.every((r) => r.level === 'high' && r.message.includes('removed from dist'))).toBe(true);
  });
});

describe('text output', () => {
  it('uses colors only when asked (stdout is a TTY)', () => {
    const d = compareDist(files({}), files({ 'dist/dev/node-pools/NodePool.gpu.yaml': nodePool('gpu') }));
    expect(renderText(d)).not.toContain('\u001b[');
    expect(renderText(d, { color: true })).toContain('\u001b[32m+ NodePool/gpu');
  });
});

describe('CRD version risks', () => {
  it('fails when a CRD that stops serving a version or moves its storage version is not a risk', () => {
    const crd = (versions: { name: string; served: boolean; storage: boolean }[]) =>
      new Map([
        [
          'dist/dev/crds/CustomResourceDefinition.widgets.example.com.yaml',
          JSON.stringify({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: 'widgets.example.com' },
            spec: { group: 'example.com', versions },
          }),
        ],
      ]);
    const d = compareDist(
      crd([
        { name: 'v1beta1', served: true, storage: true },
        { name: 'v1', served: true, storage: false },
      ]),
      crd([
        { name: 'v1beta1', served: false, storage: false },
        { name: 'v1', served: true, storage: true },
      ]),
    );
    expect(d.risks.map((r) => `${r.level} ${r.message}`)).toEqual([
      'high CRD widgets.example.com stops serving example.com/v1beta1: manifests and clients using it fail, and objects stored at v1beta1 must be migrated first',
      'medium CRD widgets.example.com storage version v1beta1 → v1: existing objects stay stored at v1beta1 until rewritten; migrate them before v1beta1 is dropped',
    ]);
  });
});

describe('CRD upgrade safety', () => {
  const crd = (required: string[], rule?: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required,
                  properties: { size: { type: 'integer' }, color: { type: 'string' } },
                  ...(rule ? { 'x-kubernetes-validations': [{ rule, message: 'size must be at most 10' }] } : {}),
                },
              },
            },
          },
        },
      ],
    },
  });
  const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ml' }, spec: { size: 12, shape: 'round' } };
  const tree = (c: unknown) => files({ 'dist/dev/crds/CustomResourceDefinition.widgets.yaml': c, 'dist/dev/widgets/Widget.w.yaml': widget });

  it('fails when a custom resource the new CRD rejects (schema, required field, CEL rule) is not a high risk', () => {
    const d = compareDist(
      tree({
        ...crd([]),
        spec: {
          ...crd([]).spec,
          versions: [{ ...crd([]).spec.versions[0]!, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }),
      tree(crd(['color'], 'self.size <= 10')),
    );
    expect(d.risks.filter((r) => r.resource === 'Widget/w').map((r) => `${r.level} ${r.message}`)).toEqual([
      "high the new CRD widgets.example.com (example.com/v1) rejects this object: must have required property 'color' at spec",
      'high the new CRD widgets.example.com (example.com/v1) rejects this object: size must be at most 10 at spec',
      'medium the new CRD widgets.example.com (example.com/v1) has no field spec.shape: the API server prunes it (strict field validation rejects it)',
    ]);
    // The same objects under an unchanged CRD are not re-checked (and not even parsed).
    expect(compareDist(tree(crd(['color'])), tree(crd(['color']))).risks).toEqual([]);
  });
});
