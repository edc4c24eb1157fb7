import { describe, expect, test } from 'vitest';
import { kuberayOperator, kuberayOperatorValues } from '../../charts/kuberay-operator';
import { CHARTS } from '../../charts/versions';
import { loadOk, minimalInput } from '../helpers';

describe('kuberay-operator component', () => {
  const cluster = loadOk(minimalInput());

  test('Volcano batch scheduler by name, never the deprecated `enabled`', () => {
    const values = kuberayOperatorValues(cluster) as { batchScheduler: Record<string, unknown> };
    expect(values.batchScheduler).toEqual({ name: 'volcano' });
    expect(values.batchScheduler).not.toHaveProperty('enabled');
    expect(kuberayOperatorValues(loadOk(minimalInput({ kuberay: { batchScheduler: 'none' } })))).not.toHaveProperty('batchScheduler');
  });

  test('operator metrics on, runs on the core node group', () => {
    expect(kuberayOperatorValues(cluster)).toMatchObject({
      metrics: { enabled: true },
      nodeSelector: { 'eksai.io/node-group': 'core' },
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    });
  });

  test('chart pin, namespace, server-side apply for the ~1 MB CRDs', () => {
    expect(kuberayOperator.helm!(cluster)).toMatchObject({
      repoURL: 'https://ray-project.github.io/kuberay-helm/',
      chart: 'kuberay-operator',
      version: '1.7.0',
    });
    expect(CHARTS.kuberayOperator.version).toBe('1.7.0');
    expect(kuberayOperator.namespace).toBe('kuberay-system');
    expect(kuberayOperator.syncOptions).toContain('ServerSideApply=true');
    expect(kuberayOperator.enabled(cluster)).toBe(true);
    expect(kuberayOperator.enabled(loadOk(minimalInput({ kuberay: { enabled: false } })))).toBe(false);
  });
});
