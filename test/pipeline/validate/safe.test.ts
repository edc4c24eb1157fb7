import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../../pipeline/validate';
import { MAX_DOCUMENT_NODES, MAX_FILE_BYTES, parseYaml, parseYamlDocuments, readTextFile } from '../../../lib/yaml/safe';

process.env.EKSAI_SCHEMA_MIRROR = resolve(__dirname, '../../../../shared/schemas'); // tests run in temp folders

/** Billion laughs: `levels` anchors, each a sequence of `width` aliases of the previous one. */
function laughs(levels: number, width: number, flow = true): string {
  const lines = [`l0: &l0 ${flow ? `[${Array(width).fill('"lol"').join(',')}]` : '"lol"'}`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return `${lines.join('\n')}\n`;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eksai-safe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTextFile', () => {
  it('fails when the file is a symlink to /dev/zero (never reads it)', () => {
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    expect(readTextFile(join(dir, 'zero.yaml'))).toEqual({
      ok: false,
      reason: 'not-regular',
      message: 'is a character device, not a regular file: only regular files are read',
    });
  });

  it('fails when the file is a FIFO, without waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const start = performance.now();
    expect(readTextFile(join(dir, 'fifo.yaml'))).toMatchObject({
      ok: false,
      reason: 'not-regular',
      message: expect.stringContaining('is a FIFO (named pipe)'),
    });
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('fails when the file is a symlink loop, a dangling symlink, a directory or a socket-like special file', () => {
    symlinkSync(join(dir, 'loop-b.yaml'), join(dir, 'loop-a.yaml'));
    symlinkSync(join(dir, 'loop-a.yaml'), join(dir, 'loop-b.yaml'));
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    mkdirSync(join(dir, 'adir.yaml'));
    expect(readTextFile(join(dir, 'loop-a.yaml'))).toMatchObject({ ok: false, message: 'is a symbolic link loop (too many levels of symbolic links)' });
    expect(readTextFile(join(dir, 'dangling.yaml'))).toMatchObject({ ok: false, reason: 'not-found' });
    expect(readTextFile(join(dir, 'adir.yaml'))).toMatchObject({ ok: false, message: expect.stringContaining('is a directory') });
    expect(readTextFile('/dev/null')).toMatchObject({ ok: false, message: expect.stringContaining('character device') });
  });

  it('fails when the file is larger than the cap, naming the cap', () => {
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(2048, 0x61));
    expect(readTextFile(join(dir, 'big.yaml'), { maxBytes: 1024 })).toMatchObject({
      ok: false,
      reason: 'too-large',
      message: 'is larger than 1024 bytes (2048 bytes): split it into smaller files',
    });
    expect(MAX_FILE_BYTES).toBe(16 * 1024 * 1024);
  });

  it.each([
    ['a lone continuation byte', Buffer.from([0x61, 0x3a, 0x20, 0x80, 0x0a])],
    ['an overlong encoding of "/"', Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf])],
    ['a UTF-16 surrogate encoded in UTF-8', Buffer.from('a: b\nc: \xed\xa0\x80\n', 'latin1')],
    ['Latin-1 text', Buffer.from('a: b\nname: caf\xe9\n', 'latin1')],
    ['a truncated 4-byte sequence', Buffer.from([0x61, 0x3a, 0x20, 0xf0, 0x9f, 0x98])],
  ])('fails when the file holds invalid UTF-8 (%s), naming the line', (_, bytes) => {
    const read = readTextFile((writeFileSync(join(dir, 'bad-utf8.yaml'), bytes), join(dir, 'bad-utf8.yaml')));
    expect(read).toMatchObject({
      ok: false,
      reason: 'not-utf8',
      message: expect.stringMatching(/^is not valid UTF-8 \(line \d, byte offset \d+\): malformed/),
    });
  });

  it('reads UTF-8 text and drops a BOM', () => {
    writeFileSync(join(dir, 'ok.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: café 🚀\n')]));
    expect(readTextFile(join(dir, 'ok.yaml'))).toEqual({ ok: true, text: 'name: café 🚀\n' });
  });
});

describe('parseYamlDocuments', () => {
  it.each([
    ['9 levels × 9 (the classic, 342 bytes)', laughs(9, 9)],
    ['10 levels × 10 scalars', laughs(10, 10, false)],
    ['30 levels × 2 (narrow and deep)', laughs(30, 2)],
    ['5 levels × 64 (wide)', laughs(5, 64)],
  ])('fails fast when a document is an alias bomb: %s', (_, text) => {
    const start = performance.now();
    const docs = parseYamlDocuments(text);
    expect(performance.now() - start).toBeLessThan(500);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.error).toMatch(
      /^YAML document expands to (more than 10\^15|[\d,]+) nodes through its aliases or size \(limit 1,000,000\): refused as a resource-exhaustion risk/,
    );
  });

  it('fails when the 471-byte bomb of issue 12 sits in a Kubernetes manifest, and keeps the other documents', () => {
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${laughs(9, 9)
      .split('\n')
      .filter(Boolean)
      .map((l) => `  ${l}`)
      .join('\n')}\n`;
    const docs = parseYamlDocuments(`apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n${bomb}`);
    expect(docs.map((d) => [d.line, d.error?.slice(0, 25) ?? 'ok'])).toEqual([
      [1, 'ok'],
      [5, 'YAML document expands to '],
    ]);
  });

  it('fails when an alias refers to its own enclosing node or to no anchor', () => {
    expect(parseYamlDocuments('a: &x [1, *x]\n')[0]!.error).toBe('YAML alias *x refers to a node that contains it (a recursive structure): refused');
    expect(parseYamlDocuments('a: *nowhere\n')[0]!.error).toBe('YAML alias *nowhere refers to an anchor that is not defined before it');
  });

  it('accepts a few aliases within the limit (shared values)', () => {
    expect(parseYamlDocuments('base: &b {cpu: 1}\nx: *b\ny: *b\n')).toEqual([{ line: 1, value: { base: { cpu: 1 }, x: { cpu: 1 }, y: { cpu: 1 } } }]);
  });

  it('fails when a flow sequence is huge (2,000,000 items), within seconds', () => {
    const start = performance.now();
    const docs = parseYamlDocuments(`[${'0,'.repeat(2_000_000)}0]`);
    expect(docs[0]!.error).toMatch(/^YAML document expands to 2,000,002 nodes/);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(MAX_DOCUMENT_NODES).toBe(1_000_000);
  });

  it.each([
    ['flow sequences', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
    ['flow mappings', `${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}`],
    ['an unterminated flow sequence', `${'['.repeat(200_000)}`],
  ])('fails when %s nest deeper than the limit, without a stack overflow', (_, text) => {
    const docs = parseYamlDocuments(text);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.error).toMatch(/^YAML nests deeper than 1000 levels \(line 1\): refused/);
  });

  it('fails per document on syntax errors, with lines, never echoing the source text', () => {
    const docs = parseYamlDocuments('a: b\n---\nkind: x\n  password: hunter2\n---\nc: 1\n');
    expect(docs).toEqual([
      { line: 1, value: { a: 'b' } },
      { line: 4, error: 'malformed YAML at line 4: bad indentation of a mapping entry' },
      { line: 6, value: { c: 1 } },
    ]);
  });

  it('parseYaml returns the single document or throws the finding', () => {
    expect(parseYaml('a: 1\n')).toEqual({ a: 1 });
    expect(parseYaml('')).toBeNull();
    expect(() => parseYaml(laughs(9, 9))).toThrow(/alias bomb/);
    expect(() => parseYaml('a: 1\n---\nb: 2\n')).toThrow('expected one YAML document, found 2 (line 3)');
  });
});

describe('validate: hostile files', () => {
  it('fails each special, oversized, non-UTF-8 or bomb file with a finding, validates the rest, never hangs', async () => {
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'ok.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n');
    symlinkSync('/dev/zero', join(root, 'zero.yaml'));
    execFileSync('mkfifo', [join(root, 'fifo.yaml')]);
    symlinkSync(join(root, 'loop.yaml'), join(root, 'loop.yaml'));
    symlinkSync(join(root, 'nowhere.yaml'), join(root, 'dangling.yaml'));
    symlinkSync(root, join(root, 'sub', 'back-to-root')); // a directory cycle
    writeFileSync(join(root, 'latin1.yaml'), Buffer.from('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n', 'latin1'));
    writeFileSync(join(root, 'bomb.yaml'), laughs(9, 9));
    const { results } = await validate({ cwd: dir, paths: ['tree'] });
    expect(results.map((r) => [r.file, r.status, r.problems[0]?.message.replace(/^file /, '').slice(0, 40) ?? ''])).toEqual([
      ['tree/bomb.yaml', 'error', 'YAML document expands to 490,329,064 nod'],
      ['tree/dangling.yaml', 'error', 'does not exist (a dangling symbolic link'],
      ['tree/fifo.yaml', 'error', 'is a FIFO (named pipe), not a regular fi'],
      ['tree/latin1.yaml', 'error', 'is not valid UTF-8 (line 4, byte offset '],
      ['tree/loop.yaml', 'error', 'is a symbolic link loop (too many levels'],
      ['tree/ok.yaml', 'valid', ''],
      ['tree/zero.yaml', 'error', 'is a character device, not a regular fil'],
    ]);
  });

  it('fails fast when an Application carries an alias bomb in its Helm values string', async () => {
    const values = laughs(9, 9).replace(/\n/g, '\n        ');
    writeFileSync(
      join(dir, 'app-bomb.yaml'),
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: cilium, namespace: argocd}\nspec:\n  project: default\n  destination: {server: https://kubernetes.default.svc, namespace: kube-system}\n  source:\n    repoURL: https://helm.cilium.io\n    chart: cilium\n    targetRevision: 1.19.4\n    helm:\n      values: |\n        ${values}\n`,
    );
    const start = performance.now();
    const { results } = await validate({ cwd: dir, paths: ['app-bomb.yaml'] });
    expect(performance.now() - start).toBeLessThan(5000);
    expect(results[0]!.problems.map((p) => `${p.path}: ${p.message.slice(0, 60)}`)).toEqual([
      'spec.source.helm.values: is not valid YAML (YAML document expands to 490,329,064 node',
    ]);
  });
});
