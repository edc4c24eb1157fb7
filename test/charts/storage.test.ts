import { posix } from 'node:path';
import { describe, expect, test } from 'vitest';
import { awsLoadBalancerController } from '../../charts/aws-load-balancer-controller';
import { KEEP_DATA } from '../../charts/component';
import { jupyterhubValues } from '../../charts/jupyterhub';
import { rayClusterProps } from '../../charts/ray-clusters';
import { RAY_GID, RAY_UID } from '../../lib/ray';
import { SHARED_STORAGE_DEFAULTS } from '../../lib/config/defaults';
import { cleanupDiffRepos, diffTrees, exampleDist } from '../pipeline/diff/helpers';
import { chartObjects, find, loadErrors, loadOk, lookupsFor, minimalInput } from '../helpers';

describe('storage', () => {
  test('gp3 encrypted is the default StorageClass and gp2 is not', () => {
    const objs = chartObjects(loadOk(minimalInput()), 'storage');
    expect(find(objs, 'StorageClass', 'gp3')).toMatchObject({
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    expect(find(objs, 'StorageClass', 'gp2').metadata.annotations).toMatchObject({ 'storageclass.kubernetes.io/is-default-class': 'false' });
    expect(objs.some((o) => o.metadata.name === 'efs')).toBe(false);
  });

  test('EFS class uses the file system id from the lookups', () => {
    const lookups = lookupsFor('minimal');
    (lookups.parameters as Record<string, string>)['storage/efs-file-system-id'] = 'fs-0123456789abcdef0';
    const objs = chartObjects(loadOk(minimalInput({ storage: { efs: true } }), lookups), 'storage');
    expect(find(objs, 'StorageClass', 'efs')).toMatchObject({ provisioner: 'efs.csi.aws.com', parameters: { fileSystemId: 'fs-0123456789abcdef0' } });
  });

  test('fails when EFS is on but its lookup is missing', () => {
    expect(loadErrors(minimalInput({ storage: { efs: true } }))[0]).toMatch(
      /^clusters\/minimal\.lookups\.json: parameters\.storage\/efs-file-system-id is missing: storage\.efs is on in clusters\/minimal\.ts/,
    );
  });
});

describe('aws load balancer controller', () => {
  test('clusterName, region and vpcId come from config and lookups', () => {
    expect(awsLoadBalancerController.helm!(loadOk(minimalInput())).values).toMatchObject({
      clusterName: 'minimal',
      region: 'us-west-2',
      vpcId: 'vpc-0123456789abcdef0',
    });
  });
});

describe('shared storage (EFS) per team', () => {
  const FS = 'fs-0123456789abcdef0';
  const efsLookups = () => {
    const lookups = lookupsFor('minimal');
    (lookups.parameters as Record<string, string>)['storage/efs-file-system-id'] = FS;
    return lookups;
  };
  const teams = [{ name: 'research', sharedStorage: { size: '400Gi', mountPath: '/data/shared' } }, { name: 'vision' }];
  const config = () => loadOk(minimalInput({ storage: { efs: true }, teams, jupyterhub: { auth: { kind: 'dummy' } } }), efsLookups());

  test('gives every team a class whose access points land on one directory, owned by the Ray and notebook user', () => {
    const objs = chartObjects(config(), 'storage');
    const cls = find(objs, 'StorageClass', 'efs-research');
    expect(cls).toMatchObject({
      provisioner: 'efs.csi.aws.com',
      reclaimPolicy: 'Retain',
      parameters: {
        provisioningMode: 'efs-ap',
        fileSystemId: FS,
        directoryPerms: '700',
        uid: String(RAY_UID),
        gid: String(RAY_GID),
        basePath: '/teams/research',
        subPathPattern: 'shared',
        ensureUniqueDirectory: 'false',
      },
    });
    // The driver's access point root (aws-efs-csi-driver controller.go CreateVolume): path.join('/', basePath,
    // subPathPattern with ${.PVC.*} replaced), plus a UUID unless ensureUniqueDirectory is false. A pattern
    // without variables and no UUID: the team claim and the notebook claim share `/teams/<team>/shared`.
    const params = cls.parameters as Record<string, string>;
    expect(params.subPathPattern).not.toContain('${');
    expect(posix.join('/', params.basePath!, params.subPathPattern!)).toBe('/teams/research/shared');
    expect(find(objs, 'StorageClass', 'efs-vision').parameters).toMatchObject({ basePath: '/teams/vision' });
    // The notebook user z2jh runs is the Ray image user, so both write the same files.
    const single = jupyterhubValues(config()).singleuser as { uid: number; fsGid: number };
    expect([single.uid, single.fsGid]).toEqual([RAY_UID, RAY_GID]);
  });

  test('gives each team a ReadWriteMany claim of its typed size in its namespace and one in the jupyterhub namespace', () => {
    const c = config();
    const teamClaim = find(chartObjects(c, 'teams'), 'PersistentVolumeClaim', 'shared');
    expect(teamClaim.metadata).toMatchObject({ namespace: 'research', annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA } });
    expect(teamClaim.spec).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'efs-research', resources: { requests: { storage: '400Gi' } } });
    const hubClaims = chartObjects(c, 'jupyterhub').filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(hubClaims.map((o) => `${o.metadata.namespace}/${o.metadata.name} ${(o.spec as { storageClassName: string }).storageClassName}`)).toEqual([
      'jupyterhub/shared-research efs-research',
      'jupyterhub/shared-vision efs-vision',
    ]);
    expect(find(hubClaims, 'PersistentVolumeClaim', 'shared-vision').spec).toMatchObject({
      resources: { requests: { storage: SHARED_STORAGE_DEFAULTS.size } },
    });
  });

  test('mounts the team claim in the Ray head and every worker, and the notebook claim through the team choice', () => {
    const c = config();
    const research = c.teams.find((t) => t.name === 'research')!;
    const spec = rayClusterProps(c, research).spec!;
    for (const t of [spec.headGroupSpec.template, ...spec.workerGroupSpecs!.map((g) => g.template)]) {
      expect(t.spec!.volumes).toEqual([{ name: 'shared', persistentVolumeClaim: { claimName: 'shared' } }]);
      expect(t.spec!.containers[0]!.volumeMounts).toEqual([{ name: 'shared', mountPath: '/data/shared' }]);
    }
    const profiles = (
      jupyterhubValues(c).singleuser as {
        profileList: { profile_options: { team: { choices: Record<string, { kubespawner_override: Record<string, unknown> }> } } }[];
      }
    ).profileList;
    for (const p of profiles) {
      const override = p.profile_options.team.choices.vision!.kubespawner_override;
      // Dicts keyed by name: KubeSpawner merges a dict override into z2jh's dict of volumes, keeping the home volume.
      expect(override.volumes).toEqual({ shared: { name: 'shared', persistentVolumeClaim: { claimName: 'shared-vision' } } });
      expect(override.volume_mounts).toEqual({ shared: { name: 'shared', mountPath: SHARED_STORAGE_DEFAULTS.mountPath } });
    }
  });

  test('renders no team class, claim or mount without storage.efs', () => {
    const c = loadOk(minimalInput({ teams: [{ name: 'research' }] }));
    expect(c.teams[0]!.sharedStorage).toBeUndefined();
    expect(chartObjects(c, 'storage').map((o) => o.metadata.name)).toEqual(['gp3', 'gp2']);
    expect(chartObjects(c, 'teams').some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(rayClusterProps(c, c.teams[0]!).spec!.headGroupSpec.template.spec!.volumes).toBeUndefined();
  });

  test('fails when a team asks for shared storage without storage.efs', () => {
    expect(loadErrors(minimalInput({ teams: [{ name: 'research', sharedStorage: { size: '10Gi' } }] }))).toEqual([
      'clusters/minimal.ts: teams[research].sharedStorage needs the shared EFS file system, but storage.efs is off: set storage: { efs: true } (terraform/bootstrap then creates the file system), or remove sharedStorage',
    ]);
  });

  test.each([
    ['/home/jovyan/data', 'collides with /home/jovyan: the notebook home volume (z2jh singleuser.storage.homeMountPath)'],
    ['/tmp', "collides with /tmp: scratch space, with Ray's session directory /tmp/ray (logs, spilled objects)"],
    ['/home', 'collides with /home/jovyan: the notebook home volume (z2jh singleuser.storage.homeMountPath)'],
    ['/dev/shm/x', "collides with /dev/shm: the shared memory of Ray's object store"],
  ])('fails when a team mount path collides with another mount: %s', (mountPath, message) => {
    expect(loadErrors(minimalInput({ storage: { efs: true }, teams: [{ name: 'research', sharedStorage: { mountPath } }] }), efsLookups())).toEqual([
      `clusters/minimal.ts: teams[research].sharedStorage.mountPath ${message} (got "${mountPath}"): mount it elsewhere, e.g. '/mnt/shared' (the default)`,
    ]);
  });

  test.each(['/', 'mnt/shared', '/mnt/../etc', '/mnt/shared/', '/mnt//x'])('fails when a team mount path is not a clean absolute path: %s', (mountPath) => {
    expect(loadErrors(minimalInput({ storage: { efs: true }, teams: [{ name: 'research', sharedStorage: { mountPath } }] }), efsLookups())).toEqual([
      `clusters/minimal.ts: teams[research].sharedStorage.mountPath must be an absolute path without ., .. or a trailing slash (got "${mountPath}"): use a path such as '/mnt/shared'`,
    ]);
  });

  test.each([
    ['100', "must have a unit: did you mean '100Gi'?"],
    [100, "must be a string with a unit: did you mean '100Gi'?"],
    ['lots', "must be a size such as '100Gi' or '1Ti'"],
  ])('fails when a team shared size is not a storage quantity: %j', (size, message) => {
    const errors = loadErrors(minimalInput({ storage: { efs: true }, teams: [{ name: 'research', sharedStorage: { size } }] }), efsLookups());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`teams[research].sharedStorage.size ${message}`);
  });

  test('fails when a team shared size is more than the team storage quota (the claim would be refused)', () => {
    expect(
      loadErrors(
        minimalInput({ storage: { efs: true }, teams: [{ name: 'research', quota: { storage: '200Gi' }, sharedStorage: { size: '1Ti' } }] }),
        efsLookups(),
      ),
    ).toEqual([
      'clusters/minimal.ts: teams[research].sharedStorage.size is more than the team\'s storage quota 200Gi (requests.storage): the ResourceQuota would refuse the claim (got "1Ti"): lower the size or raise teams[research].quota.storage',
    ]);
  });

  test('eksai diff flags the removed claims and classes of a cluster that turns EFS off as data-loss risks', async () => {
    const off = (input: Record<string, unknown>) => ({
      ...input,
      storage: { efs: false },
      teams: (input.teams as Record<string, unknown>[]).map(({ sharedStorage: _, ...t }) => t),
    });
    try {
      const result = await diffTrees(exampleDist('prod'), exampleDist('prod', off));
      const loss = result.risks.filter((r) => r.message.startsWith('data-loss risk'));
      expect(loss.map((r) => `${r.level} ${r.resource}`).sort()).toEqual([
        'medium PersistentVolumeClaim/shared',
        'medium PersistentVolumeClaim/shared',
        'medium PersistentVolumeClaim/shared-ml-eng',
        'medium PersistentVolumeClaim/shared-research',
        'medium StorageClass/efs',
        'medium StorageClass/efs-ml-eng',
        'medium StorageClass/efs-research',
      ]);
      expect(loss.find((r) => r.resource === 'StorageClass/efs-ml-eng')!.message).toContain(
        'terraform/bootstrap deletes the EFS file system itself: copy the data off first',
      );
      expect(loss.find((r) => r.resource === 'PersistentVolumeClaim/shared-ml-eng')!.message).toMatch(
        /^data-loss risk: claim jupyterhub\/shared-ml-eng \(class efs-ml-eng\) is no longer generated; .* \(left running: /,
      );
    } finally {
      cleanupDiffRepos();
    }
  });
});
