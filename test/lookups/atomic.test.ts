import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../lib/lookups/atomic';
import { FACTS, paged, useFakeSsm } from './server';

const ROOT = resolve(__dirname, '..', '..');
/** One process (no tsx wrapper around the real writer, so a kill hits the writer itself). */
const NODE_TS = `"${process.execPath}" --import tsx`;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eksai-atomic-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a TypeScript snippet in a child (optionally under `ulimit -f <blocks>`, a real EFBIG like a full disk). */
function child(code: string, opts: { fsizeBlocks?: number; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = join(dir, 'child.ts');
  writeFileSync(script, code);
  const cmd = `${opts.fsizeBlocks ? `ulimit -f ${opts.fsizeBlocks}; ` : ''}exec ${NODE_TS} "${script}"`;
  return new Promise((done) => {
    execFile('bash', ['-c', cmd], { cwd: ROOT, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const leftovers = () => readdirSync(dir).filter((n) => n.includes('.tmp-'));

describe('writeFileAtomic', () => {
  it('replaces the file, keeps its mode and leaves no temp file', () => {
    const path = join(dir, 'dev.lookups.json');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o640);
    writeFileAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(leftovers()).toEqual([]);
  });

  it('fails when the disk fills midway, keeping the old file byte for byte and removing the temp file', async () => {
    const path = join(dir, 'dev.lookups.json');
    const old = `${JSON.stringify({ parameters: FACTS }, null, 2)}\n`;
    for (const size of [2_000, 5_000_000]) {
      writeFileSync(path, old);
      const out = await child(
        `import { writeFileAtomic } from ${JSON.stringify(join(ROOT, 'lib/lookups/atomic'))};\nwriteFileAtomic(${JSON.stringify(path)}, 'x'.repeat(${size}));\n`,
        { fsizeBlocks: 1 },
      );
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain('EFBIG');
      expect(readFileSync(path, 'utf8')).toBe(old);
      expect(leftovers()).toEqual([]);
    }
  });

  it('fails when the writer is killed mid-write, keeping the old file; the next write removes the dead temp file', async () => {
    const path = join(dir, 'dev.lookups.json');
    writeFileSync(path, 'old\n');
    const script = join(dir, 'slow.ts');
    // Writes 400 MB in 1 MB chunks through the real temp file, slowly enough to be killed in the middle.
    writeFileSync(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(join(ROOT, 'lib/lookups/atomic'))};\nwriteFileAtomic(${JSON.stringify(path)}, 'y'.repeat(400 * 1024 * 1024));\n`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (leftovers().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(leftovers()).toHaveLength(1);
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(leftovers()).toHaveLength(1);
    writeFileAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(leftovers()).toEqual([]);
  });
});

describe('eksai lookup on a full disk', () => {
  const fake = useFakeSsm();

  it('fails with a LookupsWriteError naming the file, and the committed lookups file is unchanged', async () => {
    const ssm = fake();
    // Enough verified aliases that the new file is larger than the 1 KiB `ulimit -f 1` allows.
    const releases = ['v20260610', 'v20260618', 'v20260625', 'v20260707', 'v20260709', 'v20260714'];
    const classes = releases.map((r) => ({ name: `c${r}`, amiAlias: `al2023@${r}` }));
    for (const r of releases) {
      ssm.publicParameters.set(
        `/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-${r}/image_id`,
        'ami-0123456789abcdef0',
      );
    }
    ssm.byPath = paged(FACTS);
    const cwd = join(dir, 'repo');
    const path = join(cwd, 'clusters', 'dev.lookups.json');
    const old = '{"parameters":{}}\n';
    const code = `import { mkdirSync, writeFileSync } from 'node:fs';
import { lookup } from ${JSON.stringify(join(ROOT, 'lib/lookups/ssm'))};
mkdirSync(${JSON.stringify(join(cwd, 'clusters'))}, { recursive: true });
writeFileSync(${JSON.stringify(path)}, ${JSON.stringify(old)});
lookup({ cluster: 'dev', region: 'us-west-2', cwd: ${JSON.stringify(cwd)}, nodes: { kubernetesVersion: '1.35', nodeClasses: ${JSON.stringify(classes)}, nodePools: [] } })
  .then(() => console.log('written'), (e) => { console.log(e.name + ': ' + e.message); process.exitCode = 2; });
`;
    const out = await child(code, {
      fsizeBlocks: 1,
      env: { AWS_ENDPOINT_URL_SSM: ssm.endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: '' },
    });
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(/^LookupsWriteError: cannot write clusters\/dev\.lookups\.json \(EFBIG: .*\); the committed file is unchanged: free disk space/);
    expect(readFileSync(path, 'utf8')).toBe(old);
    expect(readdirSync(join(cwd, 'clusters'))).toEqual(['dev.lookups.json']);
    expect(existsSync(path)).toBe(true);
  });
});
