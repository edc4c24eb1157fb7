import { describe, expect, test } from 'vitest';
import { teams } from '../../charts/teams';
import { buildCluster } from '../../pipeline/synth/build';
import { renderCluster } from '../../pipeline/synth/render';
import { chartObjects, find, loadOk, minimalInput } from '../helpers';

const config = loadOk(minimalInput({ teams: [{ name: 'research', queue: { capability: { cpu: 64, memory: '256Gi', gpu: 4 } } }, { name: 'ml-eng' }] }));
const objects = chartObjects(config, 'teams');
const inResearch = objects.filter((o) => o.metadata.namespace === 'research' || o.metadata.name === 'research');
const policy = (name: string) =>
  objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'research' && o.metadata.name === name)!.spec as Record<string, unknown>;

describe('teams component', () => {
  test('per team: a PSA-restricted Namespace, a ResourceQuota, a LimitRange and seven NetworkPolicies', () => {
    expect(inResearch.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'LimitRange/container-defaults',
      'Namespace/research',
      'NetworkPolicy/allow-dns',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/ray-egress-https',
      'NetworkPolicy/ray-head-clients',
      'NetworkPolicy/ray-internal',
      'NetworkPolicy/ray-metrics',
      'NetworkPolicy/to-ray-head',
      'ResourceQuota/team',
    ]);
    expect(find(objects, 'Namespace', 'research').metadata.labels).toEqual({
      'eksai.io/team': 'research',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(find(objects, 'Namespace', 'research').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
  });

  test('ResourceQuota uses the Kubernetes quota names, GPU by request; LimitRange gives container defaults', () => {
    const quota = objects.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'research')!;
    expect(quota.spec).toEqual({
      hard: {
        'requests.cpu': '64',
        'requests.memory': '256Gi',
        'limits.cpu': '64',
        'limits.memory': '256Gi',
        'requests.nvidia.com/gpu': '4',
        pods: '100',
        persistentvolumeclaims: '20',
        'requests.storage': '500Gi',
      },
    });
    const noCapability = objects.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'ml-eng')!;
    expect(Object.keys((noCapability.spec as { hard: object }).hard).sort()).toEqual(['persistentvolumeclaims', 'pods', 'requests.storage']);
    const limits = objects.find((o) => o.kind === 'LimitRange' && o.metadata.namespace === 'research')!;
    expect(limits.spec).toEqual({ limits: [{ type: 'Container', defaultRequest: { cpu: '100m', memory: '256Mi' }, default: { cpu: '1', memory: '1Gi' } }] });
  });

  test('default deny both ways; DNS to kube-dns on UDP and TCP 53', () => {
    expect(policy('default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policy('allow-dns')).toMatchObject({
      podSelector: {},
      egress: [
        {
          to: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
  });

  test('Ray head client 10001 and dashboard 8265 from notebook pods and the namespace; dashboard from the KubeRay operator; metrics 8080 from Prometheus', () => {
    expect(policy('ray-head-clients')).toEqual({
      podSelector: { matchLabels: { 'ray.io/is-ray-node': 'yes', 'eksai.io/team': 'research', 'ray.io/node-type': 'head' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'jupyterhub' } },
              podSelector: { matchLabels: { app: 'jupyterhub', component: 'singleuser-server' } },
            },
            { podSelector: {} },
          ],
          ports: [
            { protocol: 'TCP', port: 10001 },
            { protocol: 'TCP', port: 8265 },
          ],
        },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kuberay-system' } } }], ports: [{ protocol: 'TCP', port: 8265 }] },
      ],
    });
    expect(policy('ray-metrics')).toMatchObject({
      podSelector: { matchLabels: { 'ray.io/is-ray-node': 'yes', 'eksai.io/team': 'research' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    });
    expect(policy('ray-internal')).toMatchObject({
      ingress: [{ from: [{ podSelector: { matchLabels: { 'ray.io/is-ray-node': 'yes', 'eksai.io/team': 'research' } } }] }],
      egress: [{ to: [{ podSelector: { matchLabels: { 'ray.io/is-ray-node': 'yes', 'eksai.io/team': 'research' } } }] }],
    });
  });

  test('Ray pods may leave only on HTTPS (pip, S3, the API server for the autoscaler) and to the Pod Identity agent', () => {
    expect(policy('ray-egress-https')).toEqual({
      podSelector: { matchLabels: { 'ray.io/is-ray-node': 'yes', 'eksai.io/team': 'research' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
        { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
      ],
    });
  });

  test('a team without Ray gets only default deny and DNS', () => {
    const noRay = chartObjects(loadOk(minimalInput({ teams: [{ name: 'a', ray: { enabled: false } }] })), 'teams');
    expect(noRay.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(['default-deny', 'allow-dns']);
  });

  test('enabled only with teams; team namespaces become AppProject destinations; files carry the namespace', () => {
    expect(teams.enabled(loadOk(minimalInput()))).toBe(false);
    expect(teams.namespaces!(config)).toEqual(['research', 'ml-eng']);
    const built = buildCluster(config);
    const project = built.charts.get('apps')!.find((o) => o.kind === 'AppProject')!;
    expect((project.spec as { destinations: { namespace: string }[] }).destinations.map((d) => d.namespace)).toEqual(
      expect.arrayContaining(['research', 'ml-eng']),
    );
    const files = [...renderCluster(built).keys()];
    expect(files).toEqual(
      expect.arrayContaining([
        'teams/Namespace.research.yaml',
        'teams/NetworkPolicy.research.default-deny.yaml',
        'teams/NetworkPolicy.ml-eng.default-deny.yaml',
        'apps/Application.teams.yaml',
      ]),
    );
  });
});
