import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReleases, type RenderedRelease } from '../../../pipeline/render';
import { validate, type ValidationResult } from '../../../pipeline/validate';
import { releaseDifferences } from '../../../pipeline/validate/determinism';
import { toYamlAll } from '../../../pipeline/synth/yaml';
import { eksai } from '../../helpers';

/**
 * The four install-breaking defects of issue 13, caught on real renders (the real helm, the pinned charts of
 * ../shared/charts) of the dist files of main at fce0835, frozen in fixtures/today (AppProject platform and
 * the Applications of cilium, the ALB controller, the NVIDIA device plugin, karpenter, jupyterhub and the
 * node pools), and each one passing once fixed.
 */

const repo = resolve(__dirname, '../../..');
const TODAY = join(__dirname, 'fixtures/today');
process.env.EKSAI_SCHEMA_MIRROR = resolve(repo, '../shared/schemas');
const chartMirror = resolve(repo, '../shared/charts');

type Obj = Record<string, unknown>;

let root: string;
let releases: RenderedRelease[];
let today: readonly ValidationResult[];

/** A copy of the fixture dist in a fresh folder (with the repo's chart lock), edited by `edit(path, object)`. */
function workspace(name: string, edit: (file: string, o: Obj) => Obj = (_, o) => o): string {
  const dir = join(root, name);
  cpSync(TODAY, dir, { recursive: true });
  mkdirSync(join(dir, 'charts'), { recursive: true });
  cpSync(join(repo, 'charts/charts.lock.json'), join(dir, 'charts/charts.lock.json'));
  for (const f of [
    'apps/AppProject.platform.yaml',
    'apps/Application.nvidia-device-plugin.yaml',
    'apps/Application.node-pools.yaml',
    'node-pools/NodePool.gpu.yaml',
  ]) {
    const path = join(dir, 'dist/dev', f);
    const o = load(readFileSync(path, 'utf8')) as Obj;
    writeFileSync(path, toYamlAll([edit(f, o)])[0]!);
  }
  return dir;
}

const render = (cwd: string): Promise<RenderedRelease[]> =>
  renderReleases({ cwd, clusters: ['dev'], determinism: true, kubeVersions: { dev: '1.35' }, chartMirror }).then((r) => r.releases);

const findings = (results: readonly ValidationResult[], rule: string): string[] =>
  results.flatMap((r) => r.problems.filter((p) => p.rule === rule).map(() => `${r.file} ${r.kind} ${r.name}`));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'eksai-rendered-'));
  const cwd = workspace('today');
  releases = await render(cwd);
  today = (await validate({ cwd, releases, paths: ['dist'] })).results;
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('validate with rendered releases: AppProject admission', () => {
  it("fails when Cilium renders Roles into cilium-secrets, a namespace the AppProject's destinations do not admit", () => {
    expect(findings(today, 'cross/project-admits-object').filter((f) => f.includes('/cilium/'))).toEqual([
      'rendered/dev/cilium/Role.cilium-secrets.cilium-tlsinterception-secrets.yaml Role cilium-tlsinterception-secrets',
      'rendered/dev/cilium/Role.cilium-secrets.cilium-operator-tlsinterception-secrets.yaml Role cilium-operator-tlsinterception-secrets',
      'rendered/dev/cilium/RoleBinding.cilium-secrets.cilium-tlsinterception-secrets.yaml RoleBinding cilium-tlsinterception-secrets',
      'rendered/dev/cilium/RoleBinding.cilium-secrets.cilium-operator-tlsinterception-secrets.yaml RoleBinding cilium-operator-tlsinterception-secrets',
    ]);
    const role = today.find((r) => r.name === 'cilium-tlsinterception-secrets' && r.kind === 'Role')!;
    expect(role).toMatchObject({ application: 'cilium', status: 'invalid' });
    expect(role.problems[0]!.message).toBe(
      "namespace cilium-secrets is not permitted in project 'platform': Argo CD refuses to sync Application cilium; add {server: https://kubernetes.default.svc, namespace: cilium-secrets} to the AppProject's destinations, or stop rendering into it",
    );
    // The Namespace itself is cluster-scoped and whitelisted: Argo CD admits it (only namespaced objects are checked against destinations).
    expect(today.find((r) => r.kind === 'Namespace' && r.name === 'cilium-secrets')).toMatchObject({ status: 'valid' });
  });

  it('fails when the ALB controller renders a cluster-scoped IngressClassParams the clusterResourceWhitelist lacks', () => {
    expect(findings(today, 'cross/project-admits-object').filter((f) => !f.includes('/cilium/'))).toEqual([
      'rendered/dev/aws-load-balancer-controller/IngressClassParams.alb.yaml IngressClassParams alb',
    ]);
    expect(today.find((r) => r.kind === 'IngressClassParams')!.problems[0]!.message).toMatch(
      /^resource elbv2\.k8s\.aws:IngressClassParams is not permitted in project platform: Argo CD refuses to sync Application aws-load-balancer-controller; add \{group: "elbv2\.k8s\.aws", kind: IngressClassParams\} to the AppProject's clusterResourceWhitelist \(it is cluster-scoped\)/,
    );
  });

  it('passes once the AppProject admits the namespace and the kind (same renders)', async () => {
    const cwd = workspace('project-fixed', (f, o) => {
      if (!f.includes('AppProject')) return o;
      const spec = o.spec as { destinations: Obj[]; clusterResourceWhitelist: Obj[] };
      spec.destinations.push({ namespace: 'cilium-secrets', server: 'https://kubernetes.default.svc' });
      spec.clusterResourceWhitelist.push({ group: 'elbv2.k8s.aws', kind: 'IngressClassParams' });
      return o;
    });
    const { results } = await validate({ cwd, releases, paths: ['dist'] });
    expect(findings(results, 'cross/project-admits-object')).toEqual([]);
  });
});

describe('validate with rendered releases: render determinism', () => {
  it('fails when Hubble certificates and the ALB webhook certificate are generated anew on every render, naming the ignoreDifferences entry', () => {
    expect(findings(today, 'cross/render-deterministic')).toEqual([
      'rendered/dev/aws-load-balancer-controller/Secret.kube-system.aws-load-balancer-tls.yaml Secret aws-load-balancer-tls',
      'rendered/dev/aws-load-balancer-controller/MutatingWebhookConfiguration.aws-load-balancer-webhook.yaml MutatingWebhookConfiguration aws-load-balancer-webhook',
      'rendered/dev/aws-load-balancer-controller/ValidatingWebhookConfiguration.aws-load-balancer-webhook.yaml ValidatingWebhookConfiguration aws-load-balancer-webhook',
      'rendered/dev/cilium/Secret.kube-system.cilium-ca.yaml Secret cilium-ca',
      'rendered/dev/cilium/Secret.kube-system.hubble-relay-client-certs.yaml Secret hubble-relay-client-certs',
      'rendered/dev/cilium/Secret.kube-system.hubble-server-certs.yaml Secret hubble-server-certs',
    ]);
    const certs = today.find((r) => r.name === 'hubble-server-certs')!.problems.find((p) => p.rule === 'cross/render-deterministic')!;
    expect(certs.path).toBe('data["ca.crt"], data["tls.crt"], data["tls.key"]');
    expect(certs.message).toContain(
      'add to its spec.ignoreDifferences {"group":"","kind":"Secret","name":"hubble-server-certs","namespace":"kube-system","jsonPointers":["/data/ca.crt","/data/tls.crt","/data/tls.key"]}',
    );
  });

  it("passes the chart's random fields its Application already masks (JupyterHub's hub Secret and checksum annotations)", () => {
    const hub = releases.find((r) => r.application === 'jupyterhub')!;
    const unmasked = releaseDifferences({ ...hub, manifest: { ...hub.manifest, spec: { ...(hub.manifest.spec as Obj), ignoreDifferences: [] } } });
    expect(unmasked.size).toBeGreaterThan(0); // the chart does randomize
    expect(releaseDifferences(hub).size).toBe(0);
  });

  it('passes once ignoreDifferences masks the fields, by jsonPointers or by jq path expressions', () => {
    const alb = releases.find((r) => r.application === 'aws-load-balancer-controller')!;
    const ignoreDifferences = [
      { group: '', kind: 'Secret', name: 'aws-load-balancer-tls', jsonPointers: ['/data'] },
      { group: 'admissionregistration.k8s.io', kind: '*WebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
    ];
    expect(releaseDifferences({ ...alb, manifest: { ...alb.manifest, spec: { ...(alb.manifest.spec as Obj), ignoreDifferences } } }).size).toBe(0);
    const partial = [
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[0].clientConfig.caBundle'] },
    ];
    const left = releaseDifferences({ ...alb, manifest: { ...alb.manifest, spec: { ...(alb.manifest.spec as Obj), ignoreDifferences: partial } } });
    expect([...left.values()].flat()).toEqual([
      '/data/ca.crt',
      '/data/tls.crt',
      '/data/tls.key',
      '/webhooks/1/clientConfig/caBundle',
      '/webhooks/0/clientConfig/caBundle',
      '/webhooks/1/clientConfig/caBundle',
      '/webhooks/2/clientConfig/caBundle',
    ]);
  });
});

describe('validate with rendered releases: GPU placement', () => {
  it("fails when the NVIDIA device plugin keeps the chart's NFD node affinity (affinity: {} merges into the defaults)", () => {
    // (its MPS control daemon runs only on nodes labelled for MPS sharing, by design: not reported)
    expect(findings(today, 'cross/gpu-pod-fits-a-gpu-nodepool')).toEqual([
      'rendered/dev/nvidia-device-plugin/DaemonSet.nvidia-device-plugin.nvidia-device-plugin.yaml DaemonSet nvidia-device-plugin',
    ]);
    expect(today.find((r) => r.name === 'nvidia-device-plugin' && r.kind === 'DaemonSet')!.problems[0]!.message).toContain(
      'required node affinity matches no node of pool gpu (term 0: feature.node.kubernetes.io/pci-10de.present In [true]: nodes of pool gpu have no feature.node.kubernetes.io/pci-10de.present label;',
    );
  });

  it('passes once the values delete the default affinity (affinity: null)', async () => {
    const cwd = workspace('affinity-null', (f, o) => {
      if (f.includes('nvidia-device-plugin')) (o.spec as { source: { helm: { valuesObject: Obj } } }).source.helm.valuesObject.affinity = null;
      return o;
    });
    const fixed = await render(cwd);
    const { results } = await validate({ cwd, releases: fixed, paths: ['dist'] });
    expect(findings(results, 'cross/gpu-pod-fits-a-gpu-nodepool')).toEqual([]);
    expect(results.filter((r) => r.application === 'nvidia-device-plugin' && r.kind === 'DaemonSet').map((r) => r.status)).toEqual(['valid', 'valid']);
  }, 120_000);
});

describe('validate with rendered releases: CRDs', () => {
  it('passes every rendered object of the pinned charts through schemas, CEL and nulls without other findings', () => {
    const expected = new Set(['cross/project-admits-object', 'cross/render-deterministic', 'cross/gpu-pod-fits-a-gpu-nodepool']);
    const other = today
      .filter((r) => r.application)
      .flatMap((r) => r.problems.filter((p) => !expected.has(p.rule ?? '')).map((p) => `${r.file}: ${p.path}: ${p.message}`));
    expect(other).toEqual([]);
    expect(today.filter((r) => r.application && r.status === 'skipped')).toEqual([]);
  });

  // Equal rendered objects are one JS object (the render cache interns them) and validate checks each object once:
  // every document holding it must still get the finding.
  it('fails every document of a shared rendered object that breaks its schema, in each release that renders it', async () => {
    const cwd = workspace('shared-invalid');
    const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared-bad', namespace: 'kube-system' }, data: { n: 1 } };
    const add = (objects: readonly Obj[] | undefined) => (objects ? [...objects, bad] : objects);
    const withBad = releases.map((r) =>
      r.application === 'karpenter' || r.application === 'cilium' ? { ...r, objects: add(r.objects)!, second: add(r.second) } : r,
    );
    const { results } = await validate({ cwd, releases: withBad, paths: ['dist'] });
    expect(
      results.filter((r) => r.name === 'shared-bad').map((r) => `${r.file} ${r.status} ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`),
    ).toEqual([
      'rendered/dev/cilium/ConfigMap.kube-system.shared-bad.yaml invalid data.n: must be string',
      'rendered/dev/karpenter/ConfigMap.kube-system.shared-bad.yaml invalid data.n: must be string',
    ]);
  });

  it('fails when a custom resource has no CRD in the cluster, or its CRD is installed at a later sync wave', async () => {
    const cwd = workspace('crd-order', (f, o) => {
      if (f.includes('Application.node-pools')) (o.metadata as { annotations: Obj }).annotations['argocd.argoproj.io/sync-wave'] = '-25';
      if (f.includes('NodePool.gpu')) return { ...o, apiVersion: 'karpenter.sh/v2' };
      return o;
    });
    const { results } = await validate({ cwd, releases, paths: ['dist'] });
    expect(
      results
        .filter((r) => r.problems.some((p) => p.rule === 'cross/crd-installed'))
        .map((r) => [r.name, r.problems.find((p) => p.rule === 'cross/crd-installed')!.message]),
    ).toEqual([
      [
        'default',
        'EC2NodeClass default is applied by Application node-pools at sync wave -25, but its CRD ec2nodeclasses.karpenter.k8s.aws is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
      ],
      [
        'general',
        'NodePool general is applied by Application node-pools at sync wave -25, but its CRD nodepools.karpenter.sh is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
      ],
      [
        'gpu',
        'no CRD serving karpenter.sh/v2/NodePool is installed by any release or by dist in dist/dev: add the chart or manifest that installs it (or fix apiVersion karpenter.sh/v2)',
      ],
    ]);
  });

  // Argo CD syncs the Applications of one wave at once: a CRD of another Application of the same wave is not
  // there when the custom resource's dry-run runs. One the operator registers at runtime (cilium.io) is not
  // part of any sync, so even its own Application cannot apply custom resources of it.
  it('fails when a custom resource is applied in the same sync wave as another Application installing its CRD, or by the Application whose operator registers it', async () => {
    const cwd = workspace('crd-same-wave', (f, o) => {
      if (f.includes('Application.node-pools')) (o.metadata as { annotations: Obj }).annotations['argocd.argoproj.io/sync-wave'] = '-20';
      return o;
    });
    const cnp = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'in-cilium-itself' },
      spec: { endpointSelector: {}, ingress: [{ fromEntities: ['cluster'] }] },
    };
    const withCnp = releases.map((r) => (r.cluster === 'dev' && r.application === 'cilium' ? { ...r, objects: [...r.objects, cnp] } : r));
    const { results } = await validate({ cwd, releases: withCnp, paths: ['dist'] });
    const crdFindings = results.flatMap((r) => r.problems.filter((p) => p.rule === 'cross/crd-installed').map((p) => `${r.kind} ${r.name}: ${p.message}`));
    expect(crdFindings).toEqual([
      'EC2NodeClass default: EC2NodeClass default is applied by Application node-pools at sync wave -20, but its CRD ec2nodeclasses.karpenter.k8s.aws is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
      'NodePool general: NodePool general is applied by Application node-pools at sync wave -20, but its CRD nodepools.karpenter.sh is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
      'NodePool gpu: NodePool gpu is applied by Application node-pools at sync wave -20, but its CRD nodepools.karpenter.sh is installed by Application karpenter at wave -20: give node-pools a wave later than -20, or install the CRD earlier',
      'CiliumClusterwideNetworkPolicy in-cilium-itself: CiliumClusterwideNetworkPolicy in-cilium-itself is applied by Application cilium at sync wave -30, but its CRD cilium.io (registered by the cilium operator) exists only once that operator runs, after this sync applies the object: move it to an Application of a wave later than -30',
    ]);
  });

  it('passes the CRDs the charts ship against the pins, and fails when a chart bump changes a pinned CRD or leaves a version pin behind', async () => {
    const cwd = workspace('pins');
    expect(findings(today, 'cross/crd-pins-match-charts')).toEqual([]);
    const bumped = releases.map((r) => {
      if (r.application === 'cilium') return { ...r, version: '1.20.0' };
      if (r.application !== 'karpenter') return r;
      // What a karpenter bump that adds a field to NodePool looks like in its rendered CRD.
      const objects = r.objects.map((o) => {
        if (o.kind !== 'CustomResourceDefinition' || (o.metadata as Obj).name !== 'nodepools.karpenter.sh') return o;
        const crd = structuredClone(o) as { spec: { versions: { schema: { openAPIV3Schema: { properties: Obj } } }[] } };
        crd.spec.versions[0]!.schema.openAPIV3Schema.properties.newField = { type: 'string' };
        return crd;
      });
      return { ...r, version: '1.15.0', objects };
    });
    const { results } = await validate({ cwd, releases: bumped, paths: ['dist'] });
    expect(results.flatMap((r) => r.problems.filter((p) => p.rule === 'cross/crd-pins-match-charts').map((p) => `${r.file} ${p.path}: ${p.message}`))).toEqual([
      'dist/dev/apps/Application.cilium.yaml spec.source.targetRevision: chart cilium 1.20.0 registers its own CRDs, but they are validated against lib/schemas/pins.ts CILIUM_VERSION = "v1.19.4": bump CILIUM_VERSION to "v1.20.0", then run npm run import',
      'rendered/dev/karpenter/CustomResourceDefinition.nodepools.karpenter.sh.yaml spec.versions: chart karpenter 1.15.0 installs CRD nodepools.karpenter.sh with a schema that differs from the pinned https://raw.githubusercontent.com/aws/karpenter-provider-aws/v1.14.1/pkg/apis/crds/karpenter.sh_nodepools.yaml (served version v1; lib/schemas/pins.ts KARPENTER_VERSION = "v1.14.1"): bump the pin to the version this chart installs, then run npm run import',
    ]);
  });
});

describe('eksai validate: rendering on by default, --no-render to skip', () => {
  const run = (...flags: string[]) =>
    eksai(['validate', '--cwd', repo, ...flags, 'dist/dev'], { EKSAI_CHART_MIRROR: chartMirror, EKSAI_SCHEMA_MIRROR: process.env.EKSAI_SCHEMA_MIRROR! });

  it('renders the releases of the validated clusters and reports rendered objects at rendered/<cluster>/<application>/ paths', () => {
    const out = run();
    expect(out.stdout).toMatch(/^Rendered \d+ Helm releases \(\d+ objects\) with helm v\d+\.\d+\.\d+ \(/m);
    expect(out.stdout).toMatch(/^Summary: \d+ resources found in \d+ files/m);
    expect(out.stdout).toMatch(/^Determinism: \d+ rendered twice and compared; \d+ rendered once \(/m);
    // Progress of the long part on stderr, not in the report.
    // (and, when this test's schema cache is cold, that validators are being compiled)
    expect(out.stderr.split('\n').filter((l) => !l.startsWith('compiling schema validators not in the cache yet'))).toEqual([
      'rendered dev (9 releases; 1/1 clusters)',
      '',
    ]);
    expect(out.status).toBe(0); // the committed dist, releases included, is valid
  }, 120_000);

  it('validates only the files with --no-render', () => {
    const out = run('--no-render');
    expect(out.stdout).not.toContain('rendered/');
    expect(out.stdout).not.toContain('Rendered ');
    expect(out.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('compiling schema validators'))).toEqual([]);
    expect(out.status).toBe(0);
  }, 60_000);
});
