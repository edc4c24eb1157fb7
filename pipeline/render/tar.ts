/** Unpacks a .tgz (as `helm package` writes it: ustar/pax, regular files and dirs) with Node's zlib. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EnvironmentError } from '../../lib/errors';

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? length : end);
}

function paxPath(data: Buffer): string | undefined {
  let text = data.toString('utf8');
  while (text.length > 0) {
    const space = text.indexOf(' ');
    const length = Number(text.slice(0, space));
    if (!Number.isFinite(length) || length <= 0) return undefined;
    const record = text.slice(space + 1, length - 1);
    if (record.startsWith('path=')) return record.slice(5);
    text = text.slice(length);
  }
  return undefined;
}

/** Writes every regular file of `archive` under `dest`; returns the relative paths written. */
export function untarGz(archive: Buffer, dest: string, label: string): string[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (err) {
    throw new EnvironmentError(`${label}: not a gzip archive (${(err as Error).message}): delete it from the chart cache and retry`);
  }
  const written: string[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = paxPath(data);
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    longName = undefined;
    if (type !== '0' && type !== '7') continue; // dirs are created with their files; links and specials skipped
    const rel = normalize(name);
    if (rel.startsWith('..') || rel.startsWith(sep))
      throw new EnvironmentError(`${label}: entry ${JSON.stringify(name)} escapes the archive: the chart archive is malformed`);
    const target = join(dest, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    written.push(rel);
  }
  return written;
}
