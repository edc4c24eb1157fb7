import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../../pipeline/validate';
import { decodeBuiltinNulls, pruneCustomResourceNulls } from '../../../pipeline/validate/nulls';

process.env.EKSAI_SCHEMA_MIRROR = resolve(__dirname, '../../../../shared/schemas'); // tests run in temp folders

const NODEPOOL = (spec: string, meta = 'name: gpu'): string => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {${meta}}
spec:
${spec}
`;
const TEMPLATE = (nodeClassRef = '{group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}'): string => `  template:
    metadata: {labels: null, annotations: null}
    spec:
      nodeClassRef: ${nodeClassRef}
      requirements: [{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]
      taints: null`;

let dir: string;
const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eksai-nulls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problems(name: string): Promise<string[]> {
  const { results } = await validate({ cwd: dir, paths: [name], policies: false });
  expect(results).toHaveLength(1);
  return results[0]!.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('validate: nulls as the API server decodes them', () => {
  it('passes built-in kinds with nulls Helm templates emit (null is the zero value)', async () => {
    const file = write(
      'service.yaml',
      `apiVersion: v1
kind: Service
metadata: {name: hubble-peer, namespace: kube-system, labels: null, annotations: null}
spec:
  selector: null
  ports: [{name: null, port: 443, targetPort: 4244, protocol: null}]
  externalIPs: null
`,
    );
    expect(await problems(file)).toEqual([]);
  });

  it('fails when a built-in kind has a wrong value next to decoded nulls (only the real error is reported)', async () => {
    const file = write(
      'svc-bad.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: null}\nspec: {ports: [{name: null, port: https}], selector: null}\n',
    );
    expect(await problems(file)).toEqual(['spec.ports[0].port: must be integer']);
  });

  it('passes a custom resource whose non-nullable optional fields are null (pruned), and a null with a default (defaulted)', async () => {
    const file = write(
      'np.yaml',
      NODEPOOL(
        `  weight: null\n  limits: null\n  disruption: {consolidationPolicy: null, consolidateAfter: 30s, budgets: null}\n${TEMPLATE()}`,
        'name: gpu, labels: null, annotations: null',
      ),
    );
    expect(await problems(file)).toEqual([]);
  });

  it('fails when a null sits in a required non-nullable field of a custom resource: pruned, then missing, as the API server reports it', async () => {
    const file = write('np-ref.yaml', NODEPOOL(TEMPLATE('null')));
    expect(await problems(file)).toEqual(['spec.template.spec.nodeClassRef: required field is missing']);
  });

  it('fails when a null is an unknown field of a custom resource (pruning only touches fields the schema declares)', async () => {
    const file = write('np-unknown.yaml', NODEPOOL(`  wieght: null\n${TEMPLATE()}`));
    expect(await problems(file)).toEqual(['spec.wieght: unknown field']);
  });
});

describe('nulls: decode functions', () => {
  const schema = {
    type: 'object',
    properties: {
      keep: { type: 'string', nullable: true },
      drop: { type: 'string' },
      dflt: { type: 'string', default: 'x' },
      list: { type: 'array', items: { type: 'string' } },
      open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      map: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };

  it('keeps nullable nulls, prunes the others, defaults those with a default, leaves list items and undeclared fields', () => {
    const value = { metadata: { labels: null, name: 'a' }, keep: null, drop: null, dflt: null, list: [null], open: { any: null }, map: { a: null } };
    expect(pruneCustomResourceNulls(value, schema)).toEqual({ metadata: { name: 'a' }, keep: null, dflt: 'x', list: [null], open: { any: null }, map: {} });
  });

  it('never mutates its input (aliased YAML values are shared) and returns the same object when there is no null', () => {
    const shared = { name: null, port: 80 };
    const value = { a: shared, b: [shared] };
    expect(decodeBuiltinNulls(value)).toEqual({ a: { port: 80 }, b: [{ port: 80 }] });
    expect(shared).toEqual({ name: null, port: 80 });
    const clean = { a: { b: [1, { c: 'd' }] } };
    expect(decodeBuiltinNulls(clean)).toBe(clean);
    expect(pruneCustomResourceNulls(clean, schema)).toBe(clean);
  });
});
