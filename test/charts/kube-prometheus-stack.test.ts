import { describe, expect, test } from 'vitest';
import { GRAFANA_DASHBOARD_LABEL, kubePrometheusStack, kubePrometheusStackValues, retentionSize } from '../../charts/kube-prometheus-stack';
import { PLATFORM_NAMESPACES, SYNC_WAVES } from '../../charts/component';
import { CHARTS } from '../../charts/versions';
import { buildCluster } from '../../pipeline/synth/build';
import { chartObjects, find, loadErrors, loadOk, minimalInput } from '../helpers';

const CORE = { nodeSelector: { 'eksai.io/node-group': 'core' }, tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] };

describe('kube-prometheus-stack component', () => {
  const cluster = loadOk(minimalInput());
  const values = kubePrometheusStackValues(cluster);

  test('chart pin, monitoring namespace, platform wave, server-side apply for the big CRDs', () => {
    expect(kubePrometheusStack.helm!(cluster)).toMatchObject({
      repoURL: 'https://prometheus-community.github.io/helm-charts',
      chart: 'kube-prometheus-stack',
      version: '88.5.3',
      releaseName: 'kube-prometheus-stack',
    });
    expect(CHARTS.kubePrometheusStack.version).toBe('88.5.3');
    expect(kubePrometheusStack.namespace).toBe(PLATFORM_NAMESPACES.monitoring);
    expect(kubePrometheusStack.wave).toBe(SYNC_WAVES.platform);
    expect(kubePrometheusStack.syncOptions).toContain('ServerSideApply=true');
    // Argo CD applies the CRDs itself: no CRD upgrade Job
    expect(values.crds).toEqual({ enabled: true, upgradeJob: { enabled: false } });
    const app = find(buildCluster(cluster).charts.get('apps')!, 'Application', 'kube-prometheus-stack');
    expect((app.spec as any).syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('operator, Prometheus, Alertmanager, Grafana and kube-state-metrics run on the core node group', () => {
    expect(values.prometheusOperator).toMatchObject({ ...CORE, admissionWebhooks: { patch: CORE } });
    expect(values.prometheus.prometheusSpec).toMatchObject(CORE);
    expect(values.alertmanager.alertmanagerSpec).toMatchObject(CORE);
    expect(values.grafana).toMatchObject(CORE);
    expect(values['kube-state-metrics']).toMatchObject(CORE);
  });

  test('routes alerts through the receivers Secret named in the cluster file; without it the chart default stays', () => {
    const routed = kubePrometheusStackValues(
      loadOk(minimalInput({ environment: 'prod', observability: { alertmanagerConfigSecret: 'alertmanager-receivers' } })),
    );
    expect(routed.alertmanager).toEqual({ enabled: true, alertmanagerSpec: { ...CORE, configSecret: 'alertmanager-receivers', useExistingSecret: true } });
    expect(kubePrometheusStackValues(loadOk(minimalInput({ environment: 'prod' }))).alertmanager.alertmanagerSpec).toEqual(CORE);
  });

  test('fails when alertmanagerConfigSecret is not a Secret name', () => {
    expect(loadErrors(minimalInput({ observability: { alertmanagerConfigSecret: 'Receivers!' } })).join('\n')).toContain(
      'observability.alertmanagerConfigSecret must be a Secret name',
    );
  });

  test('node-exporter tolerates every taint (GPU, Cilium startup, core), so it runs on every node', () => {
    expect(values['prometheus-node-exporter'].tolerations).toEqual([{ operator: 'Exists' }]);
  });

  test('retention and gp3 volume per environment, size-based retention at 85% of the volume', () => {
    const spec = (environment: string) => kubePrometheusStackValues(loadOk(minimalInput({ environment }))).prometheus.prometheusSpec;
    expect(spec('dev')).toMatchObject({
      retention: '3d',
      retentionSize: '17GB',
      storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '20Gi' } } } } },
    });
    expect(spec('staging')).toMatchObject({
      retention: '7d',
      retentionSize: '42GB',
      storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '50Gi' } } } } },
    });
    expect(spec('prod')).toMatchObject({
      retention: '15d',
      retentionSize: '170GB',
      storageSpec: {
        volumeClaimTemplate: { spec: { storageClassName: 'gp3', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '200Gi' } } } },
      },
    });
    expect(retentionSize(5)).toBe('4GB');
    // gp3 is the class the storage component makes the cluster default
    const gp3 = find(chartObjects(cluster, 'storage'), 'StorageClass', 'gp3');
    expect(gp3.metadata.annotations).toMatchObject({ 'storageclass.kubernetes.io/is-default-class': 'true' });
  });

  test('cluster file overrides win over the environment layer', () => {
    const c = loadOk(
      minimalInput({ environment: 'prod', observability: { prometheus: { retention: '30d', volumeGiB: 500 }, grafana: false, alertmanager: false } }),
    );
    const v = kubePrometheusStackValues(c);
    expect(v.prometheus.prometheusSpec).toMatchObject({ retention: '30d', retentionSize: '425GB' });
    expect(v.grafana.enabled).toBe(false);
    expect(v.alertmanager.enabled).toBe(false);
    expect(kubePrometheusStackValues(loadOk(minimalInput())).alertmanager.enabled).toBe(false);
    expect(kubePrometheusStackValues(loadOk(minimalInput({ environment: 'staging' }))).alertmanager.enabled).toBe(true);
  });

  test('Prometheus selects monitors and rules of every namespace and release; EKS-managed control plane scrapers are off', () => {
    expect(values.prometheus.prometheusSpec).toMatchObject({
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
    });
    expect(values).toMatchObject({
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeEtcd: { enabled: false },
      kubeProxy: { enabled: false },
    });
    expect(values.defaultRules.rules).toMatchObject({ etcd: false, kubeControllerManager: false, kubeProxy: false });
  });

  test('Grafana loads dashboards labelled grafana_dashboard "1" from every namespace and its admin login only by reference', () => {
    expect(values.grafana.sidecar.dashboards).toEqual({ enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' });
    expect(GRAFANA_DASHBOARD_LABEL).toEqual({ grafana_dashboard: '1' });
    expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    expect(JSON.stringify(values)).not.toMatch(/adminPassword|prom-operator/);
  });

  test('off when observability.enabled is false', () => {
    expect(kubePrometheusStack.enabled(loadOk(minimalInput({ observability: { enabled: false } })))).toBe(false);
    expect(kubePrometheusStack.enabled(cluster)).toBe(true);
  });

  test('fails when the retention is not a Prometheus duration or the volume is too small', () => {
    expect(loadErrors(minimalInput({ observability: { prometheus: { retention: '15 days', volumeGiB: 1 } } }))).toEqual([
      'clusters/minimal.ts: observability.prometheus.retention must be a Prometheus duration such as 3d, 12h or 2w (got "15 days")',
      'clusters/minimal.ts: observability.prometheus.volumeGiB must be at least 5 GiB (room for the WAL and compaction) (got 1): change the value to fit the bound',
    ]);
  });
});
