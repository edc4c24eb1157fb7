import { basename } from 'node:path';
import type { RenderedRelease } from '../render';
import * as pins from '../../lib/schemas/pins';
import type { CrossDoc, ValidationProblem } from './types';
import { clusterOf, nameOf, owners, waveOf } from './owners';
import { appSources, chartOf } from './pods';
import type { SchemaNode, SchemaSet } from '../check/schemas';
import { scalarText } from '../../lib/text';

/**
 * CRDs against what uses them: every custom resource (dist or rendered) needs a CRD serving its
 * group/version/kind, installed by its own Application's sync or by an Application of an earlier sync wave; and a chart
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

/**
 * Which chart installs the CRDs of which API group (the operators eksai deploys): what the check knows of a
 * cluster whose releases were not rendered (`--no-render`). With renders, the rendered CRDs say it exactly.
 */
export const CRD_CHARTS: Readonly<Record<string, string>> = {
  'karpenter.sh': 'karpenter',
  'karpenter.k8s.aws': 'karpenter',
  'ray.io': 'kuberay-operator',
  'scheduling.volcano.sh': 'volcano',
  'batch.volcano.sh': 'volcano',
  'monitoring.coreos.com': 'kube-prometheus-stack',
  'cilium.io': 'cilium',
};

interface Installed {
  readonly app?: CrossDoc;
  readonly crd: string;
  /** Registered by a running operator, not applied as a manifest of its Application's sync. */
  readonly atRuntime?: boolean;
}

/**
 * Findings per document index: custom resources whose CRD is installed by nothing in their cluster, or not
 * before the Application applying them syncs. Argo CD's sync waves order the child Applications (the root
 * waits for each wave's Applications to be healthy, apps/ argocd-cm health patch), so a CRD installed by
 * another Application must be installed at an earlier wave: at the same wave both sync at once and the CR's
 * dry-run fails on the unknown kind. A CRD in the same Application's own manifests is fine: Argo CD skips the
 * dry-run of a custom resource whose CRD is part of the same sync (gitops-engine sync_context.go,
 * hasCRDOfGroupKind) and applies CRDs first. A CRD an operator registers at runtime is not part of any sync,
 * so its custom resources need a later wave than the operator's Application, even in that Application.
 *
 * Clusters whose releases were rendered are judged by the CRDs dist and the renders carry; the others by
 * CRD_CHARTS (which Application installs the chart of an operator group). `isBuiltin` says whether a
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
  const byChart = new Map<string, CrossDoc>(); // cluster \0 chart → the Application installing it
  for (const d of docs) {
    if (!d.apiVersion.startsWith('argoproj.io/') || d.kind !== 'Application' || d.application !== undefined) continue;
    apps.set(`${clusterOf(d)}\0${nameOf(d)}`, d);
    for (const { source } of appSources(d.obj)) {
      const chart = chartOf(source);
      if (chart) byChart.set(`${clusterOf(d)}\0${chart}`, d);
    }
  }
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
    if (!d.apiVersion.includes('/') || isBuiltin(group, d.kind) || d.kind === 'CustomResourceDefinition') return;
    const app = owner.get(i);
    const add = (path: string, message: string): void => {
      out.set(i, [...(out.get(i) ?? []), { path, message, rule: 'cross/crd-installed' }]);
    };
    const gvk = `${d.apiVersion}/${d.kind}`;
    let installers: readonly Installed[];
    if (group in CRDS_WITHOUT_MANIFEST && !installed.has(`${cluster}\0${gvk}`)) {
      const release = CRDS_WITHOUT_MANIFEST[group];
      if (release === undefined) return;
      const registrar = apps.get(`${cluster}\0${release}`);
      // Without renders the cluster's Applications may not all be among the validated files: nothing is called missing.
      if (!registrar && !rendered.has(basename(cluster))) return;
      if (!registrar) {
        add(
          'apiVersion',
          `${d.kind} ${nameOf(d)} needs the ${group} CRDs, which the ${release} operator registers, and ${cluster} deploys no Application ${release}: deploy it or remove this object`,
        );
        return;
      }
      installers = [{ app: registrar, crd: `${group} (registered by the ${release} operator)`, atRuntime: true }];
    } else if (rendered.has(basename(cluster))) {
      installers = installed.get(`${cluster}\0${gvk}`) ?? [];
      if (installers.length === 0) {
        add(
          'apiVersion',
          `no CRD serving ${gvk} is installed by any release or by dist in ${cluster}: add the chart or manifest that installs it (or fix apiVersion ${d.apiVersion})`,
        );
        return;
      }
    } else {
      // Not rendered: only the operator groups eksai deploys are known, by the Application of their chart.
      const chart = CRD_CHARTS[group];
      const installer = chart === undefined ? undefined : byChart.get(`${cluster}\0${chart}`);
      if (!installer) return;
      installers = [{ app: installer, crd: `${group} (chart ${chart})` }];
    }
    if (!app) return;
    const wave = waveOf(app);
    const inTime = (x: Installed): boolean => !x.app || (x.app === app ? !x.atRuntime : waveOf(x.app) < wave);
    if (installers.some(inTime)) return;
    const first = installers.reduce((a, b) => (waveOf(b.app!) < waveOf(a.app!) ? b : a));
    const at = `${d.kind} ${nameOf(d)} is applied by Application ${nameOf(app)} at sync wave ${wave}, but its CRD ${first.crd}`;
    add(
      'apiVersion',
      first.app === app
        ? `${at} exists only once that operator runs, after this sync applies the object: move it to an Application of a wave later than ${wave}`
        : `${at} is installed by Application ${nameOf(first.app!)} at wave ${waveOf(first.app!)}: give ${nameOf(app)} a wave later than ${waveOf(first.app!)}, or install the CRD earlier`,
    );
  });
}

/** Deep equality of JSON values, key order ignored (schemas from YAML and from renders); the same object is equal at once. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Obj)[k], (b as Obj)[k]));
}

/** Served versions whose schemas differ between two CRDs (or that only one serves). */
const differing = (a: Readonly<Record<string, SchemaNode>>, b: Readonly<Record<string, SchemaNode>>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((v) => !(v in a && v in b && sameJson(a[v], b[v])));

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
  // Rendered CRD → message, one comparison per CRD object (renders intern equal objects, so a CRD that several
  // clusters' releases render is compared once).
  const compared = new Map<Obj, string | undefined>();
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
      const key = o;
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
