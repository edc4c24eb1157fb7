import { describe, expect, test } from 'vitest';
import { awsLoadBalancerController } from '../../charts/aws-load-balancer-controller';
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
    expect(awsLoadBalancerController.helm!(loadOk(minimalInput())).values).toMatchObject({ clusterName: 'minimal', region: 'us-west-2', vpcId: 'vpc-0123456789abcdef0' });
  });
});
