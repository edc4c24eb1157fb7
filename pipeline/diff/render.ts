import type { DiffResult, FieldChange, ResourceChange } from './compare';
import type { Risk } from './risks';
import { scalarText } from '../../lib/text';

export type DiffFormat = 'text' | 'markdown' | 'json';

/** GitHub's limit for an issue or PR comment body. */
export const MARKDOWN_LIMIT = 65_536;

export const HIDDEN = '(changed, value hidden)';

const SIGN: Record<ResourceChange['kind'], string> = { added: '+', removed: '-', changed: '~', renamed: '→' };

function value(v: unknown, max = 120): string {
  if (v === undefined) return '(none)';
  const t = JSON.stringify(v) ?? scalarText(v);
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

function fieldLine(f: FieldChange): string {
  return f.hidden ? `${f.path}: ${HIDDEN}` : `${f.path}: ${value(f.old)} → ${value(f.new)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Terraform-plan style: `Plan: 1 to add, 2 to change, 0 to rename, 1 to destroy.` */
export function planLine(d: DiffResult): string {
  const { added, changed, renamed, removed } = d.counts;
  if (added + changed + renamed + removed === 0) return 'No changes. dist is the same in both revisions.';
  return `Plan: ${added} to add, ${changed} to change, ${renamed} to rename, ${removed} to destroy.`;
}

/** What Argo CD does to a removed object (the risks say why and what to do). */
const FATE: Record<NonNullable<ResourceChange['fate']>['action'], string> = {
  deleted: 'deleted on sync',
  confirm: 'deleted after confirmation',
  orphaned: 'left running (orphaned)',
};

function resourceTitle(c: ResourceChange): string {
  const ns = c.namespace ? `${c.namespace}/` : '';
  const fate = c.kind === 'removed' && c.fate ? ` (${FATE[c.fate.action]})` : '';
  return `${c.resourceKind}/${ns}${c.name}${c.kind === 'renamed' ? ` (renamed from ${c.from})` : ''}${fate}`;
}

/** cluster → component → changes, in sorted order. */
export function groupChanges(changes: readonly ResourceChange[]): Map<string, Map<string, ResourceChange[]>> {
  const out = new Map<string, Map<string, ResourceChange[]>>();
  for (const c of changes) {
    const byComponent = out.get(c.cluster) ?? new Map<string, ResourceChange[]>();
    out.set(c.cluster, byComponent);
    byComponent.set(c.component, [...(byComponent.get(c.component) ?? []), c]);
  }
  return out;
}

function countsOf(changes: readonly ResourceChange[]): string {
  const n = (k: ResourceChange['kind']) => changes.filter((c) => c.kind === k).length;
  return `+${n('added')} ~${n('changed')} →${n('renamed')} -${n('removed')}`;
}

// ---------- text ----------

const COLOR = { red: '\u001b[31m', green: '\u001b[32m', yellow: '\u001b[33m', cyan: '\u001b[36m', bold: '\u001b[1m', reset: '\u001b[0m' };

export function renderText(d: DiffResult, options: { color?: boolean } = {}): string {
  const paint = (code: keyof typeof COLOR, t: string) => (options.color ? `${COLOR[code]}${t}${COLOR.reset}` : t);
  const kindColor: Record<ResourceChange['kind'], keyof typeof COLOR> = { added: 'green', removed: 'red', changed: 'yellow', renamed: 'cyan' };
  const levelColor: Record<Risk['level'], keyof typeof COLOR> = { high: 'red', medium: 'yellow', low: 'cyan' };
  const lines = [`eksai diff ${d.base} → ${d.head}`, paint('bold', planLine(d))];
  if (d.clusters.added.length > 0) lines.push(`new clusters: ${d.clusters.added.join(', ')}`);
  if (d.clusters.removed.length > 0) lines.push(paint('red', `removed clusters: ${d.clusters.removed.join(', ')}`));
  if (d.risks.length > 0) {
    lines.push('', paint('bold', `Risks (${d.risks.length}):`));
    for (const r of d.risks)
      lines.push(`  ${paint(levelColor[r.level], r.level.toUpperCase().padEnd(6))} ${r.cluster}/${r.component} ${r.resource}: ${r.message}`);
  }
  for (const p of d.problems) lines.push(paint('red', `warning: ${p.file}: ${p.message}`));
  for (const [cluster, components] of groupChanges(d.changes)) {
    lines.push('', paint('bold', cluster));
    for (const [component, changes] of components) {
      lines.push(`  ${component}`);
      for (const c of changes) {
        lines.push(`    ${paint(kindColor[c.kind], `${SIGN[c.kind]} ${resourceTitle(c)}`)}`);
        for (const f of c.fields) lines.push(`        ${fieldLine(f)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------- json ----------

export function renderJson(d: DiffResult): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

// ---------- markdown ----------

/** Inline code that survives any value: backticks inside are replaced. */
function code(t: string): string {
  return `\`${t.replace(/`/g, "'").replace(/\n/g, ' ')}\``;
}

const ICON: Record<Risk['level'], string> = { high: '🔴', medium: '🟠', low: '🔵' };

type Detail = 'fields' | 'names' | 'counts';

function clusterBody(components: Map<string, ResourceChange[]>, detail: Detail): string {
  const lines: string[] = [];
  for (const [component, changes] of components) {
    if (detail === 'counts') {
      lines.push(`- **${component}**: ${countsOf(changes)}`);
      continue;
    }
    lines.push(`**${component}**`, '');
    for (const c of changes) {
      lines.push(
        `- ${code(SIGN[c.kind])} ${code(resourceTitle(c))}${detail === 'names' && c.fields.length > 0 ? ` (${plural(c.fields.length, 'field')})` : ''}`,
      );
      if (detail === 'fields') {
        for (const f of c.fields)
          lines.push(f.hidden ? `  - ${code(f.path)}: ${HIDDEN}` : `  - ${code(f.path)}: ${code(value(f.old))} → ${code(value(f.new))}`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

function clusterSection(cluster: string, components: Map<string, ResourceChange[]>, detail: Detail, fold: boolean): string {
  const all = [...components.values()].flat();
  const summary = `<b>${cluster}</b>: ${plural(all.length, 'resource')} (${countsOf(all)})`;
  const body = clusterBody(components, detail);
  return fold
    ? `<details><summary>${summary}</summary>\n\n${body}\n</details>\n`
    : `#### ${cluster} — ${plural(all.length, 'resource')} (${countsOf(all)})\n\n${body}`;
}

function riskLines(risks: readonly Risk[], max: number): string[] {
  const shown = risks
    .slice(0, max)
    .map((r) => `- ${ICON[r.level]} **${r.level}** ${code(`${r.cluster}/${r.component}`)} ${code(r.resource)}: ${r.message.replace(/[<>]/g, '')}`);
  if (risks.length > max) shown.push(`- … and ${risks.length - max} more risks (run \`eksai diff\` locally for all)`);
  return shown;
}

/** Markdown for a PR comment, always ≤ limit: folds clusters into <details>, then drops field details of the largest clusters, and says what was folded. */
export function renderMarkdown(d: DiffResult, limit = MARKDOWN_LIMIT): string {
  const groups = groupChanges(d.changes);
  const head = [`### eksai diff ${code(d.base)} → ${code(d.head)}`, '', `**${planLine(d)}**`, ''];
  if (d.clusters.added.length > 0) head.push(`New clusters: ${d.clusters.added.map(code).join(', ')}`, '');
  if (d.clusters.removed.length > 0) head.push(`Removed clusters: ${d.clusters.removed.map(code).join(', ')}`, '');
  for (const p of d.problems) head.push(`> warning: ${code(p.file)}: ${p.message}`, '');
  const detail = new Map<string, Detail>([...groups.keys()].map((c) => [c, 'fields']));
  let maxRisks = d.risks.length;
  const build = (fold: boolean, note: string[]): string => {
    const parts = [...head];
    if (d.risks.length > 0) parts.push(`#### Risks (${d.risks.length})`, '', ...riskLines(d.risks, maxRisks), '');
    if (note.length > 0) parts.push(`> [!NOTE]`, ...note.map((n) => `> ${n}`), '');
    for (const [cluster, components] of groups) parts.push(clusterSection(cluster, components, detail.get(cluster) ?? 'fields', fold));
    return parts.join('\n');
  };
  let out = build(false, []);
  if (out.length <= limit) return out;
  const folded = () => {
    const names = [...detail].filter(([, v]) => v === 'names').map(([k]) => k);
    const counts = [...detail].filter(([, v]) => v === 'counts').map(([k]) => k);
    const note = [`This diff is larger than a GitHub comment (${limit.toLocaleString('en-US')} characters): clusters are folded below.`];
    if (names.length > 0) note.push(`Field-level changes omitted for: ${names.join(', ')}.`);
    if (counts.length > 0) note.push(`Only counts per component shown for: ${counts.join(', ')}.`);
    if (maxRisks < d.risks.length) note.push(`Risks listed: ${maxRisks} of ${d.risks.length}.`);
    if (names.length + counts.length > 0 || maxRisks < d.risks.length) note.push(`Run \`eksai diff --base ${d.base}\` locally for the full diff.`);
    return note;
  };
  out = build(true, folded());
  // Downgrade the largest clusters first, one step at a time, until it fits.
  const size = (c: string) => clusterSection(c, groups.get(c)!, detail.get(c) ?? 'fields', true).length;
  while (out.length > limit) {
    const candidates = [...detail].filter(([, v]) => v !== 'counts').map(([k]) => k);
    if (candidates.length === 0) break;
    const largest = candidates.sort((a, b) => size(b) - size(a))[0]!;
    detail.set(largest, detail.get(largest) === 'fields' ? 'names' : 'counts');
    out = build(true, folded());
  }
  while (out.length > limit && maxRisks > 10) {
    maxRisks = Math.floor(maxRisks / 2);
    out = build(true, folded());
  }
  if (out.length > limit) {
    const tail = '\n\n> [!WARNING]\n> Output truncated to fit a GitHub comment; run `eksai diff` locally.\n';
    out = out.slice(0, limit - tail.length) + tail;
  }
  return out;
}

export function renderDiff(d: DiffResult, format: DiffFormat, options: { color?: boolean } = {}): string {
  if (format === 'json') return renderJson(d);
  if (format === 'markdown') return renderMarkdown(d);
  return renderText(d, options);
}
