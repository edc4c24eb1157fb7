import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkClusterInput } from '../../charts/checks';
import type { ClusterConfigInput } from '../../lib/config/schema';
import { formatValue, UsageError, type Problem } from '../../lib/errors';
import type { CommandSpec } from '../types';

export interface NewClusterOptions {
  readonly cwd: string;
  readonly name: string;
  readonly environment: string;
  readonly region: string;
  readonly repoURL: string;
  /** Team names (one namespace, Volcano queue and Ray cluster each). @default none */
  readonly teams?: readonly string[];
  /** AMI alias of the default node class. @default DEFAULT_AMI_ALIAS */
  readonly amiAlias?: string;
}

/** The pinned AMI release new clusters start on (bump it with the example clusters, in a reviewed PR). */
export const DEFAULT_AMI_ALIAS = 'al2023@v20260714';

/** Config path → the flag that set it, so a rejected value names the flag the user typed. */
const FLAG_OF: readonly (readonly [RegExp, string])[] = [
  [/^name$/, '--name'],
  [/^environment$/, '--environment'],
  [/^region$/, '--region'],
  [/^gitops\.repoURL$/, '--repo'],
  [/^teams(\[|$)/, '--team'],
  [/^karpenter\.nodeClasses\[default\]\.amiAlias$/, '--ami'],
];

/**
 * The cluster file new-cluster writes, as data: one CPU pool, one GPU pool on a pinned AMI, the given
 * teams. Outside dev, JupyterHub needs a real identity provider, so it starts disabled there.
 */
export function clusterInput(o: NewClusterOptions): ClusterConfigInput {
  const teams = o.teams ?? [];
  return {
    name: o.name,
    environment: o.environment as ClusterConfigInput['environment'],
    region: o.region,
    gitops: { repoURL: o.repoURL },
    ...(teams.length > 0 ? { teams: teams.map((name) => ({ name })) } : {}),
    ...(teams.length > 0 && o.environment !== 'dev' ? { jupyterhub: { enabled: false } } : {}),
    karpenter: {
      nodeClasses: [{ name: 'default', amiAlias: o.amiAlias ?? DEFAULT_AMI_ALIAS }],
      nodePools: [
        { name: 'general', kind: 'cpu', limits: { cpu: 100, memory: '400Gi' } },
        { name: 'gpu', kind: 'gpu', limits: { cpu: 64, memory: '512Gi', gpu: 4 } },
      ],
    },
  };
}

/**
 * A value as TypeScript source: JSON (every string a JSON string literal), with U+2028/U+2029
 * escaped too, so no flag value can end a string, open a template or comment, or run code.
 */
export function tsLiteral(value: unknown): string {
  return (
    JSON.stringify(value, null, 2)
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029')
      // Identifier keys unquoted, as people write them. Safe: JSON escapes every line break inside strings, so a line can only start with a key.
      .replace(/^(\s*)"([A-Za-z_$][\w$]*)":/gm, '$1$2:')
  );
}

/** Text of a new cluster file. Only tsLiteral() output carries user values; the comment holds a checked DNS label. */
export function clusterTemplate(o: NewClusterOptions): string {
  const input = clusterInput(o);
  const hubNote = input.jupyterhub ? '\n// JupyterHub is off until you configure jupyterhub.auth (a real identity provider outside dev).' : '';
  return `import { defineCluster } from '../lib/config/schema';

/** Created by \`eksai new-cluster\`; see the README's config model for every option. */${hubNote}
export default defineCluster(${tsLiteral(input)});
`;
}

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package ' +
    'private protected public await async of arguments eval undefined NaN Infinity constructor prototype clusters'
  ).split(' '),
);

/** The identifier clusters/index.ts imports a cluster under: camelCase when that is a safe identifier, else `cluster_<name>`. */
export function registryIdentifier(name: string): string {
  const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^[A-Za-z_$][\w$]*$/.test(camel) && !RESERVED.has(camel) ? camel : `cluster_${name.replace(/-/g, '_')}`;
}

/** Problems of the would-be cluster file as flag errors: `--repo "x" must be an https or ssh git URL: …`. */
function flagErrors(problems: readonly Problem[]): string {
  return problems
    .map((p) => {
      const flag = FLAG_OF.find(([re]) => re.test(p.path))?.[1];
      const where = flag ?? `${p.file}: ${p.path}`;
      const got = 'value' in p ? ` ${formatValue(p.value)}` : '';
      return `  ${where}${flag ? got : ''} ${p.message}${!flag && got ? ` (got${got})` : ''}${p.fix ? `: ${p.fix}` : ''}`;
    })
    .join('\n');
}

/**
 * Adds `clusters/<name>.ts` and registers it in clusters/index.ts (import line + registry key).
 * Every flag goes through the same checks synth applies (shape and rules) before anything is written.
 * Returns the files written. Refuses to overwrite.
 */
export function newCluster(o: NewClusterOptions): string[] {
  const file = join(o.cwd, 'clusters', `${o.name}.ts`);
  const index = join(o.cwd, 'clusters', 'index.ts');
  const { errors } = checkClusterInput(clusterInput(o), `clusters/${o.name}.ts`, o.name);
  if (errors.length > 0) throw new UsageError(`${errors.length} invalid flag${errors.length === 1 ? '' : 's'}; nothing was written\n${flagErrors(errors)}`);
  if (existsSync(file)) throw new UsageError(`clusters/${o.name}.ts already exists: edit it instead`);
  if (!existsSync(index)) throw new UsageError(`no clusters/index.ts under ${o.cwd}: run from the repository root or pass --cwd`);
  const registry = readFileSync(index, 'utf8');
  const m = /export const clusters = \{([^}]*)\};/.exec(registry);
  if (!m) throw new UsageError('clusters/index.ts does not contain `export const clusters = { ... };`: add the cluster to it by hand');
  const ident = registryIdentifier(o.name);
  const imported = [...registry.matchAll(/^import\s+([\w$]+)\s+from/gm)].map((i) => i[1]);
  if (imported.includes(ident)) throw new UsageError(`clusters/index.ts already uses the identifier ${ident}: add the cluster to it by hand`);
  const keys = m[1]!
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  // A quoted key is valid for every name (`'class': cluster_class`); shorthand only where the name is the identifier.
  // o.name passed the DNS-label check above, so it cannot end the quotes.
  const entry = ident === o.name ? o.name : `'${o.name}': ${ident}`;
  const importLine = `import ${ident} from './${o.name}';\n`;
  const withEntry = registry.replace(m[0], () => `export const clusters = { ${[...keys, entry].join(', ')} };`);
  const imports = /((?:^import [^\n]*\n)+)/m;
  const updated = imports.test(withEntry) ? withEntry.replace(imports, (all) => `${all}${importLine}`) : `${importLine}${withEntry}`;
  writeFileSync(file, clusterTemplate(o));
  writeFileSync(index, updated);
  return [`clusters/${o.name}.ts`, 'clusters/index.ts'];
}

/** What to do after new-cluster, with the exact commands. */
export function nextSteps(o: Pick<NewClusterOptions, 'name' | 'region'>): string {
  const n = o.name;
  return [
    'next steps:',
    `  1. create the cluster and its SSM facts: terraform -chdir=terraform/bootstrap apply -var cluster_name=${n} -var region=${o.region}`,
    `  2. eksai lookup --cluster ${n}      # writes clusters/${n}.lookups.json from SSM /eksai/${n}/`,
    `  3. eksai synth --cluster ${n}       # writes dist/${n}/`,
    `  4. eksai validate dist/${n} && eksai check`,
    `  5. commit clusters/${n}.ts, clusters/${n}.lookups.json, clusters/index.ts and dist/${n}/`,
    '',
  ].join('\n');
}

export const newClusterCommand: CommandSpec = {
  name: 'new-cluster',
  summary: 'add clusters/<name>.ts from a template and register it',
  usage: 'new-cluster --name <name> --region <region> --repo <git-url> [--environment dev|staging|prod] [--team <name>]... [--ami <alias>]',
  details: `Writes a cluster file with one CPU and one GPU pool (and the given teams) and adds it to
clusters/index.ts. Every flag is checked with the rules synth applies; nothing is written when one fails.
Then prints the next steps: terraform/bootstrap, \`eksai lookup --cluster <name>\`, \`eksai synth\`.

Example:
  eksai new-cluster --name research-eu --region eu-west-1 --repo https://github.com/acme/ai-platform.git --team research`,
  options: {
    name: { type: 'string', arg: '<name>', description: 'cluster name (= EKS cluster name, a DNS label)' },
    region: { type: 'string', arg: '<region>', description: 'AWS region' },
    repo: { type: 'string', arg: '<git-url>', description: 'https or ssh git repository Argo CD reads dist/ from' },
    environment: { type: 'string', arg: 'dev|staging|prod', default: 'dev', description: 'environment defaults to use' },
    team: { type: 'string', multiple: true, arg: '<name>', description: 'a team (namespace, queue, Ray cluster), repeatable (default: no teams)' },
    ami: { type: 'string', arg: '<alias>', default: DEFAULT_AMI_ALIAS, description: 'pinned AMI alias of the default node class' },
  },
  run: (ctx) => {
    const missing = ['name', 'region', 'repo'].filter((k) => typeof ctx.values[k] !== 'string');
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}; see \`eksai new-cluster --help\``);
    const o: NewClusterOptions = {
      cwd: ctx.cwd,
      name: ctx.values.name as string,
      region: ctx.values.region as string,
      repoURL: ctx.values.repo as string,
      environment: ctx.values.environment as string,
      teams: (ctx.values.team as string[] | undefined) ?? [],
      amiAlias: ctx.values.ami as string,
    };
    const files = newCluster(o);
    return { exitCode: 0, stdout: `wrote ${files.join(', ')}\n${nextSteps(o)}` };
  },
};
