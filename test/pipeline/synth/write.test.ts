import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MARKER, markerText } from '../../../pipeline/synth/owned';
import { sameOnDisk, writeDist } from '../../../pipeline/synth/write';
import { eksai, minimalInput, REPO, tempRepo } from '../../helpers';

const files = (tag: string) =>
  new Map([
    ['apps/Application.x.yaml', `x: ${tag}\n`],
    ['node-pools/NodePool.gpu.yaml', 'kind: NodePool\n'],
  ]);

const temps: string[] = [];
const temp = (prefix = 'eksai-write-'): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every entry under `dir` (not following symlinks) with a hash of its content: what must not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = p.slice(dir.length + 1);
      if (e.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(p);
      } else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function tree(dir: string, entries: Record<string, string>): string {
  for (const [rel, body] of Object.entries(entries)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), body);
  }
  return dir;
}

describe('writeDist', () => {
  test('leaves a cluster folder that already holds exactly the rendered files untouched and swaps a changed one', () => {
    const outdir = temp();
    writeDist(
      new Map([
        ['a', files('1')],
        ['b', files('1')],
      ]),
      { outdir, prune: true },
    );
    const before = statSync(join(outdir, 'a', 'apps', 'Application.x.yaml')).ino;
    const result = writeDist(
      new Map([
        ['a', files('1')],
        ['b', files('2')],
      ]),
      { outdir, prune: true },
    );
    expect(result).toMatchObject({ unchangedClusters: ['a'], written: 2 });
    expect(statSync(join(outdir, 'a', 'apps', 'Application.x.yaml')).ino).toBe(before);
    expect(readFileSync(join(outdir, 'b', 'apps', 'Application.x.yaml'), 'utf8')).toBe('x: 2\n');
    expect(readdirSync(outdir).sort()).toEqual([MARKER, 'a', 'b']);
  });

  test('rewrites a folder that holds an extra file or an empty folder, which a fresh write would not have', () => {
    const outdir = temp();
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    writeFileSync(join(outdir, 'a', 'apps', 'Extra.yaml'), 'hand-edited\n');
    writeFileSync(join(outdir, 'a', '.hidden'), 'hand-made\n');
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(false);
    expect(writeDist(new Map([['a', files('1')]]), { outdir, prune: true }).unchangedClusters).toEqual([]);
    expect(existsSync(join(outdir, 'a', 'apps', 'Extra.yaml'))).toBe(false);
    expect(existsSync(join(outdir, 'a', '.hidden'))).toBe(false);

    mkdirSync(join(outdir, 'a', 'empty'));
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(false);
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    expect(existsSync(join(outdir, 'a', 'empty'))).toBe(false);
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(true);
  });

  test('a missing file or different bytes count as changed', () => {
    const outdir = temp();
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    expect(sameOnDisk(join(outdir, 'a'), new Map([...files('1'), ['storage/StorageClass.gp3.yaml', 'x\n']]))).toBe(false);
    expect(sameOnDisk(join(outdir, 'a'), files('2'))).toBe(false);
    expect(sameOnDisk(join(outdir, 'missing'), files('1'))).toBe(false);
  });

  test('records its clusters in a deterministic marker; prunes only listed clusters; a partial write adds to the marker', () => {
    const outdir = temp();
    writeDist(
      new Map([
        ['b', files('1')],
        ['a', files('1')],
      ]),
      { outdir, prune: true },
    );
    expect(readFileSync(join(outdir, MARKER), 'utf8')).toBe(markerText(['a', 'b']));
    expect(JSON.parse(readFileSync(join(outdir, MARKER), 'utf8'))).toMatchObject({ clusters: ['a', 'b'] });
    // Not synth's: a folder and files of the user's own next to the clusters.
    tree(outdir, { 'mine/notes.yaml': 'mine\n', 'NOTES.md': 'mine\n', '.gitattributes': '* text\n' });
    const partial = writeDist(new Map([['c', files('1')]]), { outdir, prune: false });
    expect(partial.removedClusters).toEqual([]);
    expect(readFileSync(join(outdir, MARKER), 'utf8')).toBe(markerText(['a', 'b', 'c']));
    const full = writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    expect(full.removedClusters).toEqual(['b', 'c']);
    expect(readdirSync(outdir).sort()).toEqual(['.eksai-dist.json', '.gitattributes', 'NOTES.md', 'a', 'mine']);
    expect(readFileSync(join(outdir, MARKER), 'utf8')).toBe(markerText(['a']));
  });

  test('removing a listed cluster folder that is a symlink removes the link, never what it points at', () => {
    const outdir = temp();
    const outside = tree(temp('eksai-outside-'), { 'precious/data.txt': 'keep\n' });
    writeDist(
      new Map([
        ['a', files('1')],
        ['gone', files('1')],
      ]),
      { outdir, prune: true },
    );
    rmSync(join(outdir, 'gone'), { recursive: true });
    symlinkSync(outside, join(outdir, 'gone'));
    const before = snapshot(outside);
    expect(writeDist(new Map([['a', files('1')]]), { outdir, prune: true }).removedClusters).toEqual(['gone']);
    expect(existsSync(join(outdir, 'gone'))).toBe(false);
    expect(snapshot(outside)).toEqual(before);
  });

  test.each([
    [
      'a home-like folder with unrelated subfolders',
      { '.ssh/id_ed25519': 'KEY\n', 'projects/api/main.go': 'package main\n', 'Documents/a.txt': 'a\n', 'dev/x': 'x\n' },
    ],
    ['a folder holding only files', { 'notes.txt': 'n\n', 'todo.md': 't\n' }],
    ['a folder holding one hidden file', { '.envrc': 'export A=1\n' }],
    ['a folder that looks like an old dist (cluster folders only, no marker)', { 'a/apps/Application.x.yaml': 'x: 0\n' }],
  ])('fails when the output folder is %s without a marker, and touches nothing in it', (_, entries) => {
    const outdir = tree(temp(), entries);
    const before = snapshot(outdir);
    expect(() =>
      writeDist(
        new Map([
          ['a', files('1')],
          ['dev', files('1')],
        ]),
        { outdir, prune: true },
      ),
    ).toThrow(
      `${outdir} is not empty (${Object.keys(entries)
        .map((k) => k.split('/')[0])
        .filter((k, i, all) => all.indexOf(k) === i)
        .sort()
        .slice(0, 3)
        .join(', ')}`,
    );
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir, prune: true })).toThrow(
      /and has no \.eksai-dist\.json, so eksai did not write it and will not delete anything in it: pass --outdir <new or empty folder>/,
    );
    expect(snapshot(outdir)).toEqual(before);
  });

  test('writes into an empty folder, and into one that holds only its own leftovers', () => {
    const empty = temp();
    writeDist(new Map([['a', files('1')]]), { outdir: empty, prune: true });
    expect(sameOnDisk(join(empty, 'a'), files('1'))).toBe(true);
    const leftovers = tree(temp(), { '.eksai-staging-1.x.y/a/apps/Application.x.yaml': 'half\n' });
    expect(writeDist(new Map([['a', files('1')]]), { outdir: leftovers, prune: true }).recovered).toEqual(['removed leftover .eksai-staging-1.x.y']);
    expect(readdirSync(leftovers).sort()).toEqual([MARKER, 'a']);
  });

  test('fails when the output folder is a file, a symlink loop, or under a file', () => {
    const dir = temp();
    writeFileSync(join(dir, 'dist'), 'a file\n');
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir: join(dir, 'dist'), prune: true })).toThrow(
      `${join(dir, 'dist')} is a file, not a folder: synth writes one folder per cluster into it; move the file away or pass --outdir <folder>`,
    );
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir: join(dir, 'dist', 'sub'), prune: true })).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir: join(dir, 'loop'), prune: true })).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(readFileSync(join(dir, 'dist'), 'utf8')).toBe('a file\n');
  });

  test('a write that fails midway leaves the previous folders, no staging and no lock behind', () => {
    const outdir = temp();
    writeDist(
      new Map([
        ['a', files('1')],
        ['b', files('1')],
      ]),
      { outdir, prune: true },
    );
    const before = snapshot(outdir);
    // `apps` as a file and as a folder: the real mkdir of the second fails with EEXIST, after a's files are staged.
    const broken = new Map([
      ['apps', 'x\n'],
      ['apps/Application.y.yaml', 'y\n'],
    ]);
    expect(() =>
      writeDist(
        new Map([
          ['a', files('2')],
          ['b', broken],
        ]),
        { outdir, prune: true },
      ),
    ).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'mkdir' }));
    expect(snapshot(outdir)).toEqual(before);
    expect(
      writeDist(
        new Map([
          ['a', files('2')],
          ['b', files('1')],
        ]),
        { outdir, prune: true },
      ),
    ).toMatchObject({ unchangedClusters: ['b'], recovered: [] });
  });

  const hostileMarkers: [string, string, RegExp][] = [
    ['a parent folder', JSON.stringify({ clusters: ['a', '../victim'] }), /clusters\[1\] must be a cluster name \(a DNS-1123 label\) \(got "\.\.\/victim"\)/],
    ['an absolute path', JSON.stringify({ clusters: ['ABS'] }), /clusters\[0\] must be a cluster name \(a DNS-1123 label\) \(got "\/.*victim"\)/],
    ['a nested path', JSON.stringify({ clusters: ['a/b'] }), /clusters\[0\] must be a cluster name .*\(got "a\/b"\)/],
    ['the folder itself', JSON.stringify({ clusters: ['.'] }), /clusters\[0\] must be a cluster name .*\(got "\."\)/],
    ['one of its own temporary names', JSON.stringify({ clusters: ['.eksai-old-1-a'] }), /clusters\[0\] must be a cluster name .*\(got "\.eksai-old-1-a"\)/],
    ['a number', JSON.stringify({ clusters: [42] }), /clusters\[0\] must be a cluster name .*\(got 42\)/],
    ['no list', JSON.stringify({ clusters: 'a' }), /clusters must be a list of cluster names \(got "a"\)/],
    [
      'a merge conflict',
      '<<<<<<< HEAD\n{"clusters":["a"]}\n=======\n{"clusters":["b"]}\n>>>>>>> x\n',
      /\.eksai-dist\.json is not valid JSON \(.*\): restore it with `git checkout -- <dist>\/\.eksai-dist\.json` or fix the entry/,
    ],
  ];
  test.each(hostileMarkers)('fails when the marker lists %s, and follows none of it', (_, text, message) => {
    const root = temp();
    const victim = tree(join(root, 'victim'), { 'data.txt': 'keep\n' });
    const outdir = join(root, 'dist');
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    writeFileSync(join(outdir, MARKER), text.replace('ABS', victim));
    const before = { victim: snapshot(victim), outdir: snapshot(outdir) };
    expect(() => writeDist(new Map([['b', files('1')]]), { outdir, prune: true })).toThrow(message);
    expect({ victim: snapshot(victim), outdir: snapshot(outdir) }).toEqual(before);
  });

  test('fails when a cluster to write is not a DNS label, before touching the folder', () => {
    const outdir = join(temp(), 'dist');
    for (const name of ['../escape', '/abs', '.eksai-old-1-a', '']) {
      expect(() => writeDist(new Map([[name, files('1')]]), { outdir, prune: true })).toThrow(
        `${outdir}: clusters to write[0] must be a cluster name (a DNS-1123 label) (got ${JSON.stringify(name)})`,
      );
    }
    expect(existsSync(outdir)).toBe(false);
  });

  test('fails when the marker is a symlink or a folder, without reading through it', () => {
    const outdir = temp();
    const elsewhere = tree(temp('eksai-outside-'), { 'marker.json': markerText(['a']) });
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    rmSync(join(outdir, MARKER));
    symlinkSync(join(elsewhere, 'marker.json'), join(outdir, MARKER));
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir, prune: true })).toThrow(
      `${join(outdir, MARKER)} must be a regular file of at most 1048576 bytes, as eksai writes it`,
    );
    rmSync(join(outdir, MARKER));
    mkdirSync(join(outdir, MARKER));
    expect(() => writeDist(new Map([['a', files('1')]]), { outdir, prune: true })).toThrow(/must be a regular file/);
    expect(lstatSync(join(outdir, 'a')).isDirectory()).toBe(true);
  });
});

describe('synth --outdir', () => {
  test('fails when --outdir . is a copy of the repository, and deletes nothing of it', () => {
    const copy = temp('eksai-repo-copy-');
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f !== '' && !f.startsWith('dist/'));
    for (const f of tracked) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(copy, f));
    }
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
    const before = snapshot(copy);
    const top = readdirSync(copy).sort();
    const r = eksai(['synth', '--cwd', copy, '--outdir', '.']);
    expect(top).toEqual(expect.arrayContaining(['apps', 'charts', 'clusters', 'lib', 'package.json']));
    expect(r.stderr).toBe(
      `eksai synth: ${copy} is not empty (${top.slice(0, 3).join(', ')}, … ${top.length - 3} more) and has no .eksai-dist.json, so eksai did not write it and will not delete anything in it: pass --outdir <new or empty folder>, or, if it is a dist from an eksai older than that file, delete it and run synth again\n`,
    );
    expect(r.status).toBe(2);
    expect(snapshot(copy)).toEqual(before);
    expect(eksai(['synth', '--cwd', copy, '--outdir', 'out', '-q']).status).toBe(0);
    expect(JSON.parse(readFileSync(join(copy, 'out', MARKER), 'utf8'))).toMatchObject({ clusters: ['dev', 'prod', 'staging'] });
  });

  test('fails with exit 2 and one line when the outdir is a file', () => {
    const repo = tempRepo([minimalInput()]);
    temps.push(repo);
    writeFileSync(join(repo, 'dist'), 'not a folder\n');
    expect(eksai(['synth', '--cwd', repo])).toMatchObject({
      status: 2,
      stderr: `eksai synth: ${join(repo, 'dist')} is a file, not a folder: synth writes one folder per cluster into it; move the file away or pass --outdir <folder>\n`,
    });
  });
});
