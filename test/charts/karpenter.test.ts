import { describe, expect, test } from 'vitest';
import { karpenter, karpenterValues } from '../../charts/karpenter';
import { CHARTS } from '../../charts/versions';
import { loadOk, minimalInput } from '../helpers';

describe('karpenter component', () => {
  const cluster = loadOk(minimalInput());

  test('settings come from the cluster name and the lookups', () => {
    expect(karpenterValues(cluster).settings).toEqual({
      clusterName: 'minimal',
      clusterEndpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
      interruptionQueue: 'minimal-karpenter',
    });
  });

  test('the controller runs on the core node group', () => {
    expect(karpenterValues(cluster)).toMatchObject({
      nodeSelector: { 'eksai.io/node-group': 'core' },
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    });
  });

  test('the chart is pinned to the version of the mirrored CRDs', () => {
    expect(CHARTS.karpenter.version).toBe('1.14.1');
    expect(karpenter.helm!(cluster)).toMatchObject({ repoURL: 'oci://public.ecr.aws/karpenter/karpenter', version: '1.14.1', releaseName: 'karpenter' });
  });
});
