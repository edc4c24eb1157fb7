/**
 * The on-disk render cache under <chart cache>/.renders:
 *   <k2>/<key>.json       one render: the object hashes of `objects` (and `second`)
 *   blobs/<h2>/<h>.json   one object, content-addressed (sha256 of its JSON)
 *   fix/<key>.json        a cluster's settled --api-versions for given inputs (skips the fixpoint rounds)
 * Objects are stored once however many releases render them (CRDs, RBAC and dashboards repeat across a
 * fleet) and parsed once per process; identical objects are the same (frozen by contract) JS object.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCacheFile } from '../../lib/cache-file';

type Obj = Record<string, unknown>;

export interface CachedRender {
  readonly objects: Obj[];
  readonly second?: Obj[];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export class RenderCache {
  private readonly blobs = new Map<string, Obj>();
  constructor(private readonly dir: string) {}

  private entryFile(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  private blobFile(hash: string): string {
    return join(this.dir, 'blobs', hash.slice(0, 2), `${hash}.json`);
  }

  private blob(hash: string): Obj | undefined {
    let o = this.blobs.get(hash);
    if (o) return o;
    const file = this.blobFile(hash);
    if (!existsSync(file)) return undefined;
    o = JSON.parse(readFileSync(file, 'utf8')) as Obj;
    this.blobs.set(hash, o);
    return o;
  }

  get(key: string): CachedRender | undefined {
    const file = this.entryFile(key);
    if (!existsSync(file)) return undefined;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { objects: string[]; second?: string[] };
    const load = (hashes: string[]) => {
      const objs = hashes.map((h) => this.blob(h));
      return objs.every((o): o is Obj => o !== undefined) ? objs : undefined;
    };
    const objects = load(entry.objects);
    const second = entry.second ? load(entry.second) : undefined;
    if (!objects || (entry.second && !second)) return undefined; // a blob was removed: render again
    return second ? { objects, second } : { objects };
  }

  /** Stores a render; returns it with identical objects shared (interned). */
  put(key: string, render: CachedRender): CachedRender {
    const intern = (objs: Obj[]) =>
      objs.map((o) => {
        const text = JSON.stringify(o);
        const hash = sha(text);
        const known = this.blobs.get(hash);
        if (known) return [hash, known] as const;
        if (!existsSync(this.blobFile(hash))) writeCacheFile(this.blobFile(hash), text);
        this.blobs.set(hash, o);
        return [hash, o] as const;
      });
    const objects = intern(render.objects);
    // A release rendered once stands for its second render with the same objects: interned once.
    const same = render.second === render.objects;
    const second = same ? objects : render.second ? intern(render.second) : undefined;
    writeCacheFile(this.entryFile(key), JSON.stringify({ objects: objects.map(([h]) => h), ...(second ? { second: second.map(([h]) => h) } : {}) }));
    const out = objects.map(([, o]) => o);
    return second ? { objects: out, second: same ? out : second.map(([, o]) => o) } : { objects: out };
  }

  getFixpoint(key: string): string[] | undefined {
    const file = join(this.dir, 'fix', `${key}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : undefined;
  }

  putFixpoint(key: string, apiVersions: readonly string[]): void {
    writeCacheFile(join(this.dir, 'fix', `${key}.json`), JSON.stringify(apiVersions));
  }
}
