import { describe, expect, test } from 'vitest';
import { ConfigError, formatProblem } from '../../lib/errors';
import { loadClusters } from '../../charts/checks';
import { parseQuantity } from '../../lib/config/quantity';
import { loadErrors, minimalInput, REPO, source } from '../helpers';

const pool = (patch: Record<string, unknown>) => ({
  karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 }, ...patch }] },
});
const team = (patch: Record<string, unknown>) => ({ teams: [{ name: 't', ...patch }] });

describe('config problems are reported all at once', () => {
  test('fails with shape, rule and lookups problems of one run together', () => {
    const errors = loadErrors(minimalInput({ region: 'us-wset-2', cilum: {}, ...pool({ expireAftr: '1h' }) }), {
      parameters: { 'network/vpc-id': 'vpc-0123456789abcdef0' },
    });
    expect(errors).toEqual([
      "clusters/minimal.ts: karpenter.nodePools[general].expireAftr is not a known key: did you mean 'expireAfter'?",
      "clusters/minimal.ts: cilum is not a known key: did you mean 'cilium'?",
      `clusters/minimal.ts: region is not an AWS region with EKS (got "us-wset-2"): did you mean 'us-west-2'?`,
      'clusters/minimal.lookups.json: parameters.cluster/endpoint is missing: SSM parameter /eksai/minimal/cluster/endpoint (https URL of the EKS API server) was not found: run `eksai lookup --cluster minimal` after terraform/bootstrap has written it',
      'clusters/minimal.lookups.json: parameters.karpenter/node-role-name is missing: SSM parameter /eksai/minimal/karpenter/node-role-name (IAM role name Karpenter nodes run as) was not found: run `eksai lookup --cluster minimal` after terraform/bootstrap has written it',
      'clusters/minimal.lookups.json: parameters.karpenter/interruption-queue-name is missing: SSM parameter /eksai/minimal/karpenter/interruption-queue-name (SQS queue Karpenter reads interruption events from) was not found: run `eksai lookup --cluster minimal` after terraform/bootstrap has written it',
    ]);
  });

  test('fails when a list item has a broken required value, and still runs the rules on the other items', () => {
    const errors = loadErrors(minimalInput({ teams: [{ name: 'Bad_Name' }, { name: 'kube-system' }] }));
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[Bad_Name].name must be a DNS-1123 label (lowercase letters, digits, "-") (got "Bad_Name")',
      expect.stringMatching(/^clusters\/minimal\.ts: teams\[kube-system\]\.name is a system or platform namespace/),
    ]);
  });

  test('fails when a value of the wrong type hides nothing: the rule on the same key is not repeated', () => {
    const errors = loadErrors(
      minimalInput({
        region: 'mars-1',
        karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'gpu', kind: 'gpu', limits: { gpu: 'four' } }] },
      }),
    );
    expect(errors).toEqual([
      'clusters/minimal.ts: karpenter.nodePools[gpu].limits.gpu expected number, received string (got "four")',
      expect.stringMatching(/^clusters\/minimal\.ts: region is not an AWS region with EKS \(got "mars-1"\)/),
    ]);
  });
});

describe('values a config cannot hold are config errors with path and value', () => {
  test.each([
    [
      'NaN',
      { ...pool({ limits: { cpu: NaN } }) },
      'clusters/minimal.ts: karpenter.nodePools[general].limits.cpu is NaN, not a finite number: use a finite number',
    ],
    [
      'Infinity',
      team({ queue: { capability: { gpu: Infinity } } }),
      'clusters/minimal.ts: teams[t].queue.capability.gpu is Infinity, not a finite number: use a finite number',
    ],
    [
      '-Infinity',
      { cilium: { operatorReplicas: -Infinity } },
      'clusters/minimal.ts: cilium.operatorReplicas is -Infinity, not a finite number: use a finite number',
    ],
    ['a BigInt', { tags: { x: 10n } }, 'clusters/minimal.ts: tags.x is a BigInt (10n): use a plain number'],
    [
      'a function',
      { cilium: { enabled: () => true } },
      'clusters/minimal.ts: cilium.enabled is a function: a config holds only strings, numbers, booleans, arrays and objects: replace it with plain data',
    ],
    [
      'a symbol',
      { tags: { x: Symbol('x') } },
      'clusters/minimal.ts: tags.x is a symbol: a config holds only strings, numbers, booleans, arrays and objects: replace it with plain data',
    ],
    ['a Date', { tags: { x: new Date(0) } }, 'clusters/minimal.ts: tags.x is a Date, not a plain object: use a plain object, string or number'],
    [
      'a huge string',
      { tags: { x: 'a'.repeat(100_000) } },
      'clusters/minimal.ts: tags.x is too long (100000 characters, at most 65536) (got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"): shorten it',
    ],
  ])('fails when a value is %s', (_, patch, expected) => {
    expect(loadErrors(minimalInput(patch))).toEqual([expected]);
  });

  test('fails when the config has a cycle, a throwing getter or deep nesting, without a stack trace', () => {
    const cyclic: Record<string, unknown> = { efs: true };
    cyclic.self = cyclic;
    const getter = Object.defineProperty({}, 'enabled', {
      enumerable: true,
      get: () => {
        throw new Error('nope');
      },
    });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 40; i++) deep = deep.x = {};
    const errors = loadErrors(minimalInput({ storage: cyclic, cilium: getter, tags: root }));
    expect(errors).toContain('clusters/minimal.ts: storage.self is a circular reference to storage: use plain data without cycles');
    expect(errors).toContain('clusters/minimal.ts: cilium.enabled cannot be read: nope: use plain data, not getters');
    expect(errors.some((e) => /^clusters\/minimal\.ts: tags(\.x)+ is nested deeper than 32 levels/.test(e))).toBe(true);
  });

  test.each([
    ['__proto__ at the top', '{"__proto__": {"polluted": true}}', '__proto__'],
    [
      'constructor in labels',
      '{"karpenter": {"nodePools": [{"name": "general", "kind": "cpu", "limits": {"cpu": 1}, "labels": {"constructor": "x"}}], "nodeClasses": [{"name": "default", "amiAlias": "al2023@v20251117"}]}}',
      'karpenter.nodePools[general].labels.constructor',
    ],
    ['prototype in tags', '{"tags": {"prototype": "x"}}', 'tags.prototype'],
  ])('fails when the config has a prototype key: %s', (_, json, path) => {
    const input = { ...minimalInput(), ...(JSON.parse(json) as object) };
    for (const [k, v] of Object.entries(JSON.parse(json) as object)) Object.defineProperty(input, k, { value: v, enumerable: true });
    expect(loadErrors(input)).toEqual([
      `clusters/minimal.ts: ${path} is a reserved key, not a config key: remove it (__proto__, constructor, prototype are never config keys)`,
    ]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  test.each([null, 42, 'dev', [], undefined])('fails when the file exports %s instead of an object, with one problem', (value) => {
    const errors = loadClusters.bind(null, [{ ...source(minimalInput()), input: value }], REPO);
    expect(errors).toThrow(ConfigError);
    try {
      errors();
    } catch (err) {
      const lines = (err as ConfigError).problems.map(formatProblem);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        value === undefined
          ? /^clusters\/minimal\.ts has no default export: export default defineCluster/
          : /^clusters\/minimal\.ts must export an object, not (null|number|string|an array): export default defineCluster/,
      );
    }
  });
});

test.each(['main\n---\nkind: Secret', 'a b', '../x', 'x..y', '-x', 'x.lock', 'refs/heads/', ''])(
  'fails when gitops.targetRevision is not a git ref: %j',
  (rev) => {
    expect(loadErrors(minimalInput({ gitops: { repoURL: 'https://github.com/acme/platform.git', targetRevision: rev } }))).toEqual([
      `clusters/minimal.ts: gitops.targetRevision must be a git branch, tag or commit such as main, release/1.4 or v1.2.0 (got ${JSON.stringify(rev)})`,
    ]);
  },
);

describe('one quantity parser for every typed quantity', () => {
  test.each([
    ['pool limits', pool({ limits: { cpu: -1 } }), 'karpenter.nodePools[general].limits.cpu must not be negative (got -1)'],
    [
      'pool memory as a bare number',
      pool({ limits: { cpu: 1, memory: 256 } }),
      "karpenter.nodePools[general].limits.memory must be a string with a unit: did you mean '256Gi'? (got 256)",
    ],
    ['queue capability', team({ queue: { capability: { cpu: '-2' } } }), 'teams[t].queue.capability.cpu must not be negative (got "-2")'],
    [
      'queue memory without a unit',
      team({ queue: { capability: { memory: '64' } } }),
      `teams[t].queue.capability.memory must have a unit: did you mean '64Gi'? (got "64")`,
    ],
    [
      'quota memory in millibytes',
      team({ quota: { requests: { memory: '10m' } } }),
      `teams[t].quota.requests.memory uses m (milli): did you mean '10Mi'? (got "10m")`,
    ],
    ['quota storage', team({ quota: { storage: 5 } }), "teams[t].quota.storage must be a string with a unit: did you mean '5Gi'? (got 5)"],
    [
      'container defaults',
      team({ containerDefaults: { limit: { memory: '-5Gi' } } }),
      'teams[t].containerDefaults.limit.memory must not be negative (got "-5Gi")',
    ],
    ['a Ray head', team({ ray: { head: { cpu: 'lots' } } }), `teams[t].ray.head.cpu must be a CPU quantity such as 4, '500m' or '1.5' (got "lots")`],
    [
      'a Ray worker group',
      team({ ray: { workerGroups: [{ name: 'w', cpu: 2, memory: 8, maxReplicas: 1 }] } }),
      "teams[t].ray.workerGroups[w].memory must be a string with a unit: did you mean '8Gi'? (got 8)",
    ],
    ['a boolean', pool({ limits: { cpu: true } }), `karpenter.nodePools[general].limits.cpu must be a CPU quantity such as 4, '500m' or '1.5' (got true)`],
  ])('fails when a quantity is negative or malformed: %s', (_, patch, expected) => {
    expect(loadErrors(minimalInput(patch))).toContain(`clusters/minimal.ts: ${expected}`);
  });

  test('parses the Kubernetes quantity forms', () => {
    expect(parseQuantity('500m', 'cpu')).toEqual({ value: 0.5 });
    expect(parseQuantity('1.5', 'cpu')).toEqual({ value: 1.5 });
    expect(parseQuantity('1e3', 'cpu')).toEqual({ value: 1000 });
    expect(parseQuantity('.5', 'cpu')).toEqual({ value: 0.5 });
    expect(parseQuantity('256Gi', 'memory')).toEqual({ value: 256 * 1024 ** 3 });
    expect(parseQuantity('1G', 'memory')).toEqual({ value: 1e9 });
    expect(parseQuantity('1e400', 'cpu')).toMatchObject({ error: expect.stringContaining('too large') });
    expect(parseQuantity('1.2.3', 'cpu')).toMatchObject({ error: expect.stringContaining('must be a CPU quantity') });
    expect(parseQuantity('5 Gi', 'memory')).toMatchObject({ error: expect.stringContaining('must be a memory quantity') });
  });
});
