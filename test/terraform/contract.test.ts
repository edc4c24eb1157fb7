import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_HEALTH_LUA } from '../../apps/argocd-cm';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS, KARPENTER_NAMESPACE, karpenterValues } from '../../charts/karpenter';
import type { ClusterConfig } from '../../lib/config/types';
import { factsFromLookups } from '../../lib/lookups/file';
import { REQUIRED_PARAMETERS, ssmPrefix } from '../../lib/lookups/parameters';

/**
 * The SSM contract of DESIGN.md, checked from both sides: what terraform/bootstrap writes and what
 * the generator reads. Terraform cannot run here, so the .tf files are parsed (hcl2json) and compared.
 */

const DIR = join(__dirname, '..', '..', 'terraform', 'bootstrap');
type Block = Record<string, unknown>;
type Tf = { resource: Record<string, Record<string, Block[]>>; locals: Block[]; module: Record<string, Block[]>; variable: Record<string, Block[]>; terraform: Block[] };

let tf: Tf;
let locals: Block;

/** One resource/module block by type and name. */
function block(type: string, name: string): Block {
  const b = tf.resource[type]?.[name]?.[0];
  if (!b) throw new Error(`terraform/bootstrap: resource ${type}.${name} not found`);
  return b;
}

/** `${local.x}` → the value of local x. */
function localOf(expr: unknown): unknown {
  const m = /^\$\{local\.(\w+)\}$/.exec(String(expr));
  if (!m) throw new Error(`expected a \${local.*} reference, got ${String(expr)}`);
  return locals[m[1]!];
}

/** Every SSM parameter name terraform/bootstrap writes, relative to /eksai/<cluster>/. */
function ssmNamesWritten(): string[] {
  const prefixExpr = ssmPrefix('${var.cluster_name}');
  const names: string[] = [];
  for (const [rname, blocks] of Object.entries(tf.resource.aws_ssm_parameter ?? {})) {
    for (const b of blocks) {
      const name = String(b.name).replace('${local.ssm_prefix}', String(locals.ssm_prefix));
      expect(name.startsWith(prefixExpr), `aws_ssm_parameter.${rname} name ${name} must start with ${prefixExpr}`).toBe(true);
      const rel = name.slice(prefixExpr.length);
      if (b.for_each !== undefined) {
        expect(rel).toBe('${each.key}');
        names.push(...Object.keys(localOf(b.for_each) as Block));
      } else {
        names.push(rel);
      }
    }
  }
  return names.sort();
}

beforeAll(async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.tf')).sort();
  const merged: Record<string, any> = {};
  for (const f of files) {
    const doc = await parse(f, readFileSync(join(DIR, f), 'utf8'));
    for (const [kind, value] of Object.entries(doc)) {
      if (Array.isArray(value)) merged[kind] = [...(merged[kind] ?? []), ...value];
      else {
        const into = (merged[kind] ??= {}) as Record<string, any>;
        for (const [t, v] of Object.entries(value as Block)) into[t] = Array.isArray(v) ? [...(into[t] ?? []), ...v] : { ...(into[t] ?? {}), ...(v as Block) };
      }
    }
  }
  tf = merged as Tf;
  locals = Object.assign({}, ...tf.locals);
});

describe('terraform/bootstrap SSM contract', () => {
  it('writes exactly the SSM parameters the generator requires, under /eksai/<cluster>/', () => {
    expect(locals.ssm_prefix).toBe(ssmPrefix('${var.cluster_name}'));
    expect(ssmNamesWritten()).toEqual(Object.keys(REQUIRED_PARAMETERS).sort());
  });

  it('writes plain String parameters (lookup reads with decryption off)', () => {
    for (const blocks of Object.values(tf.resource.aws_ssm_parameter ?? {})) {
      for (const b of blocks) expect(b.type).toBe('String');
    }
  });

  it('points every EventBridge interruption rule at the queue whose name feeds interruption-queue-name', () => {
    const params = localOf(block('aws_ssm_parameter', 'facts').for_each) as Block;
    const m = /^\$\{aws_sqs_queue\.(\w+)\.name\}$/.exec(String(params['karpenter/interruption-queue-name']));
    expect(m, 'karpenter/interruption-queue-name must be an aws_sqs_queue name').not.toBeNull();
    const queue = m![1]!;
    const targets = Object.entries(tf.resource.aws_cloudwatch_event_target ?? {});
    expect(targets.length).toBeGreaterThan(0);
    for (const [name, [t]] of targets) {
      expect(t!.arn, `aws_cloudwatch_event_target.${name}`).toBe(`\${aws_sqs_queue.${queue}.arn}`);
      const rule = /^\$\{aws_cloudwatch_event_rule\.(\w+)(\[each\.key\])?\.name\}$/.exec(String(t!.rule));
      expect(rule).not.toBeNull();
      expect(t!.for_each).toBe(block('aws_cloudwatch_event_rule', rule![1]!).for_each);
    }
    const sqs = block('aws_sqs_queue', queue);
    expect(sqs).toMatchObject({ message_retention_seconds: 300, sqs_managed_sse_enabled: true });
  });

  it('routes the five event kinds Karpenter handles', () => {
    const events = localOf(block('aws_cloudwatch_event_rule', 'interruption').for_each) as Record<string, { 'detail-type': string[]; source: string[] }>;
    expect(Object.values(events).map((e) => `${e.source[0]}: ${e['detail-type'][0]}`).sort()).toEqual([
      'aws.ec2: EC2 Capacity Reservation Instance Interruption Warning',
      'aws.ec2: EC2 Instance Rebalance Recommendation',
      'aws.ec2: EC2 Instance State-change Notification',
      'aws.ec2: EC2 Spot Instance Interruption Warning',
      'aws.health: AWS Health Event',
    ]);
  });

  it('feeds the queue name into the Karpenter settings through lookups', () => {
    const doc = { parameters: { 'cluster/endpoint': 'https://abc.gr7.us-west-2.eks.amazonaws.com', 'karpenter/node-role-name': 'dev-karpenter-node', 'karpenter/interruption-queue-name': 'dev-karpenter', 'network/vpc-id': 'vpc-0a1b2c3d4e5f60718' } };
    const facts = factsFromLookups('dev', 'us-west-2', doc, []);
    const cluster = { name: 'dev', facts, karpenter: { controller: { replicas: 2 } } } as unknown as ClusterConfig;
    expect(karpenterValues(cluster).settings.interruptionQueue).toBe('dev-karpenter');
  });
});

describe('terraform/bootstrap matches the generator', () => {
  it('labels and taints the core node group the way the charts select and tolerate it', () => {
    const ng = (tf.module.eks![0]!.eks_managed_node_groups as Record<string, Block>).core!;
    expect(ng.labels).toEqual(CORE_NODE_SELECTOR);
    expect(Object.values(ng.taints as Record<string, Block>)).toEqual([{ key: CORE_TOLERATIONS[0].key, value: 'true', effect: 'NO_SCHEDULE' }]);
  });

  it('binds the Karpenter controller role to the service account the chart uses', () => {
    expect(tf.module.karpenter![0]).toMatchObject({ namespace: KARPENTER_NAMESPACE, service_account: 'karpenter', create_pod_identity_association: true });
  });

  it('installs Argo CD with the same Application health Lua as apps/argocd-cm.ts', () => {
    expect(readFileSync(join(DIR, 'argocd-application-health.lua'), 'utf8')).toBe(APPLICATION_HEALTH_LUA);
    expect(String(block('helm_release', 'argocd').values)).toContain('"resource.customizations.health.argoproj.io_Application" = file("${path.module}/argocd-application-health.lua")');
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
