import { parseYaml } from '../../lib/yaml/safe';
import type { VALUES_SCHEMA_URLS } from '../../lib/schemas/pins';
import type { ValidationProblem } from './types';
import { ajvProblems } from './ajv';
import type { SchemaSet } from '../check/schemas';

type Chart = keyof typeof VALUES_SCHEMA_URLS;

/** Charts whose upstream ships a values schema, matched by chart name or the last segment of an OCI repoURL. */
const CHARTS: readonly Chart[] = ['cilium', 'jupyterhub'];

interface HelmSource {
  readonly chart?: string;
  readonly repoURL?: string;
  readonly helm?: { readonly valuesObject?: unknown; readonly values?: unknown };
}

function chartOf(source: HelmSource): Chart | undefined {
  const name = source.chart ?? (source.repoURL?.startsWith('oci://') ? source.repoURL.split('/').pop() : undefined);
  return CHARTS.find((c) => c === name);
}

/** Checks spec.source(s).helm.valuesObject / values of an Argo CD Application against the chart's values schema. */
export async function helmValuesProblems(app: Record<string, unknown>, schemas: SchemaSet): Promise<ValidationProblem[]> {
  const spec = (app.spec ?? {}) as { source?: HelmSource; sources?: HelmSource[] };
  const sources: [string, HelmSource][] = [];
  if (spec.source) sources.push(['spec.source', spec.source]);
  (spec.sources ?? []).forEach((s, i) => sources.push([`spec.sources[${i}]`, s]));
  const out: ValidationProblem[] = [];
  for (const [path, source] of sources) {
    const chart = chartOf(source);
    if (!chart || !source.helm) continue;
    const check = async (values: unknown, at: string): Promise<void> => {
      const fn = await schemas.valuesSchema(chart);
      if (!fn(values ?? {})) {
        // Helm checks the chart's defaults merged with these values; without the chart's values.yaml a
        // "required" miss is almost always a key the defaults provide, so only type/enum/unknown-key errors count.
        const errors = (fn.errors ?? []).filter((e) => e.keyword !== 'required');
        out.push(...ajvProblems(errors, at).map((p) => ({ ...p, message: `${p.message} (${chart} chart values schema)` })));
      }
    };
    if (source.helm.valuesObject !== undefined) await check(source.helm.valuesObject, `${path}.helm.valuesObject`);
    if (typeof source.helm.values === 'string') {
      let values: unknown;
      try {
        values = parseYaml(source.helm.values);
      } catch (err) {
        out.push({ path: `${path}.helm.values`, message: `is not valid YAML (${(err as Error).message})` });
        continue;
      }
      await check(values, `${path}.helm.values`);
    }
  }
  return out;
}
