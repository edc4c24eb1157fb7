import { describe, expect, test } from 'vitest';
import { jupyterhubValues } from '../../charts/jupyterhub';
import { rayClusterProps } from '../../charts/ray-clusters';
import { smokeRayClusterSpec } from '../../charts/smoke';
import { chartObjects, loadOk, minimalInput } from '../helpers';

const s3 = { buckets: [{ bucket: 'acme-research-artifacts', access: 'read-write' }] };
const cluster = loadOk(minimalInput({ teams: [{ name: 'research', s3 }, { name: 'ops' }] }));
const [research, ops] = cluster.teams;

describe('team ServiceAccounts (S3 through Pod Identity)', () => {
  test('a team with s3 gets its ServiceAccount in its namespace and in the jupyterhub namespace; a team without gets none', () => {
    const accounts = [...chartObjects(cluster, 'teams'), ...chartObjects(cluster, 'jupyterhub')]
      .filter((o) => o.kind === 'ServiceAccount')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(accounts.sort()).toEqual(['jupyterhub/team-research', 'research/team-research']);
  });

  test("Ray heads, workers and the smoke RayJob's cluster run as the team ServiceAccount; teams without s3 keep the default", () => {
    const spec = rayClusterProps(cluster, research!).spec!;
    expect([spec.headGroupSpec.template.spec?.serviceAccountName, ...spec.workerGroupSpecs!.map((g) => g.template.spec?.serviceAccountName)]).toEqual([
      'team-research',
      'team-research',
      'team-research',
    ]);
    expect(rayClusterProps(cluster, ops!).spec!.headGroupSpec.template.spec?.serviceAccountName).toBeUndefined();
    const job = smokeRayClusterSpec(research!, cluster.karpenter.nodePools[0]!) as { headGroupSpec: { template: { spec: { serviceAccountName?: string } } } };
    expect(job.headGroupSpec.template.spec.serviceAccountName).toBe('team-research');
  });

  test('the notebook team choice selects the team ServiceAccount (KubeSpawner service_account)', () => {
    const profiles = (
      jupyterhubValues(cluster).singleuser as {
        profileList: { profile_options: { team: { choices: Record<string, { kubespawner_override: Record<string, unknown> }> } } }[];
      }
    ).profileList;
    for (const p of profiles) {
      expect(p.profile_options.team.choices.research!.kubespawner_override).toMatchObject({
        service_account: 'team-research',
        automount_service_account_token: false,
      });
      expect(p.profile_options.team.choices.ops!.kubespawner_override).not.toHaveProperty('service_account');
    }
  });
});
