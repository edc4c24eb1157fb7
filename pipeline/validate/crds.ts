import { basename } from 'node:path';
import type { RenderedRelease } from '../render';
import * as pins from '../../lib/schemas/pins';
import type { CrossDoc, ValidationProblem } from './types';
import { clusterOf, nameOf, owners, waveOf } from './owners';
import type { SchemaNode, SchemaSet } from '../check/schemas';
import { scalarText } from '../../lib/text';

/**
 * CRDs against what uses them: every custom resource (dist or rendered) needs a CRD serving its
 * group/version/kind, installed by some release or by dist in an earlier or the same sync wave; and a chart
 * whose CRDs are also pinned in lib/schemas/pins.ts must ship the pinned schemas, or the pin is stale.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/**
 * API groups whose CRDs no manifest carries: Argo CD's own (installed with Argo CD by the bootstrap, before
 * any Application exists), and Cilium's, which the Cilium operator registers when it starts (its chart ships
 * none; https://docs.cilium.io/en/stable/configuration/k8s-crds/ — "Cilium CRDs are registered by the
 * operator"). The value is the release that registers them, or undefined when they exist before any sync.
 */
const CRDS_WITHOUT_MANIFEST: Readonly<Record<string, string | undefined>> = { 'argoproj.io': undefined, 'cilium.io': 'cilium' };

interface Installed {
  readonly app?: CrossDoc;
  readonly crd: string;
}

/**
 * Findings per document index: custom resources whose CRD is installed by nothing in their cluster, or by an
 * Application of a later sync wave than the one applying them. Only clusters whose releases were rendered
 * are judged (without the renders, the CRDs charts install are unknown). `isBuiltin` says whether a
 * group/kind is served by Kubernetes itself.
 */
export function crdProblems(
  docs: readonly CrossDoc[],
  releases: readonly RenderedRelease[],
  isBuiltin: (group: string, kind: string) => boolean,
  out: Map<number, ValidationProblem[]>,
): void {
  const rendered = new Set(releases.map((r) => r.cluster));
  const owner = owners(docs);
  const apps = new Map<string, CrossDoc>();
  for (const d of docs)
    if (d.apiVersion.startsWith('argoproj.io/') && d.kind === 'Application' && d.application === undefined) apps.set(`${clusterOf(d)}\0${nameOf(d)}`, d);
  const installed = new Map<string, Installed[]>(); // cluster \0 group/version/Kind → installers
  docs.forEach((d, i) => {
    if (d.kind !== 'CustomResourceDefinition' || !isObj(d.obj.spec)) return;
    const { group, names, versions } = d.obj.spec;
    if (typeof group !== 'string' || !isObj(names) || typeof names.kind !== 'string' || !Array.isArray(versions)) return;
    for (const v of versions.filter(isObj)) {
      if (v.served === false || typeof v.name !== 'string') continue;
      const k = `${clusterOf(d)}\0${group}/${v.name}/${names.kind}`;
      installed.set(k, [...(installed.get(k) ?? []), { app: owner.get(i), crd: nameOf(d) }]);
    }
  });
  docs.forEach((d, i) => {
    const cluster = clusterOf(d);
    const group = groupOf(d.apiVersion);
    if (!rendered.has(basename(cluster)) || !d.apiVersion.includes('/') || isBuiltin(group, d.kind) || d.kind === 'CustomResourceDefinition') return;
    const app = owner.get(i);
    const add = (path: string, message: string): void => {
      out.set(i, [...(out.get(i) ?? []), { path, message, rule: 'cross/crd-installed' }]);
    };
    const gvk = `${d.apiVersion}/${d.kind}`;
    let installers = installed.get(`${cluster}\0${gvk}`) ?? [];
    if (installers.length === 0 && group in CRDS_WITHOUT_MANIFEST) {
      const release = CRDS_WITHOUT_MANIFEST[group];
      if (release === undefined) return;
      const registrar = apps.get(`${cluster}\0${release}`);
      if (!registrar) {
        add(
          'apiVersion',
          `${d.kind} ${nameOf(d)} needs the ${group} CRDs, which the ${release} operator registers, and ${cluster} deploys no Application ${release}: deploy it or remove this object`,
        );
        return;
      }
      installers = [{ app: registrar, crd: `${group} (registered by the ${release} operator)` }];
    }
    if (installers.length === 0) {
      add(
        'apiVersion',
        `no CRD serving ${gvk} is installed by any release or by dist in ${cluster}: add the chart or manifest that installs it (or fix apiVersion ${d.apiVersion})`,
      );
      return;
    }
    if (!app) return;
    const wave = waveOf(app);
    const early = installers.filter((x) => !x.app || x.app === app || waveOf(x.app) <= wave);
    if (early.length > 0) return;
    const first = installers.reduce((a, b) => (waveOf(b.app!) < waveOf(a.app!) ? b : a));
    add(
      'apiVersion',
      `${d.kind} ${nameOf(d)} is applied by Application ${nameOf(app)} at sync wave ${wave}, but its CRD ${first.crd} is installed by Application ${nameOf(first.app!)} at wave ${waveOf(first.app!)}: give ${nameOf(app)} a wave of at least ${waveOf(first.app!)}, or install the CRD earlier`,
    );
  });
}

const CANONICAL = new WeakMap<object, string>();

/** Canonical JSON (sorted keys) for comparing schemas; memoised per object (renders and pins are shared, never mutated). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  let text = CANONICAL.get(v);
  if (text === undefined) {
    text = Array.isArray(v)
      ? `[${v.map(canonical).join(',')}]`
      : `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Obj)[k])}`)
          .join(',')}}`;
    CANONICAL.set(v, text);
  }
  return text;
}

/** Served versions whose schemas differ between two CRDs (or that only one serves). */
const differing = (a: Readonly<Record<string, SchemaNode>>, b: Readonly<Record<string, SchemaNode>>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((v) => canonical(a[v]) !== canonical(b[v]));

/** The pins.ts constant whose value is a path segment of a pinned URL (e.g. KARPENTER_VERSION for …/v1.14.1/…). */
function pinConstant(url: string): { readonly name: string; readonly value: string } | undefined {
  for (const [name, value] of Object.entries(pins)) {
    if (typeof value === 'string' && name.endsWith('_VERSION') && url.includes(`/${value}/`)) return { name, value };
  }
  return undefined;
}

/**
 * Charts whose CRDs are pinned in pins.ts but which do not ship them (their operator registers them at run
 * time), by chart name → the pin that must equal `v<chart version>`.
 */
const VERSION_PINNED_CHARTS: Readonly<Record<string, keyof typeof pins>> = { cilium: 'CILIUM_VERSION' };

/** A pins finding on an object of a release (`index`) or on its Application (`index` undefined). */
export interface PinFinding {
  readonly release: RenderedRelease;
  readonly index?: number;
  readonly problem: ValidationProblem;
}

/**
 * Pins that a chart bump left behind: a rendered CRD whose schema differs from the pinned one of the same
 * kind (pins.ts, used by `npm run import` and by validate when nothing is rendered), and a chart that ships
 * no CRDs whose pinned version is not its own (VERSION_PINNED_CHARTS).
 */
export async function pinProblems(releases: readonly RenderedRelease[], schemas: SchemaSet): Promise<PinFinding[]> {
  const out: PinFinding[] = [];
  const compared = new Map<string, string | undefined>(); // canonical rendered CRD → message (one comparison per distinct CRD)
  for (const release of releases) {
    const pinName = VERSION_PINNED_CHARTS[release.chart];
    const pinned = pinName ? (pins[pinName] as unknown as string) : undefined;
    if (pinName && pinned !== `v${release.version}`) {
      out.push({
        release,
        problem: {
          path: 'spec.source.targetRevision',
          message: `chart ${release.chart} ${release.version} registers its own CRDs, but they are validated against lib/schemas/pins.ts ${pinName} = ${JSON.stringify(pinned)}: bump ${pinName} to "v${release.version}", then run npm run import`,
          rule: 'cross/crd-pins-match-charts',
        },
      });
    }
    for (const [index, o] of release.objects.entries()) {
      if (o.kind !== 'CustomResourceDefinition' || !isObj(o.spec) || !isObj(o.spec.names)) continue;
      const group = scalarText(o.spec.group);
      const kind = scalarText(o.spec.names.kind);
      const versions: Record<string, SchemaNode> = {};
      for (const v of (Array.isArray(o.spec.versions) ? o.spec.versions : []).filter(isObj)) {
        const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
        if (v.served !== false && isObj(schema)) versions[String(v.name)] = schema;
      }
      const key = `${group}/${kind}\0${Object.entries(versions)
        .map(([v, schema]) => `${v}=${canonical(schema)}`)
        .join('\0')}`;
      if (!compared.has(key)) {
        const pin = await schemas.pinnedCrd(group, kind);
        let message: string | undefined;
        if (pin && differing(pin.versions, versions).length > 0) {
          const constant = pinConstant(pin.url);
          const what = constant ? `${constant.name} = ${JSON.stringify(constant.value)}` : pin.url;
          const differs = differing(pin.versions, versions);
          message = `chart ${release.chart} ${release.version} installs CRD ${String(isObj(o.metadata) ? o.metadata.name : kind)} with a schema that differs from the pinned ${pin.url} (served version${differs.length === 1 ? '' : 's'} ${differs.join(', ')}; lib/schemas/pins.ts ${what}): bump the pin to the version this chart installs, then run npm run import`;
        }
        compared.set(key, message);
      }
      const message = compared.get(key);
      if (message) out.push({ release, index, problem: { path: 'spec.versions', message, rule: 'cross/crd-pins-match-charts' } });
    }
  }
  return out;
}
