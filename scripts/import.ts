/**
 * Regenerates imports/ (after clearing it) from the pinned CRDs (lib/schemas/pins.ts) with `cdk8s import`, offline:
 * each CRD is resolved through EKSAI_SCHEMA_MIRROR (or the download cache), the CRDs of one API group
 * are joined into one multi-document file (trimmed per IMPORT_TRIM), and cdk8s writes imports/<group>.ts.
 *
 *   EKSAI_SCHEMA_MIRROR=../shared/schemas npm run import
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { IMPORT_TRIM, IMPORT_URLS } from '../lib/schemas/pins';
import { schemaPath } from '../lib/schemas/resolve';

interface Crd {
  spec: { versions: { name: string; schema?: { openAPIV3Schema?: { properties?: { spec?: { properties?: Record<string, unknown> } } } } }[] };
}

/** Applies IMPORT_TRIM to one CRD file: keeps only the listed versions, drops the listed spec fields. */
function trimmed(url: string, text: string): string {
  const trim = IMPORT_TRIM[url];
  if (!trim) return text;
  const crd = load(text) as Crd;
  if (trim.versions) crd.spec.versions = crd.spec.versions.filter((v) => trim.versions!.includes(v.name));
  for (const version of crd.spec.versions) {
    const spec = version.schema?.openAPIV3Schema?.properties?.spec?.properties;
    for (const field of trim.dropSpecFields ?? []) if (spec) delete spec[field];
  }
  return dump(crd, { lineWidth: -1, noRefs: true });
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'eksai-import-'));
  const cdk8s = join(root, 'node_modules', '.bin', 'cdk8s');
  rmSync(join(root, 'imports'), { recursive: true, force: true });
  try {
    for (const [group, urls] of Object.entries(IMPORT_URLS)) {
      const docs = await Promise.all(urls.map(async (url) => trimmed(url, readFileSync(await schemaPath(url, { cwd: root }), 'utf8'))));
      const file = join(work, `${group}.yaml`);
      writeFileSync(file, docs.map((d) => d.replace(/^---\s*\n/, '')).join('\n---\n'));
      process.stderr.write(`importing ${group} (${urls.length} CRD${urls.length > 1 ? 's' : ''})\n`);
      execFileSync(cdk8s, ['--no-check-upgrade', 'import', file, '--language', 'typescript', '--output', join(root, 'imports')], {
        cwd: work,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`import failed: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
