import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { constructFromEvents, EVENT_ID, parseEvents, type Event } from 'js-yaml';

/**
 * Reading untrusted YAML (a PR's manifests, a lookups file, rendered charts) without letting it hang, exhaust
 * memory or crash the process: regular files only, a size cap, strict UTF-8, bounded nesting and alias
 * expansion. Every failure is a value (a finding), never an exception. Shared by validate, diff and lookups.
 */

/**
 * Largest file read: 16 MiB. The API server refuses objects over etcd's 1.5 MiB request limit, so a manifest
 * file of many objects stays far below this; anything larger is refused before a byte is parsed.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Most nodes (mappings, sequences, scalars) one document may hold once its aliases are expanded. The largest
 * pinned CRD (prometheus-operator's Prometheus) has about 60,000; a 471-byte billion-laughs document expands to
 * 10^9 and is refused here, before it is constructed.
 */
export const MAX_DOCUMENT_NODES = 1_000_000;

/** Deepest collection nesting accepted (the deepest pinned CRD schema nests about 60 levels). */
export const MAX_DEPTH = 1000;

export type ReadFailureReason = 'not-found' | 'not-regular' | 'too-large' | 'not-utf8' | 'unreadable';

export type SafeRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: ReadFailureReason; readonly message: string };

export interface ReadOptions {
  /** @default MAX_FILE_BYTES */
  readonly maxBytes?: number;
}

const KIND_OF: readonly [(s: Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isFIFO(), 'a FIFO (named pipe)'],
  [(s) => s.isSocket(), 'a socket'],
];

const ERRNO_MESSAGES: Readonly<Record<string, [ReadFailureReason, string]>> = {
  ENOENT: ['not-found', 'does not exist (a dangling symbolic link?)'],
  ELOOP: ['not-regular', 'is a symbolic link loop (too many levels of symbolic links)'],
  EACCES: ['unreadable', 'cannot be read: permission denied'],
  EISDIR: ['not-regular', 'is a directory, not a regular file'],
  ENOTDIR: ['not-found', 'does not exist (a path component is not a directory)'],
};

const mib = (n: number): string => (n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${n} bytes`);

/**
 * The text of a regular file, strictly UTF-8 (a BOM is dropped). Symbolic links are followed; what they
 * point at must be a regular file. The file is opened non-blocking (a FIFO never hangs the open) and checked
 * with fstat on the open descriptor, so a file swapped between a check and the read cannot slip through.
 */
export function readTextFile(path: string, options: ReadOptions = {}): SafeRead {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return errnoFailure(err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = KIND_OF.find(([test]) => test(st))?.[1] ?? 'not a regular file';
      return { ok: false, reason: 'not-regular', message: `is ${what}, not a regular file: only regular files are read` };
    }
    if (st.size > maxBytes) return tooLarge(`${st.size} bytes`, maxBytes);
    // Read at most maxBytes + 1: a file that grows while it is read is still capped.
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return tooLarge('it grew while being read', maxBytes);
      if (length === buf.length) break;
    }
    return decodeUtf8(buf.subarray(0, length));
  } catch (err) {
    return errnoFailure(err);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(size: string, maxBytes: number): SafeRead {
  return { ok: false, reason: 'too-large', message: `is larger than ${mib(maxBytes)} (${size}): split it into smaller files` };
}

function errnoFailure(err: unknown): SafeRead {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const known = ERRNO_MESSAGES[code];
  if (known) return { ok: false, reason: known[0], message: known[1] };
  return { ok: false, reason: 'unreadable', message: `cannot be read (${code || (err as Error).message})` };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding; the failure names the line and byte offset of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): SafeRead {
  try {
    return { ok: true, text: STRICT_UTF8.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 10) line += 1;
    return { ok: false, reason: 'not-utf8', message: `is not valid UTF-8 (line ${line}, byte offset ${at}): malformed; save it as UTF-8` };
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629 table 3-7). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** One YAML document: its value, or why it was refused. */
export type YamlDocument =
  | { readonly line: number; readonly value: unknown; readonly error?: undefined }
  | { readonly line: number; readonly value?: undefined; readonly error: string };

export interface ParseOptions {
  /** @default MAX_DOCUMENT_NODES */
  readonly maxNodes?: number;
  /** @default MAX_DEPTH */
  readonly maxDepth?: number;
}

/**
 * Every non-empty document of a YAML stream with the 1-based line it starts on. A document whose alias
 * expansion or size exceeds the limits is refused with an error (never constructed); a syntax error is
 * reported for its document with its line, and the other documents still parse. Aliased values are shared,
 * not copied: treat the values as read-only.
 */
export function parseYamlDocuments(text: string, options: ParseOptions = {}): YamlDocument[] {
  const limits = { maxNodes: options.maxNodes ?? MAX_DOCUMENT_NODES, maxDepth: options.maxDepth ?? MAX_DEPTH };
  const whole = parseStream(text, 0, limits);
  if (Array.isArray(whole)) return whole;
  // A syntax error somewhere: parse document by document (a line starting with `---` always starts a
  // document: YAML 1.2 §9.1.1 forbids it inside any scalar), so one broken document does not hide the others.
  const out: YamlDocument[] = [];
  const markers = [...text.matchAll(/^---(?=[ \t\r\n]|$)/gm)].map((m) => m.index);
  const cuts = [0, ...markers.filter((i) => i > 0), text.length];
  if (cuts.length === 2) return [syntaxError(whole.failed, 0, limits.maxDepth)];
  const lines = lineIndex(text);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const chunk = text.slice(cuts[k], cuts[k + 1]);
    const firstLine0 = lineAt(lines, cuts[k]!) - 1;
    const docs = parseStream(chunk, firstLine0, limits);
    out.push(...(Array.isArray(docs) ? docs : [syntaxError(docs.failed, firstLine0, limits.maxDepth)]));
  }
  return out;
}

/** The documents of a stream, or the parser's error when it has a syntax error. `lineOffset` shifts reported lines. */
function parseStream(text: string, lineOffset: number, limits: { maxNodes: number; maxDepth: number }): YamlDocument[] | { readonly failed: unknown } {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: limits.maxDepth });
  } catch (err) {
    return { failed: err };
  }
  const lines = lineIndex(text);
  const out: YamlDocument[] = [];
  for (const doc of splitDocuments(events)) {
    const first = events[doc.from + 1] as { start?: number; valueStart?: number } | undefined;
    const line = lineOffset + lineAt(lines, first?.start !== undefined && first.start >= 0 ? first.start : (first?.valueStart ?? 0));
    const size = expandedSize(events, doc.from, doc.to, text);
    if (typeof size === 'string') {
      out.push({ line, error: size });
      continue;
    }
    if (size > limits.maxNodes) {
      out.push({ line, error: tooManyNodes(size, limits.maxNodes) });
      continue;
    }
    let value: unknown;
    try {
      [value] = constructFromEvents(events.slice(doc.from, doc.to), { source: text });
    } catch (err) {
      // e.g. a duplicate key; the message's first line names no value
      out.push({ line, error: `malformed YAML at line ${line}: ${firstLine(err)}` });
      continue;
    }
    if (value === null || value === undefined) continue; // empty document
    out.push({ line, value });
  }
  return out;
}

/** The error of a document that does not parse: its line and the parser's reason (never the source snippet). */
function syntaxError(err: unknown, lineOffset: number, maxDepth: number): YamlDocument {
  const mark = (err as { mark?: { line?: number } }).mark;
  const line = lineOffset + (mark?.line ?? 0) + 1;
  const reason = (err as { reason?: string }).reason ?? firstLine(err);
  if (/maxDepth/.test(reason)) return { line, error: `YAML nests deeper than ${maxDepth} levels (line ${line}): refused as a resource-exhaustion risk` };
  return { line, error: `malformed YAML at line ${line}: ${reason}` };
}

/** The single document of a YAML text (an empty text is null); throws an Error with the finding's message when refused. */
export function parseYaml(text: string, options: ParseOptions = {}): unknown {
  const docs = parseYamlDocuments(text, options);
  const failed = docs.find((d) => d.error !== undefined);
  if (failed) throw new Error(failed.error);
  if (docs.length > 1) throw new Error(`expected one YAML document, found ${docs.length} (line ${docs[1]!.line})`);
  return docs[0]?.value ?? null;
}

const tooManyNodes = (size: number, max: number): string =>
  `YAML document expands to ${size >= 1e15 ? 'more than 10^15' : size.toLocaleString('en-US')} nodes through its aliases or size (limit ${max.toLocaleString('en-US')}): refused as a resource-exhaustion risk (an alias bomb?); remove the aliases or split the document`;

const firstLine = (err: unknown): string => ((err as Error).message.split('\n')[0] ?? '').replace(/ \(\d+:\d+\)$/, '');

/** [from, to) event ranges of each document (DOCUMENT … its POP). */
function splitDocuments(events: readonly Event[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let depth = 0;
  let from = 0;
  events.forEach((e, i) => {
    if (e.type === EVENT_ID.DOCUMENT || e.type === EVENT_ID.SEQUENCE || e.type === EVENT_ID.MAPPING) {
      if (depth === 0) from = i;
      depth += 1;
    } else if (e.type === EVENT_ID.POP) {
      depth -= 1;
      if (depth === 0) out.push({ from, to: i + 1 });
    }
  });
  return out;
}

/**
 * The number of nodes a document would have with every alias expanded, computed over the events without
 * constructing anything (an anchor's size is known when its node closes; an alias adds that size). Capped
 * arithmetic: a billion-laughs document yields a huge number, not a huge object. A string when an alias
 * names an unknown or still-open anchor.
 */
function expandedSize(events: readonly Event[], from: number, to: number, text: string): number | string {
  const anchors = new Map<string, number>();
  const open: { start: number; anchor?: string }[] = [];
  let total = 0;
  const CAP = 1e15;
  for (let i = from + 1; i < to - 1; i++) {
    const e = events[i]!;
    if (e.type === EVENT_ID.SCALAR) {
      total += 1;
      if (e.anchorStart >= 0) anchors.set(text.slice(e.anchorStart, e.anchorEnd), 1);
    } else if (e.type === EVENT_ID.SEQUENCE || e.type === EVENT_ID.MAPPING) {
      open.push({ start: total, anchor: e.anchorStart >= 0 ? text.slice(e.anchorStart, e.anchorEnd) : undefined });
      total += 1;
    } else if (e.type === EVENT_ID.POP) {
      const node = open.pop();
      if (node?.anchor !== undefined) anchors.set(node.anchor, total - node.start);
    } else if (e.type === EVENT_ID.ALIAS) {
      const name = text.slice(e.anchorStart, e.anchorEnd);
      const size = anchors.get(name);
      if (size === undefined) {
        if (open.some((o) => o.anchor === name)) return `YAML alias *${name} refers to a node that contains it (a recursive structure): refused`;
        return `YAML alias *${name} refers to an anchor that is not defined before it`;
      }
      total = Math.min(CAP, total + size);
    }
  }
  return total;
}

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset (binary search over line starts). */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
