import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvironmentError } from '../errors';
import { writeCacheFile } from '../cache-file';

/** Where pinned schemas come from: the mirror when `EKSAI_SCHEMA_MIRROR` is set, else the download cache. */
export interface SchemaSourceOptions {
  /** @default process.env.EKSAI_SCHEMA_MIRROR */
  readonly mirror?: string;
  /** @default process.env.EKSAI_SCHEMA_CACHE ?? ~/.cache/eksai/schemas */
  readonly cacheDir?: string;
  /** @default process.cwd() (relative mirror paths resolve against it) */
  readonly cwd?: string;
}

const HOW_TO_FIX =
  'set EKSAI_SCHEMA_MIRROR to a directory laid out as <dir>/<url without https://> ' +
  '(in this repo: EKSAI_SCHEMA_MIRROR=../shared/schemas), or allow network access once so the cache fills';

/** The local path a pinned URL maps to under a mirror or cache directory. */
export function urlToPath(dir: string, url: string): string {
  return join(dir, url.replace(/^https?:\/\//, ''));
}

function cacheDirOf(options: SchemaSourceOptions): string {
  return options.cacheDir ?? process.env.EKSAI_SCHEMA_CACHE ?? join(homedir(), '.cache', 'eksai', 'schemas');
}

function mirrorOf(options: SchemaSourceOptions): string | undefined {
  const mirror = options.mirror ?? process.env.EKSAI_SCHEMA_MIRROR;
  return mirror ? resolve(options.cwd ?? process.cwd(), mirror) : undefined;
}

/** Where compiled validators and parsed CRDs are cached (pipeline/check/compiled.ts): `<cache dir>/.compiled`. */
export function compiledCacheDir(options: SchemaSourceOptions = {}): string {
  return join(cacheDirOf(options), '.compiled');
}

/**
 * Path of a local copy of `url`, downloading it into the cache when no mirror is set.
 * Throws EnvironmentError (exit 2) naming the URL and the fix when it cannot be had.
 */
export async function schemaPath(url: string, options: SchemaSourceOptions = {}): Promise<string> {
  const mirror = mirrorOf(options);
  if (mirror) {
    const file = urlToPath(mirror, url);
    if (!existsSync(file)) {
      throw new EnvironmentError(`schema ${url} is not in the mirror (looked for ${file}): ${HOW_TO_FIX}`);
    }
    return file;
  }
  const file = urlToPath(cacheDirOf(options), url);
  if (existsSync(file)) return file;
  let body: string;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.text();
  } catch (err) {
    throw new EnvironmentError(`cannot download schema ${url} (${(err as Error).message}): ${HOW_TO_FIX}`);
  }
  writeCacheFile(file, body);
  return file;
}

/** Text of a pinned schema (see schemaPath). */
export async function readSchema(url: string, options: SchemaSourceOptions = {}): Promise<string> {
  return readFileSync(await schemaPath(url, options), 'utf8');
}
