import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clusters } from '../../clusters';
import { clusterSchema } from '../../lib/config/schema';
import { amiNeeds, type NodeImageInputs } from '../../lib/lookups/amis';
import { nodeImageInputs } from '../../lib/config/node-images';
import { serializeLookups } from '../../lib/lookups/file';
import { resolveTimeouts, SSM_MAX_PAGES } from '../../lib/lookups/client';
import {
  createSsmClient,
  lookup,
  MissingParametersError,
  SsmAccessDeniedError,
  SsmPageLimitError,
  SsmRepeatedTokenError,
  SsmTimeoutError,
} from '../../lib/lookups/ssm';
import { error, FACTS, paged, param, runCli, stubAwsEnv, testClient, useFakeSsm } from './server';

const fake = useFakeSsm();
let ssm: ReturnType<typeof fake>;
let cwd: string;

/** One AL2023 class used by a cpu and a gpu pool: lookup resolves its amd64 standard and nvidia images. */
export const NODES: NodeImageInputs = {
  kubernetesVersion: '1.35',
  nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }],
  nodePools: [
    { name: 'general', nodeClass: 'default', kind: 'cpu', arch: ['amd64'] },
    { name: 'gpu', nodeClass: 'default', kind: 'gpu', arch: ['amd64'] },
  ],
};
const STANDARD = '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20260714/image_id';
const NVIDIA = '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-1.35-v20260714/image_id';
const AMIS = {
  'al2023@v20260714': { kubernetesVersion: '1.35', images: { 'amd64/nvidia': 'ami-0bbbbbbbbbbbbbbb2', 'amd64/standard': 'ami-0aaaaaaaaaaaaaaa1' } },
};

const client = (maxAttempts = 4) => testClient(ssm.endpoint, maxAttempts);
const pathCalls = () => ssm.calls.filter((c) => c.target === 'AmazonSSM.GetParametersByPath');
const opts = (extra: Record<string, unknown> = {}) => ({ cluster: 'dev', region: 'us-west-2', cwd, nodes: NODES, ...extra });

beforeEach(() => {
  ssm = fake();
  ssm.calls.length = 0;
  ssm.publicParameters = new Map([
    [STANDARD, 'ami-0aaaaaaaaaaaaaaa1'],
    [NVIDIA, 'ami-0bbbbbbbbbbbbbbb2'],
  ]);
  cwd = mkdtempSync(join(tmpdir(), 'eksai-lookup-'));
  mkdirSync(join(cwd, 'clusters'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const file = () => join(cwd, 'clusters', 'dev.lookups.json');

describe('lookup', () => {
  it('reads every page and writes the sorted lookups file', async () => {
    ssm.byPath = paged(FACTS, [param('some/other', 'x'), param('account/id', '123456789012')]);
    const result = await lookup(opts({ client: client() }));
    expect(result.pages).toBe(6);
    expect(pathCalls().map((c) => c.body.NextToken)).toEqual([undefined, '1', '2', '3', '4', '5']);
    expect(pathCalls()[0]).toMatchObject({ target: 'AmazonSSM.GetParametersByPath', body: { Path: '/eksai/dev/', Recursive: true, WithDecryption: false } });
    expect(result.ignored).toEqual(['some/other']);
    expect(result.written).toBe(true);
    expect(readFileSync(file(), 'utf8')).toBe(
      serializeLookups({ amis: AMIS, prefix: '/eksai/dev/', region: 'us-west-2', parameters: { ...FACTS, 'account/id': '123456789012' } }),
    );
  });

  it('honours AWS_ENDPOINT_URL_SSM with the default client', async () => {
    stubAwsEnv(ssm.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
    ssm.byPath = paged(FACTS);
    const result = await lookup(opts());
    expect(result.pages).toBe(4);
    expect(pathCalls()).toHaveLength(4);
  });

  it('honours AWS_ENDPOINT_URL when no SSM-specific endpoint is set', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', ssm.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_PROFILE', '');
    ssm.byPath = paged(FACTS);
    const result = await lookup(opts());
    expect(result.written).toBe(true);
    expect(pathCalls()).toHaveLength(4);
  });

  it('retries throttling with backoff, then succeeds', async () => {
    let n = 0;
    const ok = paged(FACTS);
    ssm.byPath = (call) => (++n <= 2 ? error('ThrottlingException', 'Rate exceeded') : ok(call));
    const result = await lookup(opts({ client: client() }));
    expect(n).toBe(6);
    expect(result.written).toBe(true);
  });

  it('fails when throttling never stops', async () => {
    ssm.byPath = () => error('ThrottlingException', 'Rate exceeded');
    await expect(lookup(opts({ client: client(2) }))).rejects.toThrow(
      /^SSM kept throttling GetParametersByPath \/eksai\/dev\/ in us-west-2 after retries with backoff: wait a minute and rerun `eksai lookup --cluster dev`$/,
    );
    expect(pathCalls()).toHaveLength(2);
  });

  it('fails when a required parameter is missing, naming it and the Terraform that writes it', async () => {
    const { 'karpenter/interruption-queue-name': _dropped, ...rest } = FACTS;
    ssm.byPath = paged(rest);
    const err = await lookup(opts({ client: client() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingParametersError);
    expect((err as MissingParametersError).missing).toEqual(['karpenter/interruption-queue-name']);
    expect((err as Error).message).toContain(
      'clusters/dev.lookups.json: parameters.karpenter/interruption-queue-name is missing: SSM parameter /eksai/dev/karpenter/interruption-queue-name',
    );
    expect((err as Error).message).toContain('terraform/bootstrap');
    expect(() => readFileSync(file())).toThrow();
  });

  it('fails when a required parameter is a SecureString', async () => {
    const { 'network/vpc-id': vpc, ...rest } = FACTS;
    ssm.byPath = paged(rest, [{ ...param('network/vpc-id', vpc!), Type: 'SecureString' }]);
    await expect(lookup(opts({ client: client() }))).rejects.toThrow(
      'clusters/dev.lookups.json: parameters.network/vpc-id is unusable: SSM parameter /eksai/dev/network/vpc-id (VPC id of the cluster) is a SecureString',
    );
  });

  it('fails when access is denied, with the IAM fix', async () => {
    ssm.byPath = () => error('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: ssm:GetParametersByPath');
    const err = await lookup(opts({ client: client() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmAccessDeniedError);
    expect((err as Error).message).toMatch(
      /^access denied reading SSM \/eksai\/dev\/ in us-west-2 .*allow ssm:GetParametersByPath on arn:aws:ssm:us-west-2:<account>:parameter\/eksai\/dev\/\*/,
    );
    expect(pathCalls()).toHaveLength(1);
  });

  it('reports drift in check mode without writing', async () => {
    const committed = serializeLookups({
      amis: AMIS,
      prefix: '/eksai/dev/',
      region: 'us-west-2',
      parameters: { ...FACTS, 'network/vpc-id': 'vpc-0000000000000000a', 'account/id': '1' },
    });
    writeFileSync(file(), committed);
    ssm.byPath = paged(FACTS);
    const result = await lookup(opts({ check: true, client: client() }));
    expect(result.written).toBe(false);
    expect(result.drift).toEqual([
      { name: 'account/id', status: 'removed', committed: '1' },
      { name: 'network/vpc-id', status: 'changed', committed: 'vpc-0000000000000000a', ssm: FACTS['network/vpc-id'] },
    ]);
    expect(readFileSync(file(), 'utf8')).toBe(committed);
  });

  it('reports AMI drift in check mode: a new id for an image, an alias no longer pinned', async () => {
    const old = { ...AMIS, 'al2023@v20260610': { kubernetesVersion: '1.35', images: { 'amd64/standard': 'ami-0cccccccccccccc03' } } };
    writeFileSync(file(), serializeLookups({ amis: old, prefix: '/eksai/dev/', region: 'us-west-2', parameters: FACTS }));
    ssm.byPath = paged(FACTS);
    ssm.publicParameters.set(NVIDIA, 'ami-0ddddddddddddddd4');
    const result = await lookup(opts({ check: true, client: client() }));
    expect(result.drift).toEqual([
      { name: 'amis/al2023@v20260610/amd64/standard', status: 'removed', committed: 'ami-0cccccccccccccc03' },
      { name: 'amis/al2023@v20260610/kubernetesVersion', status: 'removed', committed: '1.35' },
      { name: 'amis/al2023@v20260714/amd64/nvidia', status: 'changed', committed: 'ami-0bbbbbbbbbbbbbbb2', ssm: 'ami-0ddddddddddddddd4' },
    ]);
  });

  it('fails when a folder stands where the lookups file goes, with LookupsWriteError', async () => {
    mkdirSync(file());
    ssm.byPath = paged(FACTS);
    await expect(lookup(opts({ client: client() }))).rejects.toThrow(
      /^clusters\/dev\.lookups\.json is not a regular file \(a folder, link or device is in its place\): remove it/,
    );
  });

  it('reports no drift and rewrites nothing when the file is current', async () => {
    writeFileSync(file(), serializeLookups({ amis: AMIS, prefix: '/eksai/dev/', region: 'us-west-2', parameters: FACTS }));
    ssm.byPath = paged(FACTS);
    const checked = await lookup(opts({ check: true, client: client() }));
    expect(checked.drift).toEqual([]);
    const again = await lookup(opts({ client: client() }));
    expect(again.written).toBe(false);
  });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(ssm.endpoint, args, env);

describe('eksai lookup (CLI, read-only --check against the committed clusters/dev.lookups.json)', () => {
  const committed = () =>
    JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'clusters', 'dev.lookups.json'), 'utf8')) as {
      parameters: Record<string, string>;
      amis: Record<string, { images: Record<string, string> }>;
    };

  beforeEach(() => {
    // The public AMI parameters of clusters/dev.ts, answering with the ids the committed file records.
    const amis = committed().amis;
    ssm.publicParameters = new Map(
      amiNeeds(nodeImageInputs(clusterSchema.parse(clusters.dev))).flatMap((n) =>
        n.images.map((i) => [i.parameter, amis[n.alias]!.images[i.key]!] as [string, string]),
      ),
    );
  });

  it('exits 0 when SSM matches the committed file, reading the region from clusters/dev.ts', async () => {
    ssm.byPath = paged(committed().parameters);
    const out = await cli(['lookup', '--cluster', 'dev', '--check', '--format', 'json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ region: 'us-west-2', prefix: '/eksai/dev/', drift: [], written: false });
  });

  it('fails when SSM drifted from the committed file, with exit code 1 and the changed name', async () => {
    ssm.byPath = paged({ ...committed().parameters, 'network/vpc-id': 'vpc-0fffffffffffffff0' });
    const out = await cli(['lookup', '--cluster', 'dev', '--check']);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('clusters/dev.lookups.json drifted from SSM /eksai/dev/ in us-west-2');
    expect(out.stdout).toMatch(/changed network\/vpc-id committed=vpc-\w+ ssm=vpc-0fffffffffffffff0/);
  });

  it('fails when --cluster is missing, with exit code 2', async () => {
    const out = await cli(['lookup']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--cluster <name> is required');
  });
});

describe('lookup never hangs', () => {
  const FAST = { connectMs: 300, requestMs: 300, totalMs: 10_000 };
  const bounded = (maxAttempts = 2) =>
    createSsmClient('us-west-2', resolveTimeouts(FAST, {}), {
      endpoint: ssm.endpoint,
      maxAttempts,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });

  async function fails(options: Record<string, unknown>): Promise<{ err: Error; ms: number }> {
    const start = Date.now();
    const err = (await lookup(opts(options)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(() => readFileSync(file())).toThrow();
    return { err, ms: Date.now() - start };
  }

  it('fails when the server accepts and never answers, with SsmTimeoutError after the request timeout', async () => {
    ssm.byPath = () => 'hang';
    const { err, ms } = await fails({ client: bounded(), timeouts: FAST });
    expect(err).toBeInstanceOf(SsmTimeoutError);
    expect(err.message).toMatch(/^SSM in us-west-2 did not answer within 300 ms for GetParametersByPath \/eksai\/dev\/, after retries; nothing was written/);
    expect(pathCalls()).toHaveLength(2);
    expect(ms).toBeLessThan(5_000);
  });

  it('fails when the TCP connect never completes, with SsmTimeoutError after the connect timeout', async () => {
    // A listener on 127.0.0.1 whose accept backlog is full: the kernel drops further SYNs, so connect hangs.
    const listener = spawn(
      'python3',
      [
        '-c',
        [
          'import socket, time',
          "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0); port = s.getsockname()[1]",
          'fill = [socket.socket() for _ in range(3)]',
          '[c.setblocking(False) for c in fill]',
          "[c.connect_ex(('127.0.0.1', port)) for c in fill]",
          'time.sleep(0.2); print(port, flush=True); time.sleep(60)',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<string>((r) => listener.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
      const blackhole = createSsmClient('us-west-2', resolveTimeouts(FAST, {}), {
        endpoint: `http://127.0.0.1:${port}`,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      });
      const { err, ms } = await fails({ client: blackhole, timeouts: FAST });
      expect(err).toBeInstanceOf(SsmTimeoutError);
      expect(err.message).toMatch(/^SSM in us-west-2 did not connect within 300 ms for GetParametersByPath \/eksai\/dev\//);
      expect(ms).toBeLessThan(3_000);
    } finally {
      listener.kill('SIGKILL');
    }
  });

  it('fails when the server answers, but slower than the request timeout', async () => {
    const ok = paged(FACTS);
    for (const delayMs of [400, 1_500]) {
      ssm.calls.length = 0;
      ssm.byPath = (call) => ({ delayMs, ...(ok(call) as { status: number; body: unknown }) });
      const { err, ms } = await fails({ client: bounded(1), timeouts: FAST });
      expect(err).toBeInstanceOf(SsmTimeoutError);
      expect(err.message).toContain('did not answer within 300 ms');
      expect(ms).toBeLessThan(delayMs + 1_000);
    }
  });

  it('fails when the whole lookup passes its deadline, even while each request is within its timeout', async () => {
    const ok = paged(FACTS);
    ssm.byPath = (call) => ({ delayMs: 250, ...(ok(call) as { status: number; body: unknown }) });
    const { err, ms } = await fails({ client: bounded(), timeouts: { ...FAST, totalMs: 600 } });
    expect(err).toBeInstanceOf(SsmTimeoutError);
    expect(err.message).toMatch(
      /^SSM in us-west-2 did not finish GetParametersByPath \/eksai\/dev\/ within 600 ms \(the whole lookup, retries included\); nothing was written/,
    );
    expect(ms).toBeLessThan(2_000);
  });

  it('takes the timeouts from EKSAI_SSM_* with the default client, and fails when one is malformed', async () => {
    stubAwsEnv(ssm.endpoint);
    vi.stubEnv('EKSAI_SSM_REQUEST_TIMEOUT_MS', '200');
    vi.stubEnv('EKSAI_SSM_TOTAL_TIMEOUT_MS', '1500');
    ssm.byPath = () => 'hang';
    const { err, ms } = await fails({});
    expect(err).toBeInstanceOf(SsmTimeoutError);
    expect(ms).toBeLessThan(3_000);
    for (const bad of ['0', '-5', '1e3', 'soon', '99999999999']) {
      vi.stubEnv('EKSAI_SSM_REQUEST_TIMEOUT_MS', bad);
      await expect(lookup(opts())).rejects.toThrow(/^EKSAI_SSM_REQUEST_TIMEOUT_MS must be a positive number of milliseconds/);
    }
  });

  it('fails without echoing credentials of AWS_ENDPOINT_URL_SSM or more than 300 characters of a server message', async () => {
    stubAwsEnv(ssm.endpoint.replace('http://', 'http://proxyuser:hunter2@'));
    ssm.byPath = () => error('InternalServerError', 'x'.repeat(100_000));
    const { err } = await fails({ client: bounded(1), timeouts: FAST });
    expect(err.message).toContain(` at http://***@127.0.0.1:`);
    expect(err.message).not.toContain('hunter2');
    expect(err.message.length).toBeLessThan(700);
  });

  it('fails when SSM hands back a NextToken it already returned, after two requests', async () => {
    for (const token of ['same', '1']) {
      ssm.calls.length = 0;
      ssm.byPath = () => ({ status: 200, body: { Parameters: [param('cluster/endpoint', FACTS['cluster/endpoint']!)], NextToken: token } });
      const { err } = await fails({ client: client() });
      expect(err).toBeInstanceOf(SsmRepeatedTokenError);
      expect(err.message).toMatch(
        /^SSM returned the same NextToken twice for GetParametersByPath \/eksai\/dev\/ in us-west-2 \(page 2\), which would loop forever; nothing was written/,
      );
      expect(pathCalls()).toHaveLength(2);
    }
  });

  it('fails when SSM returns endless distinct tokens, at the page cap', async () => {
    ssm.byPath = (call) => ({ status: 200, body: { Parameters: [], NextToken: `t${Number((call.body.NextToken ?? 't0').slice(1)) + 1}` } });
    const { err } = await fails({ client: client() });
    expect(err).toBeInstanceOf(SsmPageLimitError);
    expect(err.message).toMatch(/^SSM returned more than 50 pages of GetParametersByPath \/eksai\/dev\/ in us-west-2/);
    expect(pathCalls()).toHaveLength(SSM_MAX_PAGES);
    ssm.calls.length = 0;
    await expect(lookup(opts({ client: client(), maxPages: 3 }))).rejects.toThrow(SsmPageLimitError);
    expect(pathCalls()).toHaveLength(3);
  });

  it('fails with exit code 2 from the CLI when SSM never answers, writing nothing', async () => {
    ssm.byPath = () => 'hang';
    const before = readFileSync(resolve(__dirname, '..', '..', 'clusters', 'dev.lookups.json'), 'utf8');
    const out = await cli(['lookup', '--cluster', 'dev'], { EKSAI_SSM_REQUEST_TIMEOUT_MS: '200', EKSAI_SSM_TOTAL_TIMEOUT_MS: '1500' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /SSM at http:\/\/127\.0\.0\.1:\d+ in us-west-2 did not (answer within 200 ms|finish GetParametersByPath \/eksai\/dev\/ within 1500 ms)/,
    );
    expect(readFileSync(resolve(__dirname, '..', '..', 'clusters', 'dev.lookups.json'), 'utf8')).toBe(before);
  });
});
