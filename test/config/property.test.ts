import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { ConfigError, formatProblem } from '../../lib/errors';
import { loadCluster } from '../../charts/checks';
import { buildCluster } from '../../pipeline/synth/build';
import { manifestPath, renderCluster } from '../../pipeline/synth/render';
import { lookupsFor, minimalInput, REPO } from '../helpers';
import { BOOTSTRAP_INPUT_PATH } from '../../pipeline/synth/bootstrap';

/** A valid cluster that reaches most components: a team with Ray, notebooks, budgets, tags, labels, taints. */
const BASE = minimalInput({
  name: 'prop',
  tags: { team: 'platform' },
  teams: [{ name: 'research', queue: { weight: 1, capability: { cpu: 64, memory: '256Gi', gpu: 4 } } }],
  jupyterhub: { auth: { kind: 'dummy', adminUsers: ['admin'] } },
  karpenter: {
    nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117', tags: { owner: 'ml' } }],
    nodePools: [
      {
        name: 'general',
        kind: 'cpu',
        limits: { cpu: 200, memory: '800Gi' },
        labels: { tier: 'general' },
        budgets: [{ nodes: '10%', schedule: '0 9 * * mon-fri', duration: '8h' }],
      },
      { name: 'gpu', kind: 'gpu', instanceFamilies: ['g5'], limits: { cpu: 64, memory: '512Gi', gpu: 4 } },
    ],
  },
}) as unknown as Record<string, unknown>;

const circular = (): unknown => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

const SPECIAL_STRINGS = [
  '\n---\nkind: Secret\nmetadata:\n  name: stolen',
  'x\n---\napiVersion: v1\nkind: Secret',
  "'",
  '"',
  '`${process.exit(7)}`',
  '*/',
  '/*',
  '\u2028',
  '\u2029',
  ': x',
  'a: b',
  '- a',
  '&anchor',
  '*alias',
  '!!js/function f',
  '!!binary x',
  '{a: b}',
  '[1, 2]',
  '# comment',
  '%YAML 1.1',
  '@x',
  'null',
  'Null',
  'true',
  'on',
  'yes',
  'no',
  'off',
  'y',
  '~',
  '0x1F',
  '0o17',
  '1e3',
  '1:20',
  '0755',
  '.inf',
  '.NaN',
  '',
  ' lead',
  'trail ',
  '\t',
  '\u0000',
  '\ufeff',
  '\r\n',
  'a'.repeat(70_000),
  '<<',
  '=',
  '?',
  '|',
  '>',
  '...',
  '---',
  'main',
  'us-west-2',
  '256Gi',
  '-1',
  '500m',
];

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'kind', 'apiVersion', 'team', '\n---\n', 'a: b', '', 'name'),
  fc.string({ maxLength: 8 }),
);
const hostileString = fc.oneof(
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** An object with own keys exactly as given, `__proto__` included (a literal or assignment would set the prototype). */
const ownObject = (entries: readonly (readonly [string, unknown])[]) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1e308, 2 ** 53 + 1, 256, 64),
  fc.bigInt(),
  fc.constantFrom(null, undefined, true, false),
  fc.array(hostileString, { maxLength: 3 }),
  fc.array(fc.tuple(hostileKey, hostileString), { maxLength: 3 }).map(ownObject),
  fc.constantFrom(() => 1, Symbol('s'), new Date(0), new Map(), circular()),
);

const K = '<key>';
/** Where a mutation lands; `<key>` is replaced by a generated key. */
const PATHS: readonly (readonly (string | number)[])[] = [
  ['name'],
  ['region'],
  ['environment'],
  ['gitops', 'repoURL'],
  ['gitops', 'targetRevision'],
  ['gitops', 'sync'],
  ['tags', K],
  ['tags'],
  [K],
  ['karpenter', K],
  ['karpenter', 'nodeClasses', 0, 'tags', K],
  ['karpenter', 'nodeClasses', 0, 'amiAlias'],
  ['karpenter', 'nodeClasses', 0, 'rootVolumeGiB'],
  ['karpenter', 'nodePools', 0, 'labels', K],
  ['karpenter', 'nodePools', 0, 'limits', 'cpu'],
  ['karpenter', 'nodePools', 0, 'limits', 'memory'],
  ['karpenter', 'nodePools', 0, 'budgets', 0, 'schedule'],
  ['karpenter', 'nodePools', 0, 'budgets', 0, 'nodes'],
  ['karpenter', 'nodePools', 0, 'taints'],
  ['karpenter', 'nodePools', 0, 'taints', 0, 'value'],
  ['karpenter', 'nodePools', 0, 'expireAfter'],
  ['karpenter', 'nodePools', 1, 'instanceFamilies', 0],
  ['teams', 0, 'name'],
  ['teams', 0, 'queue', 'capability', 'memory'],
  ['teams', 0, 'queue', 'capability', 'cpu'],
  ['teams', 0, 'quota', 'requests', 'cpu'],
  ['teams', 0, 'quota', 'storage'],
  ['teams', 0, 'containerDefaults', 'limit', 'memory'],
  ['teams', 0, 'ray', 'head', 'memory'],
  ['teams', 0, 'ray', 'workerGroups'],
  ['jupyterhub', 'auth', 'adminUsers', 0],
  ['jupyterhub', 'image'],
  ['jupyterhub', 'idleTimeout'],
  ['jupyterhub', 'storage'],
  ['smoke', 'team'],
  ['observability', 'prometheus', 'retention'],
];

type Mutation = readonly [readonly (string | number)[], string, unknown];
const mutation: fc.Arbitrary<Mutation> = fc.tuple(fc.constantFrom(...PATHS), hostileKey, hostileValue);

/** Sets value at path (with `<key>` = key), creating containers, as own properties. */
function mutate(root: Record<string, unknown>, [path, key, value]: Mutation): void {
  const keys = path.map((k) => (k === K ? key : k));
  let node: Record<string | number, unknown> = root;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== 'object')
      Object.defineProperty(node, k, { value: typeof keys[keys.indexOf(k) + 1] === 'number' ? [] : {}, enumerable: true, writable: true, configurable: true });
    node = node[k] as Record<string | number, unknown>;
  }
  Object.defineProperty(node, keys[keys.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
}

/** The invariant: a config is rejected with problems, or its dist parses back to exactly the objects synth built (no injected key or document). */
function configToSynth(input: unknown): 'rejected' | 'synthesized' {
  const result = loadCluster({ name: 'prop', file: 'clusters/prop.ts', input, lookups: lookupsFor('prop', 'us-west-2', input) }, REPO);
  if ('errors' in result) {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const p of result.errors) expect(formatProblem(p)).toMatch(/^clusters\/prop\.(ts|lookups\.json)[: ]/);
    return 'rejected';
  }
  let files: ReadonlyMap<string, string>;
  let built: ReturnType<typeof buildCluster>;
  try {
    built = buildCluster(result.config);
    files = renderCluster(built);
  } catch (err) {
    if (err instanceof ConfigError) return 'rejected';
    throw err;
  }
  let objects = 0;
  for (const [chartId, objs] of built.charts) {
    for (const obj of objs) {
      objects++;
      const text = files.get(manifestPath(chartId, obj, built.multiNamespace?.has(chartId) ?? false))!;
      // YAML 1.2 core. (The yaml package's 1.1 schema reads a bare `.` as NaN, which go-yaml, what Kubernetes and Argo CD use, does not.)
      const docs = parseAllDocuments(text, { uniqueKeys: true });
      expect(Array.isArray(docs) ? docs.length : -1).toBe(1);
      const [doc] = docs as ReturnType<typeof parseAllDocuments> & unknown[];
      expect(doc!.errors).toEqual([]);
      expect(doc!.warnings).toEqual([]);
      expect(doc!.toJS({ maxAliasCount: 0 })).toEqual(JSON.parse(JSON.stringify(obj)));
    }
  }
  // Every object in its own file, plus terraform/bootstrap's input, which must parse to JSON naming this cluster's Cilium release.
  expect(files.size).toBe(objects + 1);
  expect(JSON.parse(files.get(BOOTSTRAP_INPUT_PATH)!)).toMatchObject({ kubernetes_version: result.config.kubernetesVersion });
  return 'synthesized';
}

describe('config → synth (property)', () => {
  test('the unmutated base config synthesizes', () => {
    expect(configToSynth(structuredClone(BASE))).toBe('synthesized');
  });

  test('hostile config inputs are rejected with problems or synthesize to YAML that parses to exactly the built objects', () => {
    const outcomes = { rejected: 0, synthesized: 0 };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const input = structuredClone(BASE);
        for (const m of mutations) mutate(input, m);
        outcomes[configToSynth(input)]++;
      }),
      { numRuns: 150 },
    );
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  // Free-text places the schema admits hostile strings in (user names, a cron schedule, AWS tags): they must reach the YAML inertly.
  const FREE_TEXT: readonly (readonly (string | number)[])[] = [
    ['jupyterhub', 'auth', 'adminUsers', 0],
    ['karpenter', 'nodePools', 0, 'budgets', 0, 'schedule'],
    ['tags', K],
    ['karpenter', 'nodeClasses', 0, 'tags', K],
    ['tags', 'team'],
  ];
  test('hostile strings in free-text values synthesize to YAML that parses to exactly the built objects, or are rejected', () => {
    const outcomes = { rejected: 0, synthesized: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...FREE_TEXT), fc.constantFrom('k', 'a: b', 'x/y', '@', 'é'), hostileString), { minLength: 1, maxLength: 3 }),
        (mutations) => {
          const input = structuredClone(BASE);
          for (const m of mutations) mutate(input, m);
          outcomes[configToSynth(input)]++;
        },
      ),
      { numRuns: 100 },
    );
    expect(outcomes.synthesized).toBeGreaterThan(10);
  });

  test.each([
    ['a Secret document in a git revision', ['gitops', 'targetRevision'], 'main\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen'],
    ['a Secret document in a JupyterHub admin name', ['jupyterhub', 'auth', 'adminUsers', 0], 'x\n---\nkind: Secret'],
    ['a sexagesimal in an AWS tag', ['tags', 'window'], '1:20'],
    ['a YAML 1.1 boolean in an AWS tag key and value', ['karpenter', 'nodeClasses', 0, 'tags', 'on'], 'yes'],
    ['a key that looks like YAML', ['tags', 'a: b'], 'c'],
  ])('%s is written inertly or rejected', (_, path, value) => {
    const input = structuredClone(BASE);
    mutate(input, [path, '', value]);
    expect(['rejected', 'synthesized']).toContain(configToSynth(input));
  });
});
