import { describe, expect, test } from 'vitest';
import { volcano, volcanoValues, VOLCANO_SCHEDULER_CONF } from '../../charts/volcano';
import { chartObjects, find, loadErrors, loadOk, minimalInput } from '../helpers';

const teams = [{ name: 'research', queue: { weight: 3, capability: { cpu: '64', memory: '256Gi', gpu: 8 }, reclaimable: false } }, { name: 'platform' }];

describe('volcano component', () => {
  test('scheduler conf has no enqueue action (volcano#4030: Karpenter would never see the pending pods)', () => {
    const actions = /^actions: "(.*)"$/m.exec(VOLCANO_SCHEDULER_CONF)?.[1];
    expect(actions).toBeDefined();
    expect(actions!.split(',').map((a) => a.trim())).toEqual(expect.arrayContaining(['allocate', 'backfill']));
    expect(VOLCANO_SCHEDULER_CONF).not.toContain('enqueue');
    const values = volcanoValues(loadOk(minimalInput())) as { custom: Record<string, unknown> };
    expect(values.custom.scheduler_config_override).toBe(VOLCANO_SCHEDULER_CONF);
    expect(values.custom).toMatchObject({ default_ns: { 'eksai.io/node-group': 'core' }, scheduler_metrics_enable: true });
  });

  test('one Queue per team with weight, capability (incl. nvidia.com/gpu) and reclaimable', () => {
    const objects = chartObjects(loadOk(minimalInput({ teams })), 'volcano');
    expect(objects.filter((o) => o.kind === 'Queue')).toHaveLength(2);
    const research = find(objects, 'Queue', 'research');
    expect(research.apiVersion).toBe('scheduling.volcano.sh/v1beta1');
    expect(research.spec).toEqual({ weight: 3, reclaimable: false, capability: { cpu: '64', memory: '256Gi', 'nvidia.com/gpu': 8 } });
    expect(find(objects, 'Queue', 'platform').spec).toMatchObject({ weight: 1, reclaimable: true });
  });

  test('enabled by default, off with volcano.enabled false', () => {
    expect(volcano.enabled(loadOk(minimalInput()))).toBe(true);
    expect(volcano.enabled(loadOk(minimalInput({ volcano: { enabled: false }, kuberay: { batchScheduler: 'none' } })))).toBe(false);
    expect(volcano.clusterResources).toContainEqual({ group: 'scheduling.volcano.sh', kind: 'Queue' });
  });

  test('KubeRay with the Volcano batch scheduler requires Volcano', () => {
    const errors = loadErrors(minimalInput({ volcano: { enabled: false } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('volcano.enabled');
    expect(errors[0]).toContain('kuberay.batchScheduler');
    expect(errors[0]).toContain("kuberay.batchScheduler: 'none'");
    expect(() => loadOk(minimalInput({ volcano: { enabled: false }, kuberay: { enabled: false } }))).not.toThrow();
  });
});

describe('volcano sync order', () => {
  test('fails when the KubeRay operator syncs in the same wave as Volcano or before it (it watches PodGroups)', () => {
    const apps = chartObjects(loadOk(minimalInput({ teams: [{ name: 'research', queue: { weight: 1 } }] })), 'apps');
    const wave = (n: string) => Number((find(apps, 'Application', n).metadata.annotations as Record<string, string>)['argocd.argoproj.io/sync-wave']);
    expect(wave('volcano')).toBeLessThan(wave('kuberay-operator'));
  });
});
