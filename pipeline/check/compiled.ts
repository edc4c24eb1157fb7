import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';

/**
 * A persistent cache of compiled validators: ajv standalone code, one file per compiled schema, under
 * `<schema cache dir>/.compiled/`. Compiling a CRD-sized schema costs 10–200 ms, loading its code ~1 ms.
 *
 * Keys are content hashes: of the pinned schema file's text, what is compiled from it, and a fingerprint of
 * the compiler (this file, schemas.ts, formats.ts and the ajv version). Editing a schema, the converter or
 * ajv therefore changes every key: a stale entry is never read, only left behind. Writes are atomic
 * (temp file + rename); a cache that cannot be written is skipped silently (it only costs time).
 */

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

export class CompiledCache {
  private readonly dir: string | undefined;
  /** Validators read from the cache / compiled afresh in this run. */
  hits = 0;

  constructor(
    dir: string | undefined,
    private readonly runtime: Readonly<Record<string, unknown>>,
  ) {
    fingerprint ??= compilerFingerprint();
    this.dir = dir && fingerprint ? dir : undefined;
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
    let code: string;
    try {
      code = readFileSync(join(this.dir, `${key}.js`), 'utf8');
    } catch {
      return undefined;
    }
    const mod = { exports: {} as Record<string, unknown> };
    const req = (id: string): unknown => this.runtime[id] ?? require(id);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- ajv's standalone code, compiled by this module from the pinned schemas and cached by content hash
    (new Function('require', 'module', 'exports', code) as (r: typeof req, m: typeof mod, e: typeof mod.exports) => void)(req, mod, mod.exports);
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
      const code = standaloneCode(ajv, fn);
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${key}.js`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    } catch {
      // best effort
    }
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
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${key}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(value));
      renameSync(tmp, file);
    } catch {
      // best effort
    }
  }
}
