import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { helmApps, testEachExampleCluster } from './render';

/**
 * Every value eksai sets must be one the chart reads: a key path that exists in the pinned chart's own
 * values.yaml (charts document every value there), down to where the chart's default is an empty map or
 * null (free-form: labels, nodeSelector, settings) or a list (replaced whole). Catches values that no
 * template reads, e.g. a `webhook` block Karpenter 1.14 no longer has.
 */
function unknownKeys(values: unknown, defaults: unknown, path: string[] = []): string[] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return [];
  if (FREE_FORM.has(path.at(-1) ?? '') || FREE_FORM.has(path.join('.'))) return [];
  if (defaults === null || defaults === undefined) return [];
  if (typeof defaults !== 'object' || Array.isArray(defaults)) return [];
  const known = defaults as Record<string, unknown>;
  if (Object.keys(known).length === 0) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    if (!(key in known)) out.push([...path, key].join('.'));
    else out.push(...unknownKeys(value, known[key], [...path, key]));
  }
  return out;
}

/**
 * Maps whose keys are data, not values the chart defines: Kubernetes label maps, and z2jh's `hub.config`
 * (JupyterHub traitlets config by class name, passed through to jupyterhub_config.py).
 */
const FREE_FORM = new Set(['nodeSelector', 'labels', 'annotations', 'podLabels', 'podAnnotations', 'hub.config']);

/**
 * values.yaml of a chart with its bundled subcharts' values.yaml under their name or alias (Chart.yaml
 * dependencies), plus each dependency's `condition` key, which Helm itself reads.
 */
function chartDefaults(dir: string): Record<string, unknown> {
  const defaults = (parse(readFileSync(join(dir, 'values.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  const meta = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as { dependencies?: { name: string; alias?: string; condition?: string }[] };
  for (const dep of meta.dependencies ?? []) {
    const sub = join(dir, 'charts', dep.name);
    const key = dep.alias ?? dep.name;
    const subDefaults = existsSync(join(sub, 'values.yaml')) ? chartDefaults(sub) : {};
    defaults[key] = { ...subDefaults, ...(defaults[key] ?? {}) };
    for (const condition of (dep.condition ?? '').split(',').filter(Boolean)) {
      const [head, ...rest] = condition.trim().split('.');
      const target = (defaults[head!] ??= {}) as Record<string, unknown>;
      if (rest.length === 1) target[rest[0]!] ??= false;
    }
  }
  return defaults;
}

describe('values eksai sets exist in the pinned charts', () => {
  testEachExampleCluster("fails when a value of cluster %s is not in its chart's values.yaml", (cluster) => {
    const unknown: string[] = [];
    for (const app of helmApps(cluster)) {
      unknown.push(...unknownKeys(app.values, chartDefaults(app.chartDir)).map((k) => `${app.application}: ${k}`));
    }
    expect(unknown).toEqual([]);
  });
});
