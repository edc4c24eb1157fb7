import { beforeAll, describe, expect, it } from 'vitest';
import { CILIUM_OPERATOR_SERVICE_ACCOUNT, cilium } from '../../charts/cilium';
import { CORE_NODE_SELECTOR } from '../../charts/karpenter';
import { bootstrapInputOf, dependsOn, distClusters, distObjects, loadBootstrap, moduleBlock, resource, type Block, type Tf } from './hcl';

/**
 * Cilium comes up before anything else (issue 14, items 3 and 4): Terraform installs the release
 * eksai renders, before the core node group, with the operator's AWS role already associated, on a
 * cluster without the VPC CNI and kube-proxy; Argo CD's Application then manages the same release.
 */

/**
 * Cilium Documentation/network/concepts/ipam/eni.rst, "Required Privileges": "The following EC2
 * privileges are required by the Cilium operator in order to perform ENI creation and IP allocation",
 * and DescribeTags "if ENI GC is enabled (which is the default), and --cluster-name and --eni-gc-tags
 * are not set to custom values" (eksai sets neither). The union of the revisions read in cilium/cilium
 * (the v1.19.4 tag itself was out of reach; its list, per issue 14, includes DescribeRouteTables).
 */
const ENI_REQUIRED_PRIVILEGES = [
  'DeleteNetworkInterface',
  'DescribeInstanceTypes',
  'DescribeNetworkInterfaces',
  'DescribeSubnets',
  'DescribeVpcs',
  'DescribeRouteTables',
  'DescribeSecurityGroups',
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'ModifyNetworkInterfaceAttribute',
  'AssignPrivateIpAddresses',
  'CreateTags',
  'DescribeManagedPrefixLists',
  'GetManagedPrefixListEntries',
  'DescribeTags',
].map((a) => `ec2:${a}`);

let tf: Tf;

beforeAll(async () => {
  tf = await loadBootstrap();
});

/** The `cilium` Application of one cluster's dist, or undefined when Cilium is off there. */
function ciliumApplication(cluster: string): Block | undefined {
  return distObjects(cluster).find((o) => o.obj.kind === 'Application' && o.obj.metadata.name === cilium.name)?.obj;
}

describe('one source for the Cilium release', () => {
  it.each(distClusters())('%s: dist/<cluster>/bootstrap/terraform.json holds exactly the release of the cilium Application', (cluster) => {
    const app = ciliumApplication(cluster);
    const input = bootstrapInputOf(cluster);
    if (!app) {
      expect(input.cilium).toBeNull();
      return;
    }
    const src = app.spec.source as Block;
    expect(input.cilium).toEqual({
      repository: src.repoURL,
      chart: src.chart,
      version: src.targetRevision,
      release_name: src.helm.releaseName,
      namespace: app.spec.destination.namespace,
      values: src.helm.valuesObject,
    });
  });

  it('installs every attribute of the release from that file, and nothing else', () => {
    expect(tf.locals.cilium).toBe('${try(local.generated.cilium, null)}');
    const r = resource(tf, 'helm_release', 'cilium');
    expect(r).toMatchObject({
      name: '${local.cilium.release_name}',
      namespace: '${local.cilium.namespace}',
      repository: '${local.cilium.repository}',
      chart: '${local.cilium.chart}',
      version: '${local.cilium.version}',
      values: ['${jsonencode(local.cilium.values)}'],
    });
    expect(Object.keys(r).filter((k) => !['name', 'namespace', 'repository', 'chart', 'version', 'values', 'count', 'wait', 'lifecycle', 'depends_on'].includes(k))).toEqual([]);
  });

  it('uses the release name and namespace Argo CD adopts (the cilium component)', () => {
    for (const cluster of distClusters()) {
      const input = bootstrapInputOf(cluster).cilium as Block | null;
      if (!input) continue;
      expect({ release: input.release_name, namespace: input.namespace }).toEqual({ release: 'cilium', namespace: cilium.namespace });
    }
  });

  it('refuses values rendered for another cluster endpoint', () => {
    const pre = resource(tf, 'helm_release', 'cilium').lifecycle[0].precondition as { condition: string }[];
    expect(pre.map((p) => p.condition)).toContain('${try(local.cilium.values.k8sServiceHost, "") == trimprefix(module.eks.cluster_endpoint, "https://")}');
  });
});

describe('no VPC CNI, no kube-proxy: the order that lets nodes become Ready', () => {
  it('creates the cluster without the self-managed add-ons and without vpc-cni/kube-proxy add-ons while Cilium is on', () => {
    const eks = moduleBlock(tf, 'eks');
    expect(eks.bootstrap_self_managed_addons).toBe(false);
    expect(eks.eks_managed_node_groups).toEqual({});
    const addons = String(eks.cluster_addons).replace(/\s+/g, ' ');
    // vpc-cni and kube-proxy appear only in the branch for clusters that turn Cilium off.
    expect(addons).toBe('${merge( { eks-pod-identity-agent = { before_compute = true } }, local.vpc_cni ? { vpc-cni = { before_compute = true } kube-proxy = { before_compute = true } } : {}, )}');
    expect(tf.locals.vpc_cni).toBe('${local.generated != null && local.cilium == null}');
  });

  it('installs Cilium after the control plane and the operator association, without waiting for pods', () => {
    const r = resource(tf, 'helm_release', 'cilium');
    expect(dependsOn(r).sort()).toEqual(['aws_eks_pod_identity_association.cilium_operator', 'module.eks']);
    expect(r.wait).toBe(false);
  });

  it('creates the core node group after Cilium, then CoreDNS and the EBS CSI driver, then Argo CD', () => {
    expect(dependsOn(moduleBlock(tf, 'core_node_group'))).toContain('helm_release.cilium');
    const after = resource(tf, 'aws_eks_addon', 'after_nodes');
    expect(after.for_each).toBe('${var.install_platform ? toset(["coredns", "aws-ebs-csi-driver"]) : toset([])}');
    expect(dependsOn(after)).toContain('module.core_node_group');
    expect(dependsOn(resource(tf, 'helm_release', 'argocd')).sort()).toEqual(['aws_eks_addon.after_nodes', 'module.core_node_group']);
  });
});

describe('the Cilium operator: its own AWS role, on the core nodes', () => {
  it('binds a Pod Identity role to the service account and namespace the chart renders', () => {
    const assoc = resource(tf, 'aws_eks_pod_identity_association', 'cilium_operator');
    expect(assoc).toMatchObject({ namespace: '${local.cilium_operator_namespace}', service_account: '${local.cilium_operator_service_account}', role_arn: '${aws_iam_role.cilium_operator.arn}' });
    expect(tf.locals.cilium_operator_namespace).toBe(cilium.namespace);
    expect(tf.locals.cilium_operator_service_account).toBe(CILIUM_OPERATOR_SERVICE_ACCOUNT);
    for (const cluster of distClusters()) {
      const values = ciliumApplication(cluster)?.spec.source.helm.valuesObject as Block | undefined;
      if (values) expect(values.serviceAccounts.operator.name, cluster).toBe(CILIUM_OPERATOR_SERVICE_ACCOUNT);
    }
  });

  it('trusts only EKS Pod Identity', () => {
    const trust = tf.data.aws_iam_policy_document!.pod_identity_trust![0]!.statement[0];
    expect(trust.actions.sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(trust.principals[0]).toEqual({ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] });
    expect(resource(tf, 'aws_iam_role', 'cilium_operator').assume_role_policy).toBe('${data.aws_iam_policy_document.pod_identity_trust.json}');
  });

  it('grants every EC2 action eni.rst lists as required, and only EC2 actions', () => {
    const statement = tf.data.aws_iam_policy_document!.cilium_operator![0]!.statement[0];
    expect(statement.actions).toBe('${local.cilium_operator_ec2_actions}');
    const granted = tf.locals.cilium_operator_ec2_actions as string[];
    expect(ENI_REQUIRED_PRIVILEGES.filter((a) => !granted.includes(a))).toEqual([]);
    expect(granted.filter((a) => !a.startsWith('ec2:'))).toEqual([]);
    expect(resource(tf, 'aws_iam_role_policy', 'cilium_operator').role).toBe('${aws_iam_role.cilium_operator.id}');
  });

  it('pins the operator to the core node group, tolerating its taint and not-ready nodes', () => {
    for (const cluster of distClusters()) {
      const op = ciliumApplication(cluster)?.spec.source.helm.valuesObject.operator as Block | undefined;
      if (!op) continue;
      expect(op.nodeSelector, cluster).toEqual(CORE_NODE_SELECTOR);
      expect(op.tolerations, cluster).toEqual(expect.arrayContaining([{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists' }]));
    }
  });

  it('gives no CNI policy to node roles while Cilium is on', () => {
    expect(moduleBlock(tf, 'core_node_group').iam_role_attach_cni_policy).toBe('${local.vpc_cni}');
    expect(moduleBlock(tf, 'karpenter').node_iam_role_attach_cni_policy).toBe('${local.vpc_cni}');
  });
});
