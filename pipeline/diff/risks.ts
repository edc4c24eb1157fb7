import { scalarText } from '../../lib/text';
import { sources } from './fates';
import { isRecord, resourceKey, type Resource } from './identity';
import type { ResourceChange, Risk, RiskLevel } from './types';

export type { Risk, RiskLevel } from './types';

type Resources = ReadonlyMap<string, Resource>;

function get(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

function lookup(resources: Resources, c: ResourceChange, name = c.name): Resource | undefined {
  const key = resourceKey(c.apiVersion, c.resourceKind, c.namespace, name);
  // Rendered objects are keyed under their release (rendered.ts).
  return resources.get(`${c.cluster}:${c.component}:${key}`) ?? resources.get(`${c.cluster}:${key}`);
}

function crdVersions(r: Resource | undefined): { served: Set<string>; storage?: string } {
  const versions = get(r?.body, ['spec', 'versions']);
  const list = Array.isArray(versions) ? versions.filter(isRecord) : [];
  const storage = list.find((v) => v.storage === true)?.name;
  return { served: new Set(list.filter((v) => v.served !== false).map((v) => String(v.name))), ...(typeof storage === 'string' ? { storage } : {}) };
}

function poolsUsingClass(resources: Resources, cluster: string, className: string): string[] {
  return [...resources.values()]
    .filter((r) => r.cluster === cluster && r.kind === 'NodePool' && get(r.body, ['spec', 'template', 'spec', 'nodeClassRef', 'name']) === className)
    .map((r) => r.name)
    .sort();
}

function hasFinalizer(app: Resource | undefined): boolean {
  const f = get(app?.body, ['metadata', 'finalizers']);
  return Array.isArray(f) && f.some((x) => typeof x === 'string' && x.startsWith('resources-finalizer.argocd.argoproj.io'));
}

function show(v: unknown): string {
  return v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}

function direction(a: unknown, b: unknown): string {
  const na = Number.parseFloat(String(a));
  const nb = Number.parseFloat(String(b));
  if (a === undefined) return ' (new limit)';
  if (b === undefined) return ' (limit removed: unbounded)';
  return Number.isFinite(na) && Number.isFinite(nb) && na !== nb ? (nb > na ? ' (up)' : ' (down)') : '';
}

/**
 * A removed claim or StorageClass is a data-loss risk: a deleted claim takes its volume with it unless the
 * class retains it, and a claim or class left behind (Prune=false) holds data nobody mounts or manages any
 * more. An EFS class also means the file system goes once storage.efs is off (terraform/bootstrap/efs.tf).
 */
function dataLoss(c: ResourceChange, base: Resources): string | undefined {
  const body = lookup(base, c)?.body;
  if (c.resourceKind === 'PersistentVolumeClaim') {
    const cls = show(get(body, ['spec', 'storageClassName']));
    return `data-loss risk: claim ${c.namespace}/${c.name} (class ${cls}) is no longer generated; its volume holds data: copy it off before the claim or its volume is deleted`;
  }
  if (c.resourceKind === 'StorageClass') {
    const efs = get(body, ['provisioner']) === 'efs.csi.aws.com';
    return `data-loss risk: StorageClass ${c.name} is no longer generated; volumes provisioned through it hold data${efs ? ', and with storage.efs off terraform/bootstrap deletes the EFS file system itself: copy the data off first' : ': copy it off before deleting them'}`;
  }
  return undefined;
}

/** Risks of a set of changes, most severe first. Pure: reads only the parsed base and head resources. */
export function findRisks(changes: readonly ResourceChange[], base: Resources, head: Resources, extra: readonly Risk[] = []): Risk[] {
  const risks: Risk[] = [...extra];
  const add = (c: ResourceChange, level: RiskLevel, message: string) =>
    risks.push({ level, cluster: c.cluster, component: c.component, resource: `${c.resourceKind}/${c.name}`, message });
  const headClusters = new Set([...head.values()].map((r) => r.cluster));
  const removedClusters = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'removed' && !headClusters.has(c.cluster)) {
      if (!removedClusters.has(c.cluster))
        risks.push({
          level: 'high',
          cluster: c.cluster,
          component: '*',
          resource: `cluster/${c.cluster}`,
          message: `cluster ${c.cluster} removed from dist: Argo CD stops managing it (the root app may prune everything)`,
        });
      removedClusters.add(c.cluster);
      continue;
    }
    if (c.kind === 'removed' && c.fate) {
      const { action, reason, fix } = c.fate;
      const loss = dataLoss(c, base);
      if (loss) {
        // Kept objects still hold the data (medium: decide what happens to it); deleted ones may lose it.
        add(
          c,
          action === 'orphaned' ? 'medium' : 'high',
          `${loss} (${action === 'orphaned' ? `left running: ${reason}` : action === 'confirm' ? `deleted after confirmation: ${reason}` : `deleted on sync: ${reason}`})`,
        );
        continue;
      }
      if (action === 'orphaned') {
        // Kept on purpose by the object itself (team Namespaces are Prune=false) is a note; kept because its app does not prune is a to-do.
        add(c, c.fate.intended ? 'low' : 'medium', `left running (orphaned): ${reason}; ${fix}`);
      } else if (action === 'confirm') add(c, 'medium', `deleted after confirmation: ${reason}`);
      else if (c.resourceKind === 'NodePool') add(c, 'high', `NodePool ${c.name} deleted on sync (${reason}): its nodes are drained and terminated`);
      else if (c.resourceKind === 'Application' && hasFinalizer(lookup(base, c)))
        add(c, 'high', `Application ${c.name} deleted on sync (${reason}) with resources-finalizer: Argo CD deletes every resource it manages`);
      else add(c, 'high', `deleted from the cluster on sync: ${reason}`);
      continue;
    }
    if (c.kind === 'renamed') {
      const gone = c.fate?.action === 'deleted';
      add(
        c,
        gone || c.resourceKind === 'NodePool' ? 'high' : 'medium',
        `renamed ${c.from} → ${c.name}: the old object is ${gone ? 'deleted' : c.fate?.action === 'confirm' ? 'deleted after confirmation' : 'left orphaned'} (${c.fate?.reason ?? 'no Application syncs it'}) and a new one created${c.resourceKind === 'NodePool' ? '; nodes of the old pool are replaced' : ''}`,
      );
      continue;
    }
    if (c.kind !== 'changed') continue;
    if (c.resourceKind === 'CustomResourceDefinition') {
      // A chart bump (rendered) or a dist change that drops a version breaks every client and manifest using it.
      const before = crdVersions(lookup(base, c));
      const after = crdVersions(lookup(head, c));
      const group = scalarText(get(lookup(head, c)?.body, ['spec', 'group']));
      for (const v of [...before.served].filter((x) => !after.served.has(x)).sort()) {
        add(
          c,
          'high',
          `CRD ${c.name} stops serving ${group}/${v}: manifests and clients using it fail${before.storage === v ? `, and objects stored at ${v} must be migrated first` : ''}`,
        );
      }
      if (before.storage !== undefined && after.storage !== undefined && before.storage !== after.storage) {
        add(
          c,
          'medium',
          `CRD ${c.name} storage version ${before.storage} → ${after.storage}: existing objects stay stored at ${before.storage} until rewritten; migrate them before ${before.storage} is dropped`,
        );
      }
    }
    if (c.resourceKind === 'EC2NodeClass') {
      const specFields = c.fields.filter((f) => f.path.startsWith('spec.'));
      if (specFields.length === 0) continue;
      const pools = poolsUsingClass(head, c.cluster, c.name);
      const drains =
        pools.length > 0 ? `nodes of ${pools.length === 1 ? 'pool' : 'pools'} ${pools.join(', ')} drift and are replaced` : 'no NodePool uses this class';
      const ami = specFields.filter((f) => f.path.startsWith('spec.amiSelectorTerms'));
      if (ami.length > 0) add(c, 'high', `AMI change ${ami.map((f) => `${show(f.old)} → ${show(f.new)}`).join(', ')}: ${drains}`);
      const other = specFields.filter((f) => !f.path.startsWith('spec.amiSelectorTerms'));
      if (other.length > 0) add(c, pools.length > 0 ? 'high' : 'low', `EC2NodeClass ${other.map((f) => f.path).join(', ')} changed: ${drains}`);
    }
    if (c.resourceKind === 'NodePool') {
      for (const f of c.fields) {
        if (f.path.startsWith('spec.limits.')) {
          const res = f.path.slice('spec.limits.'.length);
          add(c, 'medium', `${/gpu/i.test(res) ? 'GPU limit' : `${res} limit`} ${show(f.old)} → ${show(f.new)}${direction(f.old, f.new)}`);
        } else if (f.path.includes('[key=karpenter.sh/capacity-type]')) {
          add(c, 'medium', `capacity type ${show(f.old)} → ${show(f.new)}: new nodes use the new capacity type; existing nodes drift`);
        } else if (f.path.startsWith('spec.disruption.')) {
          add(c, 'medium', `disruption ${f.path.slice('spec.disruption.'.length)} ${show(f.old)} → ${show(f.new)}`);
        }
      }
      const template = c.fields.filter((f) => f.path.startsWith('spec.template.') && !f.path.includes('[key=karpenter.sh/capacity-type]'));
      if (template.length > 0)
        add(
          c,
          'high',
          `template change (${template.map((f) => f.path.slice('spec.template.'.length)).join(', ')}): nodes of pool ${c.name} drift and are replaced`,
        );
    }
    if (c.resourceKind === 'Application') {
      const before = sources(lookup(base, c));
      const after = sources(lookup(head, c));
      after.forEach((s, i) => {
        const old = before[i];
        const isChart = typeof s.chart === 'string' || (typeof s.repoURL === 'string' && s.repoURL.startsWith('oci://'));
        if (old && isChart && old.targetRevision !== s.targetRevision) {
          const chart = typeof s.chart === 'string' ? s.chart : String(s.repoURL);
          add(c, 'medium', `chart ${chart} ${show(old.targetRevision)} → ${show(s.targetRevision)}: read the upstream changelog before merging`);
        }
      });
      const prune = ['spec', 'syncPolicy', 'automated', 'prune'];
      const pa = get(lookup(base, c)?.body, prune);
      const pb = get(lookup(head, c)?.body, prune);
      if (pa !== pb) add(c, pb === true ? 'medium' : 'low', `automated prune ${show(pa)} → ${show(pb)}`);
    }
  }
  const rank: Record<RiskLevel, number> = { high: 0, medium: 1, low: 2 };
  return risks.sort((a, b) => rank[a.level] - rank[b.level] || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}
