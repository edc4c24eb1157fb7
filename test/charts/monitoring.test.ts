import { describe, expect, test } from 'vitest';
import { ciliumValues } from '../../charts/cilium';
import { dcgmExporter } from '../../charts/nvidia';
import { karpenter } from '../../charts/karpenter';
import { kuberayOperatorValues } from '../../charts/kuberay-operator';
import { volcanoValues } from '../../charts/volcano';
import { GRAFANA_DASHBOARD_LABEL } from '../../charts/kube-prometheus-stack';
import { ALERT_GROUPS } from '../../charts/monitoring-alerts';
import { DASHBOARDS } from '../../charts/monitoring-dashboards';
import { RAY_METRICS_PORT, RAY_METRICS_PORT_NAME, SCRAPE_TARGETS, monitoring } from '../../charts/monitoring';
import { SYNC_WAVES } from '../../charts/component';
import { buildCluster, type Manifest } from '../../pipeline/synth/build';
import { chartObjects, find, loadOk, minimalInput } from '../helpers';
import { metricNames, promqlProblems } from './promql';

const CPU_ONLY = { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] };

/** Every PromQL expression the chart can render, with where it comes from. */
function allExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const g of ALERT_GROUPS) for (const r of g.rules) out.push({ where: `${g.name}/${r.alert}`, expr: r.expr });
  for (const d of DASHBOARDS) {
    for (const p of d.panels) for (const t of p.targets) out.push({ where: `${d.uid}/${p.title}`, expr: t.expr });
    for (const v of d.variables) out.push({ where: `${d.uid}/$${v.name}`, expr: v.selector });
  }
  return out;
}

/**
 * What the upstream charts render, transcribed from their templates at the pinned versions (values as eksai sets
 * them, asserted in 'the upstream objects exist with eksai's values'). A monitor must select one of these.
 */
interface UpstreamEndpoint {
  readonly source: string;
  readonly kind: 'Service' | 'Pod';
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly string[];
}
const UPSTREAM: readonly UpstreamEndpoint[] = [
  // ray-project/kuberay: pods labelled by ray-operator (utils/constant.go); Ray container port `metrics` 8080.
  {
    source: 'KubeRay head pod',
    kind: 'Pod',
    namespace: 'research',
    labels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'head', 'ray.io/is-ray-node': 'yes' },
    ports: [RAY_METRICS_PORT_NAME, 'gcs-server', 'dashboard', 'client'],
  },
  {
    source: 'KubeRay worker pod',
    kind: 'Pod',
    namespace: 'research',
    labels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'worker', 'ray.io/group': 'gpu' },
    ports: [RAY_METRICS_PORT_NAME],
  },
  // kuberay-operator 1.7 templates/service.yaml
  {
    source: 'kuberay-operator Service',
    kind: 'Service',
    namespace: 'kuberay-system',
    labels: { 'app.kubernetes.io/name': 'kuberay-operator', 'app.kubernetes.io/instance': 'kuberay-operator', 'app.kubernetes.io/managed-by': 'Helm' },
    ports: ['http'],
  },
  // karpenter 1.14 templates/service.yaml
  {
    source: 'karpenter Service',
    kind: 'Service',
    namespace: 'kube-system',
    labels: { 'app.kubernetes.io/name': 'karpenter', 'app.kubernetes.io/instance': 'karpenter', 'app.kubernetes.io/managed-by': 'Helm' },
    ports: ['http-metrics', 'https-webhook'],
  },
  // cilium 1.19 templates/cilium-agent/service.yaml, cilium-operator/service.yaml, hubble/metrics-service.yaml, hubble/peer-service.yaml
  {
    source: 'cilium-agent Service',
    kind: 'Service',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent', 'app.kubernetes.io/part-of': 'cilium' },
    ports: ['metrics', 'envoy-metrics'],
  },
  {
    source: 'cilium-operator Service',
    kind: 'Service',
    namespace: 'kube-system',
    labels: { 'io.cilium/app': 'operator', name: 'cilium-operator', 'app.kubernetes.io/name': 'cilium-operator' },
    ports: ['metrics'],
  },
  {
    source: 'hubble-metrics Service',
    kind: 'Service',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'hubble', 'app.kubernetes.io/name': 'hubble' },
    ports: ['hubble-metrics'],
  },
  {
    source: 'hubble-peer Service',
    kind: 'Service',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'hubble-peer' },
    ports: ['peer-service'],
  },
  // dcgm-exporter 4.1 templates/service.yaml (labels from _helpers.tpl)
  {
    source: 'dcgm-exporter Service',
    kind: 'Service',
    namespace: 'gpu-monitoring',
    labels: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': 'dcgm-exporter', 'app.kubernetes.io/component': 'dcgm-exporter' },
    ports: ['metrics'],
  },
  // volcano 1.15 templates/scheduler.yaml
  { source: 'volcano-scheduler-service', kind: 'Service', namespace: 'volcano-system', labels: { app: 'volcano-scheduler' }, ports: ['metrics'] },
  // z2jh 4.4 templates/hub/service.yaml (labels from _helpers-names/jupyterhub.labels)
  {
    source: 'hub Service',
    kind: 'Service',
    namespace: 'jupyterhub',
    labels: { app: 'jupyterhub', component: 'hub', release: 'jupyterhub', heritage: 'Helm' },
    ports: ['hub'],
  },
];

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every((e) =>
    e.operator === 'In' ? e.values!.includes(labels[e.key] ?? '\0') : e.operator === 'Exists' ? e.key in labels : false,
  );
  return byLabels && byExpr;
}

/** The upstream endpoints a rendered monitor scrapes: namespace, label selector and port name, as the Prometheus Operator matches them. */
function scraped(monitor: Manifest): UpstreamEndpoint[] {
  const spec = monitor.spec as {
    selector: LabelSelector;
    namespaceSelector: { any?: boolean; matchNames?: string[] };
    endpoints?: { port: string }[];
    podMetricsEndpoints?: { port: string }[];
  };
  const kind = monitor.kind === 'PodMonitor' ? 'Pod' : 'Service';
  const ports = (spec.endpoints ?? spec.podMetricsEndpoints ?? []).map((e) => e.port);
  return UPSTREAM.filter(
    (u) =>
      u.kind === kind &&
      (spec.namespaceSelector.any === true || (spec.namespaceSelector.matchNames ?? []).includes(u.namespace)) &&
      selects(spec.selector, u.labels) &&
      ports.every((p) => u.ports.includes(p)),
  );
}

const monitorsOf = (objects: readonly Manifest[]) => objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor');
const namesOf = (objects: readonly Manifest[], kind: string) =>
  objects
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('monitoring component', () => {
  const cluster = loadOk(minimalInput({ teams: [{ name: 'research' }] }));
  const objects = chartObjects(cluster, 'monitoring');

  test('every PromQL expression of every rule, dashboard panel and dashboard variable parses', () => {
    const exprs = allExpressions();
    expect(exprs.length).toBeGreaterThan(40);
    for (const { where, expr } of exprs) expect(promqlProblems(expr), `${where}: ${expr}`).toEqual([]);
  });

  test('fails when an expression is not PromQL or misuses a range vector (the checker can fail)', () => {
    expect(promqlProblems('sum(rate(foo[5m]) by (x)')).toEqual(['syntax error at 18: near "by (x)"']);
    expect(promqlProblems('rate(foo)')).toEqual(['Rate needs one range-vector argument']);
    expect(promqlProblems('sum(foo[5m])')).toEqual(['range vector outside a function call at 4']);
    expect(promqlProblems('ratee(foo[5m])')).toEqual(['syntax error at 5: near "(foo[5m])"']);
  });

  test('every monitor selects exactly one endpoint the upstream chart renders, on its named port', () => {
    const monitors = monitorsOf(objects);
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'cilium-agent',
      'cilium-operator',
      'dcgm-exporter',
      'hubble',
      'jupyterhub',
      'karpenter',
      'kuberay-operator',
      'ray',
      'volcano-scheduler',
    ]);
    for (const m of monitors) {
      const matched = scraped(m).map((u) => u.source);
      if (m.metadata.name === 'ray') expect(matched).toEqual(['KubeRay head pod', 'KubeRay worker pod']);
      else expect(matched, m.metadata.name).toHaveLength(1);
      expect(m.metadata.namespace).toBe('monitoring');
    }
    // every upstream metrics endpoint is scraped by some monitor (the hubble peer Service is not a metrics endpoint)
    const covered = new Set(monitors.flatMap((m) => scraped(m).map((u) => u.source)));
    expect(UPSTREAM.filter((u) => !covered.has(u.source)).map((u) => u.source)).toEqual(['hubble-peer Service']);
  });

  test("the upstream objects exist with eksai's values: metrics Services on, release names as selected", () => {
    expect(ciliumValues(cluster)).toMatchObject({
      prometheus: { enabled: true, metricsService: true },
      operator: { prometheus: { enabled: true, metricsService: true } },
      hubble: { metrics: { enabled: expect.any(Array) } },
    });
    expect(kuberayOperatorValues(cluster)).toMatchObject({ metrics: { enabled: true } });
    expect(volcanoValues(cluster)).toMatchObject({ custom: { scheduler_metrics_enable: true } });
    expect(karpenter.helm!(cluster).releaseName).toBe('karpenter');
    expect(dcgmExporter.helm!(cluster).releaseName).toBe('dcgm-exporter');
    expect(RAY_METRICS_PORT).toBe(8080);
  });

  test('Ray PodMonitor: every namespace, Ray pod labels kept on the series; workload labels honoured for KubeRay and DCGM', () => {
    expect(find(objects, 'PodMonitor', 'ray').spec).toMatchObject({
      namespaceSelector: { any: true },
      podTargetLabels: ['ray.io/cluster', 'ray.io/node-type'],
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }],
    });
    expect(find(objects, 'ServiceMonitor', 'kuberay-operator').spec).toMatchObject({ endpoints: [{ honorLabels: true }] });
    expect(find(objects, 'ServiceMonitor', 'dcgm-exporter').spec).toMatchObject({ endpoints: [{ honorLabels: true }] });
  });

  test('every alert has a severity, a summary, a description and a for', () => {
    const rules = objects.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => (o.spec as { groups: { rules: any[] }[] }).groups.flatMap((g) => g.rules));
    expect(rules.length).toBe(ALERT_GROUPS.reduce((n, g) => n + g.rules.length, 0));
    for (const r of rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(info|warning|critical)$/);
      expect(r.annotations.summary, r.alert).toMatch(/\S/);
      expect(r.annotations.description, r.alert).toMatch(/\S/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  test('alerts read the metrics the brief names: nodes, PVCs, Karpenter launches and interruptions, KubeRay, DCGM', () => {
    const metrics = new Set(ALERT_GROUPS.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))));
    for (const m of [
      'kube_node_status_condition',
      'kubelet_volume_stats_available_bytes',
      'karpenter_cloudprovider_instance_launch_failures_total',
      'karpenter_interruption_received_messages_total',
      'kuberay_cluster_condition_provisioned',
      'kuberay_job_deployment_status',
      'DCGM_FI_DEV_GPU_UTIL',
    ]) {
      expect(metrics, m).toContain(m);
    }
  });

  test('dashboards: ConfigMaps labelled for the Grafana sidecar, valid JSON with unique panel ids and a datasource variable', () => {
    const maps = objects.filter((o) => o.kind === 'ConfigMap');
    expect(maps.map((m) => m.metadata.name).sort()).toEqual(['grafana-dashboard-gpu', 'grafana-dashboard-karpenter', 'grafana-dashboard-ray']);
    for (const m of maps) {
      expect(m.metadata.labels).toEqual(GRAFANA_DASHBOARD_LABEL);
      const [key, json] = Object.entries(m.data as Record<string, string>)[0]!;
      const dash = JSON.parse(json) as { uid: string; panels: { id: number; targets: { expr: string }[] }[]; templating: { list: { name: string }[] } };
      expect(key).toBe(`${dash.uid}.json`);
      expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
      expect(dash.panels.every((p) => p.targets.length > 0)).toBe(true);
      expect(dash.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource' });
    }
    // deterministic: a second build renders the same bytes
    expect(chartObjects(cluster, 'monitoring').filter((o) => o.kind === 'ConfigMap')).toEqual(maps);
  });

  test('no GPU pool → no DCGM monitor, GPU rules or GPU dashboard', () => {
    const cpu = chartObjects(loadOk(minimalInput({ karpenter: CPU_ONLY })), 'monitoring');
    expect(namesOf(cpu, 'ServiceMonitor')).not.toContain('dcgm-exporter');
    expect(namesOf(cpu, 'PrometheusRule')).toEqual(['eksai-karpenter', 'eksai-nodes', 'eksai-ray']);
    expect(namesOf(cpu, 'ConfigMap')).toEqual(['grafana-dashboard-karpenter', 'grafana-dashboard-ray']);
  });

  test('KubeRay off → no Ray or KubeRay monitors, rules or dashboard; Cilium or Hubble off → no Cilium monitors', () => {
    const noRay = chartObjects(loadOk(minimalInput({ kuberay: { enabled: false } })), 'monitoring');
    expect(namesOf(noRay, 'PodMonitor')).toEqual([]);
    expect(namesOf(noRay, 'ServiceMonitor')).not.toContain('kuberay-operator');
    expect(namesOf(noRay, 'PrometheusRule')).not.toContain('eksai-ray');
    expect(namesOf(noRay, 'ConfigMap')).not.toContain('grafana-dashboard-ray');
    const noHubble = chartObjects(loadOk(minimalInput({ cilium: { hubble: false } })), 'monitoring');
    expect(namesOf(noHubble, 'ServiceMonitor')).toEqual([
      'cilium-agent',
      'cilium-operator',
      'dcgm-exporter',
      'karpenter',
      'kuberay-operator',
      'volcano-scheduler',
    ]);
    const noCilium = chartObjects(
      loadOk(minimalInput({ cilium: { enabled: false }, volcano: { enabled: false }, kuberay: { batchScheduler: 'none' } })),
      'monitoring',
    );
    expect(namesOf(noCilium, 'ServiceMonitor')).toEqual(['dcgm-exporter', 'karpenter', 'kuberay-operator']);
    // a target list with every component off but Karpenter (always on)
    expect(
      SCRAPE_TARGETS.filter((t) =>
        t.enabled(loadOk(minimalInput({ karpenter: CPU_ONLY, kuberay: { enabled: false }, volcano: { enabled: false }, cilium: { enabled: false } }))),
      ).length,
    ).toBe(1);
  });

  test('synced after kube-prometheus-stack (its CRDs), skipping dry-run for the CRs; nothing at all when observability is off', () => {
    expect(monitoring.wave).toBeGreaterThan(SYNC_WAVES.platform);
    expect(monitoring.syncOptions).toContain('SkipDryRunOnMissingResource=true');
    const off = buildCluster(loadOk(minimalInput({ observability: { enabled: false } })));
    expect(off.charts.has('monitoring')).toBe(false);
    expect(off.charts.get('apps')!.map((o) => o.metadata.name)).not.toEqual(expect.arrayContaining(['monitoring']));
    expect(off.charts.get('apps')!.map((o) => o.metadata.name)).not.toContain('kube-prometheus-stack');
  });
});
