import { podPlacement, type PodPlacement } from '../../lib/placement';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** One pod spec found inside a manifest: where it is, what it is, and what it asks of a node. */
export interface PodTemplate {
  /** Dotted path of the pod spec, e.g. `spec.workerGroupSpecs[0].template.spec`. */
  readonly path: string;
  /** e.g. `worker group "gpu"`, `notebook profile "GPU"`. */
  readonly role: string;
  readonly spec: Obj;
  /** Labels of the pod template (Volcano queue label, …). */
  readonly labels: Readonly<Record<string, unknown>>;
  /** Ray head pod (the policy heads-not-on-spot looks at these). */
  readonly rayHead?: boolean;
  /** DaemonSet pods run wherever they tolerate; they are not placed on a NodePool. */
  readonly daemon?: boolean;
}

const template = (t: unknown, path: string, role: string, extra: Partial<PodTemplate> = {}): PodTemplate[] => {
  const tpl = obj(t);
  if (!tpl.spec) return [];
  return [{ path: `${path}.spec`, role, spec: obj(tpl.spec), labels: obj(obj(tpl.metadata).labels), ...extra }];
};

function rayClusterPods(spec: Obj, at: string): PodTemplate[] {
  return [
    ...template(obj(spec.headGroupSpec).template, `${at}.headGroupSpec.template`, 'head group', { rayHead: true }),
    ...arr(spec.workerGroupSpecs).flatMap((g, i) =>
      template(obj(g).template, `${at}.workerGroupSpecs[${i}].template`, `worker group ${JSON.stringify(obj(g).groupName ?? i)}`),
    ),
  ];
}

/** Where pod templates live, per kind (choices as data). Group prefixes match any version. */
const EXTRACTORS: readonly { readonly group: string; readonly kinds: readonly string[]; readonly pods: (o: Obj) => PodTemplate[] }[] = [
  { group: 'apps', kinds: ['Deployment', 'StatefulSet', 'ReplicaSet'], pods: (o) => template(obj(o.spec).template, 'spec.template', 'pod template') },
  { group: 'apps', kinds: ['DaemonSet'], pods: (o) => template(obj(o.spec).template, 'spec.template', 'pod template', { daemon: true }) },
  { group: 'batch', kinds: ['Job'], pods: (o) => template(obj(o.spec).template, 'spec.template', 'pod template') },
  {
    group: 'batch',
    kinds: ['CronJob'],
    pods: (o) => template(obj(obj(obj(o.spec).jobTemplate).spec).template, 'spec.jobTemplate.spec.template', 'pod template'),
  },
  { group: '', kinds: ['Pod'], pods: (o) => (o.spec ? [{ path: 'spec', role: 'pod', spec: obj(o.spec), labels: obj(obj(o.metadata).labels) }] : []) },
  { group: 'ray.io', kinds: ['RayCluster'], pods: (o) => rayClusterPods(obj(o.spec), 'spec') },
  {
    group: 'ray.io',
    kinds: ['RayJob'],
    pods: (o) => [
      ...rayClusterPods(obj(obj(o.spec).rayClusterSpec), 'spec.rayClusterSpec'),
      ...template(obj(o.spec).submitterPodTemplate, 'spec.submitterPodTemplate', 'submitter'),
    ],
  },
  { group: 'ray.io', kinds: ['RayService'], pods: (o) => rayClusterPods(obj(obj(o.spec).rayClusterConfig), 'spec.rayClusterConfig') },
  {
    group: 'batch.volcano.sh',
    kinds: ['Job'],
    pods: (o) => arr(obj(o.spec).tasks).flatMap((t, i) => template(obj(t).template, `spec.tasks[${i}].template`, `task ${JSON.stringify(obj(t).name ?? i)}`)),
  },
];

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** Every pod template of a manifest (none for kinds that have none). */
export function podTemplates(apiVersion: string, kind: string, o: Obj): PodTemplate[] {
  const group = groupOf(apiVersion);
  return EXTRACTORS.filter((e) => e.group === group && e.kinds.includes(kind)).flatMap((e) => e.pods(o));
}

/** JupyterHub chart names / OCI repo names whose values carry notebook profiles. */
const JUPYTERHUB_CHARTS = ['jupyterhub'];

interface HelmSource {
  readonly chart?: unknown;
  readonly repoURL?: unknown;
  readonly helm?: { readonly valuesObject?: unknown };
}

/** The chart a Helm source installs: `chart`, or the last segment of an OCI repoURL. */
export function chartOf(source: HelmSource): string | undefined {
  if (typeof source.chart === 'string') return source.chart;
  return typeof source.repoURL === 'string' && source.repoURL.startsWith('oci://') ? source.repoURL.split('/').pop() : undefined;
}

/** Sources of an Argo CD Application with their paths (`spec.source` or `spec.sources[i]`). */
export function appSources(app: Obj): { readonly path: string; readonly source: Obj }[] {
  const spec = obj(app.spec);
  return [
    ...(spec.source ? [{ path: 'spec.source', source: obj(spec.source) }] : []),
    ...arr(spec.sources).map((s, i) => ({ path: `spec.sources[${i}]`, source: obj(s) })),
  ];
}

/**
 * Notebook pods of a JupyterHub Application: one per `singleuser.profileList[]` entry (kubespawner_override
 * node_selector / tolerations / extra_resource_limits over the singleuser defaults), or the default pod when
 * there are no profiles.
 */
export function notebookPods(app: Obj): { readonly path: string; readonly role: string; readonly placement: PodPlacement }[] {
  const out: { path: string; role: string; placement: PodPlacement }[] = [];
  for (const { path, source } of appSources(app)) {
    const chart = chartOf(source);
    if (!chart || !JUPYTERHUB_CHARTS.includes(chart)) continue;
    const singleuser = obj(obj(obj(source.helm).valuesObject).singleuser);
    const base = {
      nodeSelector: obj(singleuser.nodeSelector),
      tolerations: arr(singleuser.extraTolerations),
      limits: obj(obj(singleuser.extraResource).limits),
    };
    const at = `${path}.helm.valuesObject.singleuser`;
    const profiles = arr(singleuser.profileList);
    const pod = (o: Obj, where: string, role: string): void => {
      const nodeSelector = o.node_selector !== undefined ? obj(o.node_selector) : base.nodeSelector;
      const tolerations = o.tolerations !== undefined ? arr(o.tolerations) : base.tolerations;
      const limits = o.extra_resource_limits !== undefined ? obj(o.extra_resource_limits) : base.limits;
      const spec = { nodeSelector, tolerations, containers: [{ resources: { limits } }] };
      out.push({ path: where, role, placement: podPlacement(spec) });
    };
    if (profiles.length === 0) pod({}, at, 'notebook pod');
    profiles.forEach((p, i) =>
      pod(
        obj(obj(p).kubespawner_override),
        `${at}.profileList[${i}].kubespawner_override`,
        `notebook profile ${JSON.stringify(obj(p).display_name ?? obj(p).slug ?? i)}`,
      ),
    );
  }
  return out;
}
