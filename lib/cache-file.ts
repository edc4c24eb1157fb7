import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a cache file whole or not at all: its folder is created, the data goes to a temp file beside it
 * named after this process, which is renamed over the target (readers see the old file or the new one,
 * never a part). No fsync: a cache entry lost in a crash only costs time. For files that must survive a
 * crash (the lookups file) lib/lookups/atomic.ts writeFileAtomic fsyncs.
 */
export function writeCacheFile(file: string, data: string | NodeJS.ArrayBufferView): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}
