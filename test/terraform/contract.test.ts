import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from '@cdktf/hcl-tools';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_HEALTH_LUA } from '../../apps/argocd-cm';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS, KARPENTER_NAMESPACE, karpenterValues } from '../../charts/karpenter';
import { clusters } from '../../clusters';
import { loadClusters } from '../../charts/checks';
import type { ClusterConfig } from '../../lib/config/types';
import { factsFromLookups } from '../../lib/lookups/file';
import { OPTIONAL_PARAMETERS, REQUIRED_PARAMETERS, ssmPrefix } from '../../lib/lookups/parameters';
import { TERRAFORM_SOURCE } from '../../lib/lookups/ssm';
import { BOOTSTRAP_INPUT_PATH } from '../../pipeline/synth/bootstrap';
import {
  BOOTSTRAP_DIR,
  REPO_ROOT,
  bootstrapInputOf,
  distClusters,
  loadBootstrap,
  localOf,
  moduleBlock,
  resolveName,
  resource,
  type Block,
  type Tf,
} from './hcl';

/**
 * The contracts between terraform/bootstrap and the generator, checked from both sides: the SSM facts
 * Terraform writes and `eksai lookup` reads, the names it gives them (and the committed lookups files
 * hold), the one Kubernetes version, the core node group the charts select, and the state and API
 * access guards. Terraform cannot run here, so the .tf files are parsed (hcl2json) and compared.
 */

let tf: Tf;

/** Every SSM parameter name terraform/bootstrap writes, relative to /eksai/<cluster>/. */
function ssmNamesWritten(): string[] {
  const prefixExpr = ssmPrefix('${var.cluster_name}');
  const names: string[] = [];
  for (const [rname, blocks] of Object.entries(tf.resource.aws_ssm_parameter ?? {})) {
    for (const b of blocks) {
      const name = String(b.name).replace('${local.ssm_prefix}', String(tf.locals.ssm_prefix));
      expect(name.startsWith(prefixExpr), `aws_ssm_parameter.${rname} name ${name} must start with ${prefixExpr}`).toBe(true);
      const rel = name.slice(prefixExpr.length);
      if (b.for_each !== undefined) {
        expect(rel).toBe('${each.key}');
        names.push(...Object.keys(localOf(tf, b.for_each) as Block));
      } else {
        names.push(rel);
      }
    }
  }
  return names.sort();
}

/** The SSM facts map (parameter → Terraform expression). */
function ssmFacts(): Record<string, string> {
  return localOf(tf, resource(tf, 'aws_ssm_parameter', 'facts').for_each) as Record<string, string>;
}

/**
 * The name Terraform gives the object behind one SSM fact, for one cluster: follows
 * `${module.karpenter.node_iam_role_name}` to the module input and `${aws_sqs_queue.x.name}` to the resource.
 */
function nameWritten(fact: string, cluster: string): string {
  const expr = ssmFacts()[fact]!;
  const mod = /^\$\{module\.(\w+)\.node_iam_role_name\}$/.exec(expr);
  if (mod) {
    const m = moduleBlock(tf, mod[1]!);
    expect(m.node_iam_role_use_name_prefix, `module.${mod[1]} must not add a random suffix to the node role name`).toBe(false);
    return resolveName(tf, String(m.node_iam_role_name), { cluster_name: cluster });
  }
  const res = /^\$\{(\w+)\.(\w+)\.name\}$/.exec(expr);
  if (res) return resolveName(tf, String(resource(tf, res[1]!, res[2]!).name), { cluster_name: cluster });
  throw new Error(`SSM fact ${fact} = ${expr}: not a name Terraform sets`);
}

const lookupsFiles = readdirSync(join(REPO_ROOT, 'clusters'))
  .filter((f) => f.endsWith('.lookups.json'))
  .sort();

beforeAll(async () => {
  tf = await loadBootstrap();
});

describe('terraform/bootstrap SSM contract', () => {
  it('writes exactly the SSM parameters the generator requires, under /eksai/<cluster>/, and only optional ones it reads besides', () => {
    expect(tf.locals.ssm_prefix).toBe(ssmPrefix('${var.cluster_name}'));
    expect(Object.keys(ssmFacts()).sort()).toEqual(Object.keys(REQUIRED_PARAMETERS).sort());
    const optional = ssmNamesWritten().filter((n) => !(n in REQUIRED_PARAMETERS));
    expect(optional).toEqual(['storage/efs-file-system-id']);
    for (const n of optional) expect(Object.keys(OPTIONAL_PARAMETERS)).toContain(n);
  });

  it('writes the EFS file system id exactly when it creates the file system, and synth asks for it exactly when a cluster uses it', () => {
    const param = resource(tf, 'aws_ssm_parameter', 'efs_file_system_id');
    expect(param.name).toBe('${local.ssm_prefix}storage/efs-file-system-id');
    expect(param.value).toBe('${aws_efs_file_system.shared[0].id}');
    expect(param.count).toBe(resource(tf, 'aws_efs_file_system', 'shared').count);
    expect(param.count).toBe('${local.efs ? 1 : 0}');
    expect(tf.locals.efs).toBe('${coalesce(var.efs, try(local.generated.efs, false))}');
    const { configs } = loadClusters(
      Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input })),
      REPO_ROOT,
    );
    for (const c of configs) {
      const input = bootstrapInputOf(c.name) as { efs?: unknown };
      expect(input.efs, `${c.name}: ${BOOTSTRAP_INPUT_PATH} efs`).toBe(c.storage.efsFileSystemId !== undefined);
      if (input.efs) expect(c.facts.parameters['storage/efs-file-system-id']).toBe(c.storage.efsFileSystemId);
    }
    expect(
      configs.some((c) => c.storage.efsFileSystemId !== undefined),
      'at least one example cluster uses EFS',
    ).toBe(true);
  });

  it('is where `eksai lookup` tells the user the facts are written', () => {
    const m = /^(terraform\/bootstrap\/[\w.]+) \(aws_ssm_parameter\.(\w+), keys in local\.(\w+)\)$/.exec(TERRAFORM_SOURCE);
    expect(m, TERRAFORM_SOURCE).not.toBeNull();
    expect(readFileSync(join(REPO_ROOT, m![1]!), 'utf8')).toContain(`resource "aws_ssm_parameter" "${m![2]}"`);
    expect(resource(tf, 'aws_ssm_parameter', m![2]!).for_each).toBe(`\${local.${m![3]}}`);
  });

  it('writes plain String parameters (lookup reads with decryption off)', () => {
    for (const blocks of Object.values(tf.resource.aws_ssm_parameter ?? {})) {
      for (const b of blocks) expect(b.type).toBe('String');
    }
  });

  it('points every EventBridge interruption rule at the queue whose name feeds interruption-queue-name', () => {
    const m = /^\$\{aws_sqs_queue\.(\w+)\.name\}$/.exec(String(ssmFacts()['karpenter/interruption-queue-name']));
    expect(m, 'karpenter/interruption-queue-name must be an aws_sqs_queue name').not.toBeNull();
    const queue = m![1]!;
    const targets = Object.entries(tf.resource.aws_cloudwatch_event_target ?? {});
    expect(targets.length).toBeGreaterThan(0);
    for (const [name, [t]] of targets) {
      expect(t!.arn, `aws_cloudwatch_event_target.${name}`).toBe(`\${aws_sqs_queue.${queue}.arn}`);
      const rule = /^\$\{aws_cloudwatch_event_rule\.(\w+)(\[each\.key\])?\.name\}$/.exec(String(t!.rule));
      expect(rule).not.toBeNull();
      expect(t!.for_each).toBe(resource(tf, 'aws_cloudwatch_event_rule', rule![1]!).for_each);
    }
    expect(resource(tf, 'aws_sqs_queue', queue)).toMatchObject({ message_retention_seconds: 300, sqs_managed_sse_enabled: true });
  });

  it('routes the five event kinds Karpenter handles', () => {
    const events = localOf(tf, resource(tf, 'aws_cloudwatch_event_rule', 'interruption').for_each) as Record<
      string,
      { 'detail-type': string[]; source: string[] }
    >;
    expect(
      Object.values(events)
        .map((e) => `${e.source[0]}: ${e['detail-type'][0]}`)
        .sort(),
    ).toEqual([
      'aws.ec2: EC2 Capacity Reservation Instance Interruption Warning',
      'aws.ec2: EC2 Instance Rebalance Recommendation',
      'aws.ec2: EC2 Instance State-change Notification',
      'aws.ec2: EC2 Spot Instance Interruption Warning',
      'aws.health: AWS Health Event',
    ]);
  });

  it('feeds the queue name into the Karpenter settings through lookups', () => {
    const doc = {
      parameters: {
        'cluster/endpoint': 'https://abc.gr7.us-west-2.eks.amazonaws.com',
        'karpenter/node-role-name': 'dev-karpenter-node',
        'karpenter/interruption-queue-name': 'dev-karpenter',
        'network/vpc-id': 'vpc-0a1b2c3d4e5f60718',
      },
    };
    const facts = factsFromLookups('dev', 'us-west-2', doc, []);
    const cluster = { name: 'dev', facts, karpenter: { controller: { replicas: 2 } } } as unknown as ClusterConfig;
    expect(karpenterValues(cluster).settings.interruptionQueue).toBe('dev-karpenter');
  });
});

describe('committed lookups files hold what a real bootstrap writes', () => {
  it('has a lookups file per registered cluster', () => {
    expect(lookupsFiles).toEqual(
      Object.keys(clusters)
        .map((c) => `${c}.lookups.json`)
        .sort(),
    );
  });

  it.each(lookupsFiles)('%s: the names are the ones terraform/bootstrap gives the node role and the queue', (file) => {
    const cluster = file.replace(/\.lookups\.json$/, '');
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'clusters', file), 'utf8')) as { parameters: Record<string, string>; prefix: string; region: string };
    expect(doc.prefix).toBe(ssmPrefix(cluster));
    for (const fact of ['karpenter/node-role-name', 'karpenter/interruption-queue-name']) {
      expect(doc.parameters[fact], `clusters/${file}: parameters.${fact}`).toBe(nameWritten(fact, cluster));
    }
  });

  it.each(lookupsFiles)('%s: the AWS-generated values have the shape AWS gives them', (file) => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'clusters', file), 'utf8')) as { parameters: Record<string, string>; region: string };
    expect(ssmFacts()['cluster/endpoint']).toBe('${module.eks.cluster_endpoint}');
    expect(doc.parameters['cluster/endpoint']).toMatch(new RegExp(`^https://[0-9A-F]{32}\\.[a-z0-9]{3}\\.${doc.region}\\.eks\\.amazonaws\\.com$`));
    expect(ssmFacts()['network/vpc-id']).toBe('${module.vpc.vpc_id}');
    expect(doc.parameters['network/vpc-id']).toMatch(/^vpc-[0-9a-f]{17}$/);
  });

  it('fails when a lookups file carries a name Terraform never writes', () => {
    expect(nameWritten('karpenter/node-role-name', 'prod')).not.toBe('eksai-prod-karpenter-node');
    expect(nameWritten('karpenter/node-role-name', 'prod')).toBe('prod-karpenter-node');
    expect(nameWritten('karpenter/interruption-queue-name', 'prod')).toBe('prod-karpenter');
  });
});

describe('one Kubernetes version, from the cluster config', () => {
  it('reads the version from the file synth writes; the variable has no default of its own', () => {
    expect(tf.locals.generated_file).toBe(`\${path.module}/../../dist/\${var.cluster_name}/${BOOTSTRAP_INPUT_PATH}`);
    expect(tf.locals.generated).toBe('${fileexists(local.generated_file) ? jsondecode(file(local.generated_file)) : null}');
    expect(tf.locals.kubernetes_version).toBe('${try(local.generated.kubernetes_version, var.kubernetes_version)}');
    expect(moduleBlock(tf, 'eks').cluster_version).toBe('${local.kubernetes_version}');
    expect(moduleBlock(tf, 'core_node_group').cluster_version).toBe('${module.eks.cluster_version}');
    expect(tf.variable.kubernetes_version![0]!.default).toBeNull();
  });

  it('refuses a -var kubernetes_version that differs from the generated file', () => {
    const pre = resource(tf, 'terraform_data', 'inputs').lifecycle[0].precondition as { condition: string }[];
    expect(pre.map((p) => p.condition)).toContain(
      '${local.generated == null || var.kubernetes_version == null || var.kubernetes_version == try(local.generated.kubernetes_version, "")}',
    );
  });

  it('writes every cluster the version its manifests are validated and rendered against', () => {
    const sources = Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input }));
    const { configs } = loadClusters(sources, REPO_ROOT);
    expect(distClusters()).toEqual(configs.map((c) => c.name).sort());
    for (const c of configs) {
      expect(bootstrapInputOf(c.name), c.name).toMatchObject({ cluster_name: c.name, region: c.region, kubernetes_version: c.kubernetesVersion });
    }
  });
});

describe('terraform/bootstrap matches the generator', () => {
  it('labels and taints the core node group the way the charts select and tolerate it', () => {
    const ng = moduleBlock(tf, 'core_node_group');
    expect(ng.labels).toEqual(CORE_NODE_SELECTOR);
    expect(Object.values(ng.taints as Record<string, Block>)).toEqual([{ key: CORE_TOLERATIONS[0].key, value: 'true', effect: 'NO_SCHEDULE' }]);
  });

  it('binds the Karpenter controller role to the service account the chart uses', () => {
    expect(moduleBlock(tf, 'karpenter')).toMatchObject({ namespace: KARPENTER_NAMESPACE, service_account: 'karpenter', create_pod_identity_association: true });
  });

  it('installs Argo CD with the same Application health Lua as apps/argocd-cm.ts', () => {
    expect(readFileSync(join(BOOTSTRAP_DIR, 'argocd-application-health.lua'), 'utf8')).toBe(APPLICATION_HEALTH_LUA);
    expect(String(resource(tf, 'helm_release', 'argocd').values)).toContain(
      '"resource.customizations.health.argoproj.io_Application" = file("${path.module}/argocd-application-health.lua")',
    );
  });

  it('is formatted as `terraform fmt` formats it (hclwrite, the formatter terraform fmt uses)', async () => {
    const files = readdirSync(BOOTSTRAP_DIR)
      .filter((f) => f.endsWith('.tf'))
      .sort();
    const unformatted: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(BOOTSTRAP_DIR, f), 'utf8');
      if ((await format(text)) !== text) unformatted.push(f);
    }
    expect(unformatted, 'run terraform fmt in terraform/bootstrap').toEqual([]);
    expect(await format('a {\n  x = 1\n  longer = 2\n}\n')).toBe('a {\n  x      = 1\n  longer = 2\n}\n');
  });

  it('refers only to variables, locals, modules, resources and data sources it declares (what terraform validate checks)', () => {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk([tf.resource, tf.data, tf.module, tf.output, tf.locals, tf.variable]);
    const missing = new Set<string>();
    for (const text of strings.filter((x) => x.includes('${'))) {
      for (const [, name] of text.matchAll(/\bvar\.(\w+)/g)) if (!tf.variable[name!]) missing.add(`var.${name}`);
      for (const [, name] of text.matchAll(/\blocal\.(\w+)/g)) if (!(name! in tf.locals)) missing.add(`local.${name}`);
      for (const [, name] of text.matchAll(/\bmodule\.(\w+)/g)) if (!tf.module[name!]) missing.add(`module.${name}`);
      for (const [, type, name] of text.matchAll(/\bdata\.(\w+)\.(\w+)/g)) if (!tf.data[type!]?.[name!]) missing.add(`data.${type}.${name}`);
      for (const [, type, name] of text.matchAll(/(?<![.\w])((?:aws|helm|terraform)_\w+)\.(\w+)/g))
        if (!tf.resource[type!]?.[name!]) missing.add(`${type}.${name}`);
    }
    expect([...missing].sort()).toEqual([]);
  });

  it('pins providers and modules and documents every variable', () => {
    const providers = (tf.terraform[0]!.required_providers as Block[])[0] as Record<string, { version: string }>;
    for (const [name, p] of Object.entries(providers)) expect(p.version, `provider ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, [m]] of Object.entries(tf.module)) expect(m!.version, `module ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, [v]] of Object.entries(tf.variable)) {
      expect(v, `variable ${name}`).toHaveProperty('description');
      expect(v, `variable ${name}`).toHaveProperty('type');
      if (v!.type !== '${bool}') expect(v, `variable ${name}`).toHaveProperty('validation');
    }
  });
});

describe('state and API access', () => {
  it('keeps one state per cluster: an S3 backend and a workspace named after the cluster', () => {
    expect(tf.terraform.map((t) => Object.keys((t.backend ?? {}) as Block)).flat()).toEqual(['s3']);
    const pre = resource(tf, 'terraform_data', 'inputs').lifecycle[0].precondition as { condition: string; error_message: string }[];
    const guard = pre.find((p) => p.condition === '${terraform.workspace == var.cluster_name}');
    expect(guard?.error_message).toContain('terraform workspace select -or-create ${var.cluster_name}');
  });

  it('reaches its own cluster: public endpoint on, restricted to required operator CIDRs; private endpoint for nodes', () => {
    expect(moduleBlock(tf, 'eks')).toMatchObject({
      cluster_endpoint_public_access: true,
      cluster_endpoint_private_access: true,
      cluster_endpoint_public_access_cidrs: '${var.endpoint_public_access_cidrs}',
    });
    const v = tf.variable.endpoint_public_access_cidrs![0]!;
    expect(v, 'endpoint_public_access_cidrs must be required (no default)').not.toHaveProperty('default');
  });

  it('fails when the operator CIDRs open the API to everyone or are missing (variable validation)', () => {
    const conditions = (tf.variable.endpoint_public_access_cidrs![0]!.validation as { condition: string }[]).map((c) => c.condition);
    expect(conditions).toEqual([
      '${length(var.endpoint_public_access_cidrs) > 0 && alltrue([for cidr in var.endpoint_public_access_cidrs : can(cidrnetmask(cidr))])}',
      // 0.0.0.0/0 and anything shorter than /8 is refused.
      '${alltrue([for cidr in var.endpoint_public_access_cidrs : try(tonumber(split("/", cidr)[1]) >= 8, false)])}',
    ]);
  });
});
