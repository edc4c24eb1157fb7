import { dump } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { DUMP_OPTIONS, toYaml, toYamlAll } from '../../../pipeline/synth/yaml';

/** Scalars js-yaml quotes, escapes, folds or resolves to other types. */
const TRICKY: unknown[] = [
  '',
  ' ',
  'plain',
  'with space',
  ' lead',
  'trail ',
  'on',
  'off',
  'yes',
  'no',
  'y',
  'n',
  'true',
  'False',
  'null',
  'NULL',
  '~',
  '0',
  '00',
  '0755',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '1e3',
  '1.5',
  '.5',
  '-.inf',
  '.NaN',
  '12:30:00',
  '2026-11-23',
  '2026-11-23T10:00:00Z',
  '<<',
  '=',
  '-',
  '- x',
  '-x',
  '?',
  '? x',
  '?x',
  ':',
  ':x',
  'a: b',
  'a:b',
  'a #b',
  '#c',
  '@x',
  '`x',
  '%x',
  '!x',
  '&x',
  '*x',
  '|',
  '>',
  "'q'",
  '"q"',
  '[a]',
  '{a: 1}',
  'a,b',
  '---',
  '--- x',
  '...',
  '... x',
  'x---',
  'tab\there',
  'cr\rhere',
  'nul\0',
  'bell\x07',
  'é',
  '日本',
  '😀',
  '\u2028',
  '\uFEFFbom',
  '\uD800',
  'line1\nline2',
  'line1\nline2\n',
  'line1\n\nline2\n\n',
  '\n',
  '\n\n',
  ' lead\nline',
  'trail \nline',
  'a\n---\nb',
  'a\n...\nb',
  '#!/bin/sh\necho "$x"\n',
  'x'.repeat(1100),
  `long ${'word '.repeat(60)}`,
  0,
  1,
  -1,
  42,
  1.5,
  -2.25,
  1e21,
  1e-7,
  2 ** 53,
  Number.MAX_VALUE,
  NaN,
  Infinity,
  -Infinity,
  -0,
  true,
  false,
  null,
];

const KEYS = ['k', 'with space', 'on', '0', '1', '-x', '?x', '? x', 'a: b', 'a\nb', 'x'.repeat(1100), '', '~', 'é', '__proto__'];

/** Deterministic PRNG (mulberry32) so a failing document can be reproduced. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 4 || x < 0.55) return TRICKY[Math.floor(r() * TRICKY.length)];
  if (x < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  return randomObject(r, depth + 1);
}

function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const k = r() < 0.3 ? KEYS[Math.floor(r() * KEYS.length)]! : `key${Math.floor(r() * 20)}`;
    Object.defineProperty(obj, k, { value: randomValue(r, depth), enumerable: true, writable: true, configurable: true });
  }
  return obj;
}

describe('toYaml: the bytes of js-yaml dump', () => {
  test('every tricky scalar, as a value, a sequence item and a key, at several depths', () => {
    for (const v of TRICKY) {
      for (const doc of [{ v }, { a: { b: [v, [v], { v }] } }, { list: [{ x: v, y: [v] }] }]) {
        expect(toYaml(doc), JSON.stringify(doc)).toBe(dump(doc, DUMP_OPTIONS));
      }
    }
    for (const k of KEYS) {
      const doc = Object.defineProperty({ first: 1 }, k, { value: { [k]: [k] }, enumerable: true });
      expect(toYaml(doc), JSON.stringify(k)).toBe(dump(doc, DUMP_OPTIONS));
    }
  });

  test('empty collections, nested sequences, and values js-yaml skips or refuses', () => {
    const docs: unknown[] = [
      { a: {}, b: [], c: [[]], d: [{}], e: [[1, [2, []]], { f: [] }] },
      { a: undefined, b: 1 },
      { a: [undefined, 1] },
      { d: new Date(0) },
      {},
      [1, 2],
      'scalar',
      { s: Symbol.for('x') },
    ];
    for (const doc of docs) {
      let expected: string;
      try {
        expected = dump(doc, DUMP_OPTIONS);
      } catch (err) {
        expect(() => toYaml(doc)).toThrow((err as Error).message);
        continue;
      }
      expect(toYaml(doc)).toBe(expected);
    }
  });

  test('2,000 random documents, rendered one by one and in one batch', () => {
    const r = rng(20261123);
    const docs = Array.from({ length: 2000 }, () => ({ apiVersion: 'v1', kind: 'X', ...randomObject(r, 0) }));
    const expected = docs.map((d) => dump(d, DUMP_OPTIONS));
    expect(toYamlAll(docs)).toEqual(expected);
    docs.forEach((d, i) => expect(toYaml(d)).toBe(expected[i]));
  });
});
