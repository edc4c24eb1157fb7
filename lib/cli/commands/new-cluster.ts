import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_REGIONS } from '../../config/defaults';
import { DNS_LABEL } from '../../config/schema';
import { UsageError } from '../../errors';
import type { CommandSpec } from '../types';

export interface NewClusterOptions {
  readonly cwd: string;
  readonly name: string;
  readonly environment: 'dev' | 'staging' | 'prod';
  readonly region: string;
  readonly repoURL: string;
}

/** Text of a new cluster file: one CPU pool and one GPU pool on a pinned AL2023 alias. */
export function clusterTemplate(o: NewClusterOptions): string {
  return `import { defineCluster } from '../lib/config/schema';

/** ${o.name}: created by \`eksai new-cluster\`; see the README's config model for every option. */
export default defineCluster({
  name: '${o.name}',
  environment: '${o.environment}',
  region: '${o.region}',
  gitops: { repoURL: '${o.repoURL}' },
  karpenter: {
    nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }],
    nodePools: [
      { name: 'general', kind: 'cpu', limits: { cpu: 100, memory: '400Gi' } },
      { name: 'gpu', kind: 'gpu', limits: { cpu: 64, memory: '512Gi', gpu: 4 } },
    ],
  },
});
`;
}

/**
 * Adds `clusters/<name>.ts` and registers it in clusters/index.ts (import line + registry key).
 * Returns the files written. Refuses to overwrite.
 */
export function newCluster(o: NewClusterOptions): string[] {
  if (!DNS_LABEL.test(o.name)) throw new UsageError(`--name must be a DNS-1123 label (lowercase letters, digits, "-"), got '${o.name}'`);
  if (!['dev', 'staging', 'prod'].includes(o.environment)) throw new UsageError(`--environment must be dev, staging or prod, got '${o.environment}'`);
  if (!AWS_REGIONS.includes(o.region)) throw new UsageError(`--region '${o.region}' is not an AWS region with EKS`);
  const file = join(o.cwd, 'clusters', `${o.name}.ts`);
  const index = join(o.cwd, 'clusters', 'index.ts');
  if (existsSync(file)) throw new UsageError(`clusters/${o.name}.ts already exists: edit it instead`);
  if (!existsSync(index)) throw new UsageError(`no clusters/index.ts under ${o.cwd}: run from the repository root or pass --cwd`);
  const registry = readFileSync(index, 'utf8');
  const ident = o.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const m = /export const clusters = \{([^}]*)\};/.exec(registry);
  if (!m) throw new UsageError('clusters/index.ts does not contain `export const clusters = { ... };`: add the cluster to it by hand');
  const keys = m[1]!.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const entry = ident === o.name ? o.name : `'${o.name}': ${ident}`;
  const updated = registry
    .replace(m[0], `export const clusters = { ${[...keys, entry].join(', ')} };`)
    .replace(/((?:^import [^\n]*\n)+)/m, `$1import ${ident} from './${o.name}';\n`);
  writeFileSync(file, clusterTemplate(o));
  writeFileSync(index, updated.includes(`from './${o.name}'`) ? updated : `import ${ident} from './${o.name}';\n${updated}`);
  return [`clusters/${o.name}.ts`, 'clusters/index.ts'];
}

export const newClusterCommand: CommandSpec = {
  name: 'new-cluster',
  summary: 'add clusters/<name>.ts from a template and register it',
  usage: 'new-cluster --name <name> --region <region> --repo <git-url> [--environment dev|staging|prod]',
  details: `Writes a cluster file with one CPU and one GPU pool and adds it to clusters/index.ts. Next:
apply terraform/bootstrap for the cluster, run \`eksai lookup --cluster <name>\`, then \`eksai synth\`.

Example:
  eksai new-cluster --name research-eu --region eu-west-1 --repo https://github.com/acme/ai-platform.git`,
  options: {
    name: { type: 'string', arg: '<name>', description: 'cluster name (= EKS cluster name)' },
    region: { type: 'string', arg: '<region>', description: 'AWS region' },
    repo: { type: 'string', arg: '<git-url>', description: 'git repository Argo CD reads dist/ from' },
    environment: { type: 'string', arg: 'dev|staging|prod', default: 'dev', description: 'environment defaults to use' },
  },
  run: async (ctx) => {
    const missing = ['name', 'region', 'repo'].filter((k) => typeof ctx.values[k] !== 'string');
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}; see \`eksai new-cluster --help\``);
    const name = ctx.values.name as string;
    const files = newCluster({ cwd: ctx.cwd, name, region: ctx.values.region as string, repoURL: ctx.values.repo as string, environment: ctx.values.environment as NewClusterOptions['environment'] });
    return { exitCode: 0, stdout: `wrote ${files.join(', ')}\nnext: terraform/bootstrap for ${name}, then \`eksai lookup --cluster ${name}\`, then \`eksai synth\`\n` };
  },
};
