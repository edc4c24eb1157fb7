import { MAX_FILE_BYTES, parseYamlDocuments } from '../../lib/yaml/safe';

/**
 * Bounded YAML for diff, which reads whatever a pull request puts in dist/. An alias bomb (a 471-byte
 * "billion laughs") parses into shared nodes, then explodes when walked or serialized (252 s and 2.2 GB
 * before `RangeError: Invalid string length`). lib/yaml/safe.ts (the reader validate and lookups use)
 * refuses a file over MAX_FILE_BYTES and a document whose aliases expand past its node limit, before
 * constructing it. Diff adds one bound of its own: the expanded string characters of a document
 * (STRING_CHARS), since few aliases of one long string stay under the node limit and still serialize to
 * gigabytes. A refused document is one problem naming its file and line; the file's other documents are
 * still compared.
 */
export const STRING_CHARS = 64 * 1024 * 1024;

export interface YamlDoc {
  readonly line: number;
  readonly value?: unknown;
  readonly error?: string;
}

/** Expanded characters of keys and strings, counted by a walk that stops at `limit` (so it ends on any input). */
function expandedChars(value: unknown, limit: number): number {
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && chars <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        chars += k.length + 1;
        stack.push(x);
      }
      chars += 1;
    } else chars += 1;
  }
  return chars;
}

/** Every non-empty document of a YAML text, each a value or why it was refused. Never throws. */
export function parseYamlBounded(text: string): readonly YamlDoc[] {
  if (text.length > MAX_FILE_BYTES / 4 && Buffer.byteLength(text) > MAX_FILE_BYTES) {
    return [
      {
        line: 1,
        error: `file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (${Buffer.byteLength(text).toLocaleString('en-US')} bytes): refused as a resource-exhaustion risk; not compared`,
      },
    ];
  }
  return parseYamlDocuments(text).map((d) => {
    if (d.error !== undefined) return d;
    if (expandedChars(d.value, STRING_CHARS) > STRING_CHARS) {
      return {
        line: d.line,
        error: `YAML document expands to more than ${STRING_CHARS.toLocaleString('en-US')} characters of strings through its aliases (limit ${STRING_CHARS.toLocaleString('en-US')}): refused as a resource-exhaustion risk (an alias bomb?); not compared`,
      };
    }
    return d;
  });
}
