import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusters } from '../../../clusters';
import { synthesize } from '../../../pipeline/synth';
import { validate, type ValidationResult } from '../../../pipeline/validate';
import { eksai } from '../../helpers';

const cwd = resolve(__dirname, '../../..');
process.env.EKSAI_SCHEMA_MIRROR ??= '../shared/schemas';

const fixture = (name: string): string => `test/fixtures/manifests/${name}.yaml`;

async function one(name: string): Promise<ValidationResult> {
  const { results } = await validate({ cwd, paths: [fixture(name)] });
  expect(results).toHaveLength(1);
  return results[0]!;
}

describe('validate: schemas', () => {
  it.each(['valid-nodepool', 'valid-ec2nodeclass', 'valid-deployment'])('passes %s', async (name) => {
    const result = await one(name);
    expect(result.problems).toEqual([]);
    expect(result.status).toBe('valid');
  });

  it('fails when a field is unknown (Deployment container typo)', async () => {
    const result = await one('unknown-field');
    expect(result).toMatchObject({ status: 'invalid', kind: 'Deployment', name: 'web' });
    expect(result.problems).toEqual([{ path: 'spec.template.spec.containers[0].imagePullPolicyy', message: 'unknown field' }]);
  });

  it('fails when a field has the wrong type', async () => {
    const result = await one('wrong-type');
    expect(result.status).toBe('invalid');
    expect(result.problems).toEqual([{ path: 'spec.weight', message: 'must be integer' }]);
  });

  it('fails when a required field is missing', async () => {
    const result = await one('missing-required-field');
    expect(result.problems).toEqual([{ path: 'spec.template.spec.requirements', message: 'required field is missing' }]);
  });

  it('fails when an enum value is not allowed', async () => {
    const result = await one('bad-enum');
    expect(result.problems).toEqual([
      { path: 'spec.disruption.consolidationPolicy', message: 'must be one of ["WhenEmpty","WhenEmptyOrUnderutilized","Balanced"]' },
    ]);
  });
});

describe('validate: structural schema semantics', () => {
  it('passes upstream-style RayCluster, Queue, ServiceMonitor, PrometheusRule, CiliumNetworkPolicy, AppProject and core kinds', async () => {
    const { results } = await validate({ cwd, paths: [fixture('valid-upstream-kinds')] });
    expect(results.filter((r) => r.status !== 'valid')).toEqual([]);
    expect(results).toHaveLength(10);
  });

  it('fails when a custom resource has a bad name or a non-string annotation (ObjectMeta is checked for CRs too)', async () => {
    const result = await one('annotation-not-a-string');
    expect(result.problems.map((p) => [p.path, p.message.slice(0, 19)])).toEqual([
      ['metadata.name', 'must match pattern '],
      ['metadata.annotations["karpenter.sh/do-not-disrupt"]', 'must be string'],
    ]);
  });

  it('fails when an int-or-string field is neither', async () => {
    const result = await one('int-or-string-wrong-type');
    expect(result.problems).toEqual([{ path: 'spec.strategy.rollingUpdate.maxSurge', message: 'must be integer or string' }]);
  });

  it('fails when a oneOf is matched twice (CiliumNetworkPolicy with endpointSelector and nodeSelector)', async () => {
    const result = await one('cilium-policy-both-selectors');
    expect(result.problems).toContainEqual({ path: 'spec', message: 'matches more than one of its mutually exclusive forms: set only one of them' });
  });
});

describe('validate: list types and formats', () => {
  it('fails when an x-kubernetes-list-type: set has a duplicate item', async () => {
    const result = await one('list-type-set-duplicate');
    expect(result.problems).toEqual([
      { path: 'spec.disruption.budgets[0].reasons[2]', message: 'Duplicate value: "Empty": remove the duplicate or merge the entries' },
    ]);
  });

  it('fails when x-kubernetes-list-type: map entries share their keys (a missing key takes its default)', async () => {
    const result = await one('list-type-map-duplicate-key');
    expect(result.problems.map((p) => [p.path, p.message])).toEqual([
      [
        'spec.headGroupSpec.template.spec.containers[0].env[1]',
        'Duplicate value: {"name":"RAY_ADDRESS"} (entries of this list are keyed by name): remove the duplicate or merge the entries',
      ],
      [
        'spec.headGroupSpec.template.spec.containers[0].ports[1]',
        'Duplicate value: {"containerPort":6379,"protocol":"TCP"} (entries of this list are keyed by containerPort, protocol): remove the duplicate or merge the entries',
      ],
    ]);
  });

  it('fails when a custom resource field breaks a format the API server checks (cidr)', async () => {
    const result = await one('format-cidr-invalid');
    expect(result.problems).toEqual([{ path: 'spec.egress[0].toCIDR[1]', message: 'must be a valid cidr' }]);
  });

  it('fails when a Kubernetes field cannot be decoded (byte = base64, date-time = RFC 3339)', async () => {
    const result = await one('format-binary-data-not-base64');
    expect(result.problems).toEqual([
      { path: 'binaryData["bad.bin"]', message: 'must be a valid byte (base64)' },
      { path: 'metadata.creationTimestamp', message: 'must be a valid date-time (RFC 3339)' },
    ]);
  });
});

describe('validate: CEL rules', () => {
  it('fails when a NodePool budget has a schedule but no duration', async () => {
    const result = await one('cel-budget-schedule-without-duration');
    expect(result.status).toBe('invalid');
    expect(result.problems).toEqual([
      { path: 'spec.disruption.budgets', message: "'schedule' must be set with 'duration'", rule: 'self.all(x, has(x.schedule) == has(x.duration))' },
    ]);
  });

  it('fails when an EC2NodeClass AMI alias is combined with an id', async () => {
    const result = await one('cel-alias-with-id');
    expect(result.status).toBe('invalid');
    expect(result.problems.map((p) => p.message)).toContain(
      "'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
    );
    expect(result.problems.every((p) => p.path === 'spec.amiSelectorTerms')).toBe(true);
  });
});

describe('validate: files and documents', () => {
  it('validates every document of a multi-document file, skips empty documents and reports unknown kinds as skipped', async () => {
    const { results } = await validate({ cwd, paths: [fixture('multi-document')] });
    expect(results.map((r) => [r.line, r.kind, r.status])).toEqual([
      [2, 'Namespace', 'valid'],
      [8, 'ConfigMap', 'valid'],
      [16, 'Widget', 'skipped'],
    ]);
  });

  it('fails when YAML is malformed, with the line number', async () => {
    const { results } = await validate({ cwd, paths: [fixture('malformed-yaml')] });
    expect(results[0]).toMatchObject({ kind: 'ConfigMap', status: 'valid' });
    expect(results[1]).toMatchObject({ status: 'error', line: 12 });
    expect(results[1]!.problems[0]!.message).toMatch(/^malformed YAML at line 12: /);
  });

  it('throws a usage error when a path does not exist', async () => {
    await expect(validate({ cwd, paths: ['no/such/dir'] })).rejects.toThrow(/no\/such\/dir: no such file or directory/);
  });
});

describe('validate: the example dist', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'eksai-validate-'));
    synthesize({ cwd, outdir, sources: Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input })) });
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('has no invalid, error or skipped documents', async () => {
    const { results } = await validate({ cwd, paths: [outdir] });
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => r.status !== 'valid')).toEqual([]);
  });
});

describe('validate: Helm values of Argo CD Applications', () => {
  it('fails when a Cilium value has the wrong type', async () => {
    const result = await one('helm-values-cilium-wrong-type');
    expect(result.problems).toEqual([{ path: 'spec.source.helm.valuesObject.routingMode', message: 'must be string (cilium chart values schema)' }]);
  });

  it('fails when a JupyterHub value is unknown (sources[], values schema in YAML)', async () => {
    const result = await one('helm-values-jupyterhub-unknown-key');
    expect(result.problems).toEqual([{ path: 'spec.sources[0].helm.valuesObject.hubb', message: 'unknown field (jupyterhub chart values schema)' }]);
  });
});

describe('validate: large files', () => {
  it('validates a 5 MB file of ConfigMaps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksai-validate-big-'));
    try {
      const doc = (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  payload: "${'x'.repeat(5000)}"\n`;
      const count = 1000;
      writeFileSync(join(dir, 'big.yaml'), Array.from({ length: count }, (_, i) => doc(i)).join('---\n'));
      const { results } = await validate({ cwd, paths: [dir] });
      expect(results).toHaveLength(count);
      expect(results.every((r) => r.status === 'valid')).toBe(true);
      expect(results[1]!.line).toBe(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validate: platform policies', () => {
  it('fails when a Secret has literal data, an EC2NodeClass is loose or a GPU pool is untainted', async () => {
    const { results } = await validate({ cwd, paths: [fixture('policy-violations')] });
    expect(results.map((r) => r.problems.map((p) => `${p.rule} ${p.path}`))).toEqual([
      ['policy/no-literal-secret-data stringData'],
      [
        'policy/imds-hop-limit spec.metadataOptions.httpPutResponseHopLimit',
        'policy/imds-hop-limit spec.metadataOptions.httpTokens',
        'policy/encrypted-volumes spec.blockDeviceMappings[0].ebs.encrypted',
        'policy/no-latest-ami-alias spec.amiSelectorTerms[0].alias',
      ],
      ['policy/gpu-pool-tainted spec.template.spec.taints'],
    ]);
    expect(results[1]!.problems[0]!.message).toBe("must be 1 so pods cannot reach the node's IMDS credentials (got 2): set it to 1");
  });

  it('fails when a Ray head can land on spot: a spot-capable pool it fits, or a head that asks for spot; on-demand selectors and affinities pass', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/policy-ray-head-on-spot', fixture('policy-ray-head-asks-for-spot')] });
    expect(results.filter((r) => r.status !== 'valid').map((r) => [r.name, r.problems.map((p) => `${p.rule} ${p.path}`)])).toEqual([
      ['head-may-land-on-spot', ['policy/heads-not-on-spot spec.headGroupSpec.template.spec']],
      ['head-asks-for-spot', ['policy/heads-not-on-spot spec.headGroupSpec.template.spec']],
    ]);
    expect(results.find((r) => r.name === 'head-may-land-on-spot')!.problems[0]!.message).toBe(
      'the Ray head can be scheduled on spot capacity (NodePool general), and losing it loses the cluster: add nodeSelector karpenter.sh/capacity-type: on-demand (or a node affinity that excludes spot)',
    );
  });

  it('reports a policy set to warning without making the document invalid, and drops one set to off', async () => {
    const { results } = await validate({
      cwd,
      paths: [fixture('policy-violations')],
      policySeverities: { 'no-literal-secret-data': 'warning', 'imds-hop-limit': 'off' },
    });
    expect(results.map((r) => [r.status, r.problems.map((p) => `${p.rule} ${p.severity ?? 'error'}`)])).toEqual([
      ['valid', ['policy/no-literal-secret-data warning']],
      ['invalid', ['policy/encrypted-volumes error', 'policy/no-latest-ami-alias error']],
      ['invalid', ['policy/gpu-pool-tainted error']],
    ]);
  });

  it('can be turned off', async () => {
    const { results } = await validate({ cwd, paths: [fixture('policy-violations')], policies: false });
    expect(results.map((r) => r.status)).toEqual(['valid', 'valid', 'valid']);
  });
});

describe('validate: cross-resource references', () => {
  const crossOf = (results: readonly ValidationResult[]) =>
    results.flatMap((r) => r.problems.filter((p) => p.rule?.startsWith('cross/')).map((p) => `${r.kind} ${r.name} ${p.rule} ${p.path}`));

  it('fails when a NodePool, Application, Volcano queue label, ServiceAccount or StorageClass names a missing object', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/cross-missing-references'] });
    expect(crossOf(results)).toEqual([
      'Application karpenter cross/appproject-exists spec.project',
      'NodePool gpu cross/nodeclass-exists spec.template.spec.nodeClassRef.name',
      'PersistentVolumeClaim scratch cross/storageclass-exists spec.storageClassName',
      'RayJob queue-typo cross/queue-exists metadata.labels["volcano.sh/queue-name"]',
      'RayJob queue-typo cross/serviceaccount-exists spec.rayClusterSpec.headGroupSpec.template.spec.serviceAccountName',
    ]);
    expect(results.find((r) => r.kind === 'NodePool' && r.status === 'invalid')!.problems[0]!.message).toMatch(
      /^EC2NodeClass "defualt" does not exist in .*\(have: default\): fix the name or add the EC2NodeClass$/,
    );
    expect(results.find((r) => r.name === 'queue-typo')!.problems[1]!.message).toMatch(
      /^ServiceAccount "ray-head" does not exist in namespace research of .*\(have: ray\): fix the name or add the ServiceAccount$/,
    );
  });

  it('does not report a reference whose target kind is not among the validated files', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/cross-missing-references/dev/node-pools/NodePool.gpu.yaml'] });
    expect(results[0]!.status).toBe('valid');
  });

  it('fails when a pod template or notebook profile fits no NodePool (selectors, GPU taint, GPU requests) or a GPU DaemonSet no GPU pool; skips other DaemonSets and core node group pods', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/cross-pod-placement'] });
    expect(crossOf(results)).toEqual([
      'Application jupyterhub cross/gpu-pod-fits-a-gpu-nodepool spec.source.helm.valuesObject.singleuser.profileList[1].kubespawner_override',
      'DaemonSet runs-where-it-tolerates cross/gpu-pod-fits-a-gpu-nodepool spec.template.spec',
      'Job selector-matches-no-pool cross/pod-fits-a-nodepool spec.template.spec',
      'RayCluster gpu-worker-without-toleration cross/gpu-pod-fits-a-gpu-nodepool spec.workerGroupSpecs[0].template.spec',
    ]);
    expect(results.filter((r) => r.status !== 'valid').flatMap((r) => r.problems.filter((p) => !p.rule?.startsWith('cross/')))).toEqual([]);
    expect(results.find((r) => r.name === 'gpu-worker-without-toleration')!.problems[0]!.message).toBe(
      'worker group "gpu" is aimed at GPU nodes but fits no GPU NodePool of test/fixtures/manifests/cross-pod-placement/dev: ' +
        'pool gpu taints its nodes nvidia.com/gpu:NoSchedule and the pod does not tolerate it: make its node selector, affinity and tolerations match a GPU pool',
    );
  });

  // Without renders the operator charts eksai deploys say which Application installs which CRDs (CRD_CHARTS).
  // Volcano's Queue is applied by the Application that installs its chart: Argo CD skips the dry-run of a CR
  // whose CRD is part of the same sync, so that needs no SkipDryRunOnMissingResource.
  it('fails when an Application path has no manifests, its project disallows the source, destination or objects, or it syncs CRs before their CRDs', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/cross-argo-applications'] });
    expect(crossOf(results)).toEqual([
      'Application storage cross/project-allows-destination spec.destination',
      'Application storage cross/project-allows-source spec.source.repoURL',
      'Application storage cross/app-path-exists spec.source.path',
      'NodePool general cross/project-admits-object kind',
      'NodePool general cross/crd-installed apiVersion',
      'Queue research cross/project-admits-object kind',
    ]);
    expect(results.find((r) => r.name === 'general')!.problems.find((p) => p.rule === 'cross/crd-installed')!.message).toBe(
      'NodePool general is applied by Application node-pools at sync wave -20, but its CRD karpenter.sh (chart karpenter) is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
    );
  });
  it('does not report a path whose folder exists on disk but was not among the validated paths', async () => {
    const { results } = await validate({ cwd, paths: ['test/fixtures/manifests/cross-argo-applications/dev/apps'] });
    expect(crossOf(results).filter((p) => p.includes('app-path-exists'))).toEqual(['Application storage cross/app-path-exists spec.source.path']);
  });
});

describe('validate: compiled validator cache', () => {
  const NODEPOOLS = 'raw.githubusercontent.com/aws/karpenter-provider-aws/v1.14.1/pkg/apis/crds/karpenter.sh_nodepools.yaml';
  const NODECLAIMS = 'raw.githubusercontent.com/aws/karpenter-provider-aws/v1.14.1/pkg/apis/crds/karpenter.sh_nodeclaims.yaml';
  const shared = resolve(cwd, '../shared/schemas');

  it('recompiles when the pinned schema file changes (the key is the content, never a stale validator)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksai-validate-cache-'));
    try {
      const mirror = join(dir, 'mirror');
      const copy = (rel: string, edit: (t: string) => string = (t) => t): void => {
        mkdirSync(dirname(join(mirror, rel)), { recursive: true });
        writeFileSync(join(mirror, rel), edit(readFileSync(join(shared, rel), 'utf8')));
      };
      copy(NODEPOOLS);
      copy(NODECLAIMS);
      const run = () => validate({ cwd, paths: [fixture('valid-nodepool')], schemas: { mirror, cacheDir: join(dir, 'cache') } });
      expect((await run()).results[0]!.status).toBe('valid');
      // A new pinned schema (here: weight at most 10) must never be answered by the old validator.
      copy(NODEPOOLS, (t) => t.replace('format: int32\n                  maximum: 100', 'format: int32\n                  maximum: 10'));
      const changed = await run();
      expect(changed.validators).toEqual({ compiled: 1, cached: 0 });
      expect(changed.results[0]!.problems).toEqual([{ path: 'spec.weight', message: 'must be <= 10' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads validators from the cache directory in a later process, then with their V8 code cache; a rejected code cache is rewritten', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'eksai-validate-cache-'));
    try {
      const run = (file = fixture('valid-nodepool')) =>
        JSON.parse(eksai(['validate', '--cwd', cwd, file, '--format', 'json'], { EKSAI_SCHEMA_CACHE: cacheDir }).stdout) as {
          summary: { valid: number; invalid: number };
          validators: { compiled: number; cached: number };
        };
      const folder = () => {
        const fingerprints = readdirSync(join(cacheDir, '.compiled'));
        expect(fingerprints).toHaveLength(1);
        return join(cacheDir, '.compiled', fingerprints[0]!);
      };
      const files = (ext: string) => readdirSync(folder()).filter((f) => f.endsWith(ext));
      const stderr = () => eksai(['validate', '--cwd', cwd, fixture('valid-nodepool'), '--format', 'json'], { EKSAI_SCHEMA_CACHE: cacheDir }).stderr;
      // A first run says that it compiles (the slow part); a run served by the cache says nothing.
      expect(stderr()).toBe('compiling schema validators not in the cache yet (a first run, or new schemas; later runs load them)\n');
      rmSync(join(cacheDir, '.compiled'), { recursive: true, force: true });
      expect(run()).toMatchObject({ summary: { valid: 1 }, validators: { compiled: 1, cached: 0 } });
      expect([files('.js').length, files('.v8').length]).toEqual([1, 0]);
      // Loaded from the cache: V8's code cache of it is written after it ran.
      expect(run()).toMatchObject({ summary: { valid: 1 }, validators: { compiled: 0, cached: 1 } });
      expect(files('.v8')).toEqual([files('.js')[0]!.replace(/\.js$/, '.v8')]);
      expect(stderr()).toBe('');
      const v8 = join(folder(), files('.v8')[0]!);
      const written = readFileSync(v8);
      // With the code cache: same answers, the cache is not rewritten.
      expect(run()).toMatchObject({ summary: { valid: 1 }, validators: { compiled: 0, cached: 1 } });
      expect(run(fixture('bad-enum'))).toMatchObject({ summary: { valid: 0, invalid: 1 } });
      expect(readFileSync(v8).equals(written)).toBe(true);
      // A code cache V8 rejects (another V8, or damaged) costs a compile and is written again, never a wrong answer.
      const garbage = Buffer.from('not a V8 code cache');
      writeFileSync(v8, garbage);
      expect(run()).toMatchObject({ summary: { valid: 1 }, validators: { compiled: 0, cached: 1 } });
      const rewritten = readFileSync(v8);
      expect(rewritten.equals(garbage)).toBe(false);
      // ...and the rewritten one is accepted: the next run leaves it as it is.
      expect(run()).toMatchObject({ summary: { valid: 1 }, validators: { compiled: 0, cached: 1 } });
      expect(readFileSync(v8).equals(rewritten)).toBe(true);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('removes what no eksai used for a week: other fingerprints and files of the old flat layout; keeps recent ones', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'eksai-validate-cache-'));
    try {
      const root = join(cacheDir, '.compiled');
      const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
      const recent = new Date(Date.now() - 2 * 24 * 3600 * 1000);
      mkdirSync(join(root, 'a1b2c3d4e5f60718'), { recursive: true });
      writeFileSync(join(root, 'a1b2c3d4e5f60718', 'x.js'), 'module.exports = () => true;');
      mkdirSync(join(root, 'recentfingerprt0'), { recursive: true });
      writeFileSync(join(root, 'flat-old-layout.js'), 'module.exports = () => true;');
      utimesSync(join(root, 'a1b2c3d4e5f60718'), old, old);
      utimesSync(join(root, 'flat-old-layout.js'), old, old);
      utimesSync(join(root, 'recentfingerprt0'), recent, recent);
      const r = eksai(['validate', '--cwd', cwd, fixture('valid-nodepool'), '--format', 'json'], { EKSAI_SCHEMA_CACHE: cacheDir });
      expect(JSON.parse(r.stdout)).toMatchObject({ summary: { valid: 1 } });
      const left = readdirSync(root).sort();
      expect(left).toHaveLength(2);
      expect(left).toContain('recentfingerprt0');
      expect(left.filter((f) => f !== 'recentfingerprt0')[0]).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
