/**
 * vitest globalSetup: resolves the offline upstream material once for every test file, so `npm test` passes on a
 * fresh clone with nothing exported. For each mirror: an exported variable wins; else `../shared/<dir>` beside the
 * repository; else the download cache when it already holds everything pinned; else the run stops with an error
 * that says what to set (a test that cannot see the upstream schemas or charts must fail, not skip).
 * Paths are made absolute because several tests run commands with another cwd.
 *
 * Every temp folder a test (or a command it runs) makes goes under one folder of this run (TMPDIR, which
 * os.tmpdir() reads in the test workers and their children), removed when the run ends, so tests leave nothing in
 * the system temp folder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CRD_URLS, KUBERNETES_OPENAPI_URLS, VALUES_SCHEMA_URLS } from '../lib/schemas/pins';
import { urlToPath } from '../lib/schemas/resolve';
import { CHARTS } from '../charts/versions';

const REPO = resolve(__dirname, '..');

function pinnedSchemaUrls(): string[] {
  const flat = (v: unknown): string[] =>
    typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(flat) : v && typeof v === 'object' ? Object.values(v).flatMap(flat) : [];
  return [...flat(CRD_URLS), ...flat(VALUES_SCHEMA_URLS), ...flat(KUBERNETES_OPENAPI_URLS)];
}

/** The chart directory name a mirror holds for a pin: `<chart>-<version>` (OCI charts: the last path segment). */
function chartDirs(): string[] {
  return Object.values(CHARTS).map((p) => `${'chart' in p && p.chart ? p.chart : p.repoURL.split('/').pop()}-${p.version}`);
}

interface Mirror {
  readonly variable: string;
  readonly shared: string;
  readonly cache: string;
  /** Paths (relative to a candidate directory) that must all exist for it to serve. */
  readonly needs: () => readonly string[];
  readonly what: string;
}

const MIRRORS: readonly Mirror[] = [
  {
    variable: 'EKSAI_SCHEMA_MIRROR',
    shared: join(REPO, '..', 'shared', 'schemas'),
    cache: process.env.EKSAI_SCHEMA_CACHE ?? join(homedir(), '.cache', 'eksai', 'schemas'),
    needs: () => pinnedSchemaUrls().map((u) => urlToPath('', u)),
    what: 'the pinned CRDs, Helm values schemas and Kubernetes OpenAPI (laid out as <dir>/<url without https://>)',
  },
  {
    variable: 'EKSAI_CHART_MIRROR',
    shared: join(REPO, '..', 'shared', 'charts'),
    cache: '',
    needs: chartDirs,
    what: 'the pinned Helm charts unpacked as <dir>/<chart>-<version>/',
  },
];

function serves(dir: string, needs: readonly string[]): boolean {
  return dir !== '' && needs.every((n) => existsSync(join(dir, n)));
}

export default function setup(): () => void {
  const problems: string[] = [];
  for (const m of MIRRORS) {
    const set = process.env[m.variable];
    if (set) {
      process.env[m.variable] = resolve(REPO, set);
      continue;
    }
    const needs = m.needs();
    if (serves(m.shared, needs)) process.env[m.variable] = m.shared;
    else if (m.cache && serves(m.cache, needs))
      continue; // the code under test falls back to the cache by itself
    else
      problems.push(
        `${m.variable} is not set and neither ${m.shared}${m.cache ? ` nor the cache ${m.cache}` : ''} holds ${m.what}: export ${m.variable}=<dir>`,
      );
  }
  if (problems.length > 0) throw new Error(`the tests need the offline upstream material:\n  ${problems.join('\n  ')}`);
  const runTmp = mkdtempSync(join(tmpdir(), 'eksai-tests-'));
  process.env.TMPDIR = runTmp;
  return () => rmSync(runTmp, { recursive: true, force: true });
}
