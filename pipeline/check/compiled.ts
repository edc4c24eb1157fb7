import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Script } from 'node:vm';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { writeCacheFile } from '../../lib/cache-file';

/**
 * A persistent cache of compiled validators: ajv standalone code, one file per compiled schema, under
 * `<schema cache dir>/.compiled/`. Compiling a CRD-sized schema costs 10–200 ms, loading its code ~1 ms.
 *
 * Keys are content hashes: of the pinned schema file's text, what is compiled from it, and a fingerprint of
 * the compiler (this file, schemas.ts, formats.ts and the ajv version). Editing a schema, the converter or
 * ajv therefore changes every key: a stale entry is never read, only left behind. Writes are atomic
 * (temp file + rename); a cache that cannot be written is skipped silently (it only costs time).
 *
 * Next to each `<key>.js` lies `<key>.v8`: V8's code cache of it (vm.Script cachedData), written after the
 * validator ran, so the functions it compiled come back without parsing megabytes of generated code again.
 * V8 rejects a cache of another V8 version or flags; then the code is compiled and the cache rewritten.
 *
 * Entries live in one folder per compiler fingerprint (`.compiled/<fingerprint>/`), whose mtime says when an
 * eksai last used it; folders (and files of older layouts) unused for STALE_DAYS are removed, so upgrades and
 * edits do not pile up hundreds of megabytes of validators nothing reads any more.
 */

/** A fingerprint folder nobody used for this long is removed by the next eksai that opens the cache. */
export const STALE_DAYS = 7;

/** Module ids the standalone code requires that are ours, not ajv's runtime. */
export const RUNTIME_IDS = { regExp: 'eksai:go-regexp', formats: 'eksai:formats' } as const;

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function compilerFingerprint(): string {
  // Run from bin/precompile.js's bundle: its key hashes every source byte compiled (these files included)
  // and package-lock.json (the ajv version), so it is the fingerprint.
  const bundleKey = (globalThis as { __EKSAI_SOURCE_KEY__?: unknown }).__EKSAI_SOURCE_KEY__;
  if (typeof bundleKey === 'string') return sha(`compiled-v1\0bundle\0${bundleKey}`);
  const parts = ['compiled-v1', (require('ajv/package.json') as { version: string }).version];
  for (const file of ['compiled', 'schemas', 'formats']) {
    try {
      parts.push(readFileSync(join(__dirname, `${file}${extname(__filename)}`), 'utf8'));
    } catch {
      return ''; // sources unreadable: no stable fingerprint, so no cache
    }
  }
  return sha(parts.join('\0'));
}

let fingerprint: string | undefined;
/** Validators already loaded or compiled in this process, by key (later runs in one process skip even the file read). */
const MEMO = new Map<string, ValidateFunction>();
/** Loaded scripts whose V8 code cache is missing or was rejected, by file: saveCodeCache writes it. */
const UNCACHED = new Map<string, Script>();

/** Cache roots this process already pruned (once per process is enough). */
const PRUNED = new Set<string>();

/** Marks `current` as used now and removes the entries of `root` no eksai used for STALE_DAYS. Best effort. */
function pruneStale(root: string, current: string): void {
  const now = new Date();
  try {
    utimesSync(current, now, now);
  } catch {
    // not created yet: the first store creates it
  }
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  const cutoff = now.getTime() - STALE_DAYS * 24 * 3600 * 1000;
  for (const name of entries) {
    const path = join(root, name);
    if (path === current) continue;
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** The standalone code as a function of CommonJS's require/module/exports. */
const wrap = (code: string): string => `(function (require, module, exports) {${code}\n})`;

export class CompiledCache {
  private readonly dir: string | undefined;
  /** Validators read from the cache / compiled afresh in this run. */
  hits = 0;

  constructor(
    dir: string | undefined,
    private readonly runtime: Readonly<Record<string, unknown>>,
  ) {
    fingerprint ??= compilerFingerprint();
    this.dir = dir && fingerprint ? join(dir, fingerprint.slice(0, 16)) : undefined;
    if (dir && this.dir && !PRUNED.has(dir)) {
      PRUNED.add(dir);
      pruneStale(dir, this.dir);
    }
  }

  /** A stable key from the parts that determine a compiled validator. */
  key(...parts: readonly string[]): string {
    return sha([fingerprint ?? '', ...parts].join('\0'));
  }

  /** The hash of a schema file's text (part of every key derived from it). */
  static textHash(text: string): string {
    return sha(text);
  }

  /** A cached validator, or undefined. */
  load(key: string): ValidateFunction | undefined {
    const memo = MEMO.get(key);
    if (memo) {
      this.hits += 1;
      return memo;
    }
    if (!this.dir) return undefined;
    const file = join(this.dir, `${key}.js`);
    let code: string;
    try {
      code = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(join(this.dir, `${key}.v8`));
    } catch {
      cachedData = undefined;
    }
    const mod = { exports: {} as Record<string, unknown> };
    const req = (id: string): unknown => this.runtime[id] ?? require(id);
    // ajv's standalone code, compiled by this module from the pinned schemas and cached by content hash.
    const script = new Script(wrap(code), { filename: file, ...(cachedData ? { cachedData } : {}) });
    if (!cachedData || script.cachedDataRejected === true) UNCACHED.set(join(this.dir, `${key}.v8`), script);
    (script.runInThisContext() as (r: typeof req, m: typeof mod, e: typeof mod.exports) => void)(req, mod, mod.exports);
    this.hits += 1;
    const fn = (mod.exports.default ?? mod.exports) as ValidateFunction;
    MEMO.set(key, fn);
    return fn;
  }

  /** Stores the standalone code of a validator compiled by `ajv` (with code.source on). */
  store(key: string, ajv: Ajv, fn: ValidateFunction): void {
    MEMO.set(key, fn);
    if (!this.dir) return;
    try {
      const standaloneCode = (require('ajv/dist/standalone') as { default: (a: Ajv, f: ValidateFunction) => string }).default;
      writeCacheFile(join(this.dir, `${key}.js`), standaloneCode(ajv, fn));
    } catch {
      // best effort
    }
  }

  /**
   * Writes the V8 code cache of every validator loaded without one (call it after validating: the cache then
   * holds the functions the run compiled). Best effort, like every write of this cache.
   */
  static saveCodeCache(): void {
    for (const [file, script] of UNCACHED) {
      try {
        writeCacheFile(file, script.createCachedData());
      } catch {
        // best effort
      }
    }
    UNCACHED.clear();
  }

  /** A cached JSON value (e.g. a CRD parsed from megabytes of YAML), or undefined. */
  loadJson<T>(key: string): T | undefined {
    if (!this.dir) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  storeJson(key: string, value: unknown): void {
    if (!this.dir) return;
    try {
      writeCacheFile(join(this.dir, `${key}.json`), JSON.stringify(value));
    } catch {
      // best effort
    }
  }
}
