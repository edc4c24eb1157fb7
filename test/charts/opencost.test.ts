import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { KARPENTER_COST_LABELS, kubePrometheusStackValues } from '../../charts/kube-prometheus-stack';
import { COST_RECORDING_RULES, COST_RECORDS, costRuleGroup } from '../../charts/monitoring-alerts';
import { COST_DASHBOARD } from '../../charts/monitoring-dashboards';
import { OPENCOST_METRICS, OPENCOST_NAMESPACE, PLATFORM_PROMETHEUS, opencost, opencostValues } from '../../charts/opencost';
import { CORE_NODE_SELECTOR } from '../../charts/karpenter';
import { checkClusterInput } from '../../charts/checks';
import { chartObjects, find, loadErrors, loadOk, minimalInput } from '../helpers';
import { metricNames, promqlProblems } from './promql';
import { CHART_MIRROR, cleanupHelm, helmApps, parseRendered, renderText } from './render';

const TEAMS = [
  { name: 'research', queue: { weight: 1, capability: { cpu: 64, memory: '256Gi', gpu: 4 } } },
  { name: 'ml-eng', queue: { weight: 1, capability: { cpu: 32, memory: '128Gi' } } },
];
const withCost = (cost: unknown, patch: Record<string, unknown> = {}) => minimalInput({ teams: TEAMS, cost, ...patch });

/** kube-state-metrics' sanitized label name for a Kubernetes label on `kube_node_labels`. */
const ksmLabel = (k8sLabel: string) => `label_${k8sLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/** Every expression of the cost view: dashboard panels and variables, recording rules, budget alerts. */
function costExpressions(): { where: string; expr: string }[] {
  const cluster = loadOk(withCost({ enabled: true, budgets: { research: { monthlyUSD: 1000 }, 'ml-eng': { monthlyUSD: 500, alertAtPercent: 100 } } }));
  const group = costRuleGroup(cluster);
  return [
    ...COST_DASHBOARD.panels.flatMap((p) => p.targets.map((t) => ({ where: `${COST_DASHBOARD.uid}/${p.title}`, expr: t.expr }))),
    ...COST_DASHBOARD.variables.map((v) => ({ where: `${COST_DASHBOARD.uid}/$${v.name}`, expr: v.selector })),
    ...group.records.map((r) => ({ where: r.record, expr: r.expr })),
    ...group.rules.map((r) => ({ where: r.alert, expr: r.expr })),
  ];
}

describe('cost view (OpenCost)', () => {
  test('every dashboard, recording and alert expression parses as PromQL', () => {
    const exprs = costExpressions();
    expect(exprs.length).toBeGreaterThan(10);
    for (const { where, expr } of exprs) expect(promqlProblems(expr), `${where}: ${expr}`).toEqual([]);
  });

  test('every metric the cost view reads is one OpenCost 1.120 exports, kube_node_labels, or a cost recording rule', () => {
    const known = new Set([...Object.keys(OPENCOST_METRICS), 'kube_node_labels', ...COST_RECORDING_RULES.map((r) => r.record)]);
    const used = new Set(costExpressions().flatMap((e) => metricNames(e.expr)));
    expect([...used].filter((m) => !known.has(m))).toEqual([]);
    // the brief's panels: node prices, allocations, GPUs
    for (const m of [
      'node_total_hourly_cost',
      'container_cpu_allocation',
      'container_memory_allocation_bytes',
      'container_gpu_allocation',
      'node_gpu_hourly_cost',
      'kube_node_labels',
    ])
      expect(used, m).toContain(m);
  });

  test("queries group by labels the metrics carry: OpenCost's namespace/node, kube-state-metrics' allow-listed Karpenter labels", () => {
    for (const m of ['container_cpu_allocation', 'container_memory_allocation_bytes', 'container_gpu_allocation'])
      expect(OPENCOST_METRICS[m]).toEqual(expect.arrayContaining(['namespace', 'node']));
    for (const m of ['node_cpu_hourly_cost', 'node_ram_hourly_cost', 'node_gpu_hourly_cost', 'node_total_hourly_cost'])
      expect(OPENCOST_METRICS[m]).toContain('node');
    const exprs = COST_DASHBOARD.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const l of KARPENTER_COST_LABELS) expect(exprs).toContain(ksmLabel(l));
    const ksm = kubePrometheusStackValues(loadOk(withCost({ enabled: true })))['kube-state-metrics'];
    expect(ksm.metricLabelsAllowlist).toEqual(['nodes=[karpenter.sh/nodepool,karpenter.sh/capacity-type]']);
    expect(kubePrometheusStackValues(loadOk(withCost({ enabled: false })))['kube-state-metrics'].metricLabelsAllowlist).toBeUndefined();
  });

  test('OpenCost reads the Prometheus Service kube-prometheus-stack renders, runs on the core node group, and is scraped', () => {
    const kps = readFileSync(join(CHART_MIRROR, 'kube-prometheus-stack-88.5.3', 'templates', 'prometheus', 'service.yaml'), 'utf8');
    expect(kps).toContain('name: {{ template "kube-prometheus-stack.fullname" . }}-prometheus');
    const kpsValues = parse(readFileSync(join(CHART_MIRROR, 'kube-prometheus-stack-88.5.3', 'values.yaml'), 'utf8')) as {
      prometheus: { service: { port: number } };
    };
    expect(kpsValues.prometheus.service.port).toBe(PLATFORM_PROMETHEUS.port);
    expect(PLATFORM_PROMETHEUS).toEqual({ serviceName: 'kube-prometheus-stack-prometheus', namespace: 'monitoring', port: 9090 });
    const values = opencostValues(loadOk(withCost({ enabled: true }))) as { opencost: Record<string, any> };
    expect(values.opencost.prometheus.internal).toMatchObject({
      enabled: true,
      serviceName: PLATFORM_PROMETHEUS.serviceName,
      namespaceName: 'monitoring',
      port: 9090,
    });
    expect(values.opencost.nodeSelector).toEqual(CORE_NODE_SELECTOR);
    expect(values.opencost.metrics.serviceMonitor.enabled).toBe(true);
    // honorLabels (the chart's default) keeps OpenCost's own namespace/node labels instead of the exporter pod's
    const chartValues = parse(readFileSync(join(CHART_MIRROR, 'opencost-2.5.17', 'values.yaml'), 'utf8')) as {
      opencost: { metrics: { serviceMonitor: { honorLabels: boolean } } };
    };
    expect(chartValues.opencost.metrics.serviceMonitor.honorLabels).toBe(true);
  });

  test('renders the dashboard ConfigMap and one budget alert per team with its threshold, only when enabled', () => {
    const cluster = loadOk(withCost({ enabled: true, budgets: { research: { monthlyUSD: 1000 }, 'ml-eng': { monthlyUSD: 500, alertAtPercent: 100 } } }));
    expect(opencost.enabled(cluster)).toBe(true);
    const objects = chartObjects(cluster, 'opencost');
    const map = find(objects, 'ConfigMap', 'grafana-dashboard-cost');
    expect(map.metadata).toMatchObject({ namespace: OPENCOST_NAMESPACE, labels: { grafana_dashboard: '1' } });
    const dash = JSON.parse((map.data as Record<string, string>)['eksai-cost.json']!) as { panels: { title: string }[] };
    expect(dash.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Cost per team namespace', 'Cost per NodePool', 'Cost per capacity type', 'GPU hours per team (last 24 h)']),
    );
    const rules = (find(objects, 'PrometheusRule', 'eksai-cost').spec as { groups: { rules: any[] }[] }).groups[0]!.rules;
    expect(rules.filter((r) => r.record).map((r) => r.record)).toEqual([COST_RECORDS.namespaceHourly, COST_RECORDS.namespaceMonthlyProjected]);
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.map((r) => r.expr)).toEqual([
      `${COST_RECORDS.namespaceMonthlyProjected}{namespace="research"} > 800`,
      `${COST_RECORDS.namespaceMonthlyProjected}{namespace="ml-eng"} > 500`,
    ]);
    expect(alerts.map((r) => r.labels.severity)).toEqual(['warning', 'critical']);
    for (const r of alerts) {
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(r.annotations.summary).toMatch(/\S/);
      expect(r.annotations.description).toContain('cost.budgets.');
    }
    expect(opencost.enabled(loadOk(minimalInput({ teams: TEAMS })))).toBe(false);
  });

  test('fails when a budget names a team the cluster does not have', () => {
    expect(loadErrors(withCost({ enabled: true, budgets: { reserch: { monthlyUSD: 100 } } }))).toEqual([
      'clusters/minimal.ts: cost.budgets.reserch is a budget for a team this cluster does not have (got "reserch"): did you mean \'research\'?',
    ]);
  });

  test('fails when a budget is not a positive amount', () => {
    const errors = loadErrors(withCost({ enabled: true, budgets: { research: { monthlyUSD: 0 } } }));
    expect(errors.join('\n')).toMatch(/cost\.budgets\.research\.monthlyUSD.*must be a positive number of US dollars per month/);
  });

  test('fails when the cost view is on without observability', () => {
    expect(loadErrors(withCost({ enabled: true }, { observability: { enabled: false } }))).toEqual([
      'clusters/minimal.ts: cost.enabled needs observability: OpenCost reads and writes the platform Prometheus, and the cost dashboard and alerts live there (got true): set observability.enabled: true, or cost.enabled: false',
    ]);
  });

  test('warns when budgets are set while the cost view is off (no alert could fire)', () => {
    const { errors, warnings } = checkClusterInput(withCost({ budgets: { research: { monthlyUSD: 100 } } }), 'clusters/minimal.ts');
    expect(errors).toEqual([]);
    expect(warnings.filter((w) => w.path.startsWith('cost'))).toEqual([
      {
        file: 'clusters/minimal.ts',
        path: 'cost.budgets',
        message: 'has budgets but the cost view is off, so no budget alert can fire',
        value: 'research',
        fix: 'set cost.enabled: true, or remove the budgets',
      },
    ]);
  });

  test('the real chart renders a Deployment that PSA restricted admits, on the core node group, reading the platform Prometheus, and a ServiceMonitor on its http port', () => {
    const cluster = loadOk(withCost({ enabled: true }));
    const app = helmApps(cluster).find((a) => a.application === 'opencost')!;
    const objects = parseRendered(renderText(app, cluster.kubernetesVersion));
    const pod = (find(objects, 'Deployment', 'opencost').spec as any).template.spec;
    expect(pod.nodeSelector).toEqual(CORE_NODE_SELECTOR);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.volumes ?? []).toEqual([]);
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true });
      expect(
        c.ports.every((p: { hostPort?: number }) => p.hostPort === undefined),
        c.name,
      ).toBe(true);
    }
    const env = Object.fromEntries(
      pod.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env.PROMETHEUS_SERVER_ENDPOINT).toBe(
      `http://${PLATFORM_PROMETHEUS.serviceName}.${PLATFORM_PROMETHEUS.namespace}.svc.cluster.local:${PLATFORM_PROMETHEUS.port}`,
    );
    expect(objects.filter((o) => o.kind === 'Deployment').length).toBe(1); // no UI
    const monitor = find(objects, 'ServiceMonitor', 'opencost').spec as any;
    expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics', honorLabels: true })]);
    const service = find(objects, 'Service', 'opencost').spec as any;
    expect(service.ports.map((p: { name: string }) => p.name)).toContain('http');
    expect(service.selector).toEqual(monitor.selector.matchLabels);
  });
});

afterAll(cleanupHelm);
