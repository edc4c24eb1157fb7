import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { valuesVary, varyingFunction } from '../../../pipeline/render/chart-scan';
import type { ResolvedChart } from '../../../pipeline/render/charts';
import { chartMirror, cleanTemps, tempDir } from './helpers';

afterAll(cleanTemps);

let n = 0;
/** A chart folder with the given files (path → text), as the scan sees it. */
function chart(files: Record<string, string>): ResolvedChart {
  const dir = tempDir('scan');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, digest: `sha256:test-${n++}`, digestKind: 'tree', ref: { repoURL: 'https://example.test', chart: 'x', oci: false, version: '1.0.0' } };
}
const fnOf = (files: Record<string, string>) => varyingFunction(chart(files))?.fn;

describe('which charts can render differently twice (chart-scan varyingFunction)', () => {
  test('finds time, randomness, generated keys and certificates, and map order in any file of the chart', () => {
    expect(fnOf({ 'templates/s.yaml': 'a: {{ randAlphaNum 16 | b64enc }}' })).toBe('randAlphaNum');
    expect(fnOf({ 'templates/_h.tpl': '{{- define "x" -}}{{ now | date "2006" }}{{- end -}}' })).toBe('now');
    expect(fnOf({ 'charts/sub/templates/c.yaml': '{{ $ca := genCA "x" 365 }}' })).toBe('genCA');
    expect(fnOf({ 'templates/w.yaml': '{{ htpasswd "u" "p" }}' })).toBe('htpasswd');
    expect(fnOf({ 'templates/l.yaml': '{{ range keys .Values.m }}{{ . }}{{ end }}' })).toBe('keys');
    expect(fnOf({ 'files/conf.tpl': 'id: {{ uuidv4 }}' })).toBe('uuidv4');
    expect(varyingFunction(chart({ 'templates/a.yaml': '{{ uuidv4 }}' }))).toEqual({ fn: 'uuidv4', file: 'templates/a.yaml' });
  });

  test('passes what cannot vary: fields, variables, strings, comments, NOTES.txt, sorted or counted keys, text outside actions', () => {
    expect(
      fnOf({
        'templates/a.yaml': [
          'name: {{ .Values.keys }} {{ $now := 1 }}{{ $values := .Values }}',
          '{{ fail (printf "values.x must be set, got %q" .Values.x) }}',
          '{{- /* keys and now in a comment */ -}}',
          '{{ toYaml (keys .Values.m | sortAlpha) }} {{ if eq (.Values.m | keys | len) 1 }}{{ end }} {{ len (keys .Values.m) }}',
          'dashboard: "time: now-6h, random"',
        ].join('\n'),
        'templates/NOTES.txt': '{{ randAlphaNum 5 }}',
        'values.yaml': 'now: 1\n',
      }),
    ).toBeUndefined();
  });

  test('values with a template action that calls a varying function (a chart may tpl them) count too', () => {
    expect(valuesVary('password: "{{ randAlphaNum 12 }}"\n')).toBe(true);
    expect(valuesVary('title: "{{ .Release.Name }} now"\n')).toBe(false);
    expect(valuesVary('plain: now\n')).toBe(false);
  });

  test('classifies the pinned charts: five render the same every time, the others generate certificates, secrets or read the clock', () => {
    const mirror = chartMirror();
    const pinned = (dir: string) =>
      varyingFunction({ dir: join(mirror, dir), digest: `sha256:mirror-${dir}`, digestKind: 'tree', ref: { repoURL: '', chart: dir, oci: false, version: '' } })
        ?.fn;
    expect(
      Object.fromEntries(
        [
          'aws-load-balancer-controller-1.14.0',
          'cilium-1.19.4',
          'dcgm-exporter-4.1.1',
          'jupyterhub-4.4.0',
          'karpenter-1.14.1',
          'kube-prometheus-stack-88.5.3',
          'kuberay-operator-1.7.0',
          'nvidia-device-plugin-0.17.1',
          'opencost-2.5.17',
          'volcano-1.15.1',
        ].map((c) => [c, pinned(c) ?? null]),
      ),
    ).toEqual({
      'aws-load-balancer-controller-1.14.0': 'genCA',
      'cilium-1.19.4': 'genCA',
      'dcgm-exporter-4.1.1': 'genCA',
      'jupyterhub-4.4.0': 'randNumeric',
      'karpenter-1.14.1': null,
      'kube-prometheus-stack-88.5.3': 'randAlphaNum',
      'kuberay-operator-1.7.0': null,
      'nvidia-device-plugin-0.17.1': null,
      'opencost-2.5.17': null,
      'volcano-1.15.1': null,
    });
  });
});
