import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { serializeLookups } from '../../lib/lookups/file';
import { lookup, MissingParametersError, SsmAccessDeniedError } from '../../lib/lookups/ssm';

/** A fake SSM speaking the JSON 1.1 protocol, with a scripted queue of responses. */
interface Call {
  readonly target: string;
  readonly body: { Path?: string; Recursive?: boolean; WithDecryption?: boolean; NextToken?: string };
}
type Reply = { status: number; body: unknown };

const calls: Call[] = [];
let handler: (call: Call) => Reply = () => ({ status: 500, body: {} });
let server: Server;
let endpoint: string;
let cwd: string;

const FACTS: Record<string, string> = {
  'cluster/endpoint': 'https://ABC123.gr7.us-west-2.eks.amazonaws.com',
  'karpenter/interruption-queue-name': 'eksai-dev-karpenter',
  'karpenter/node-role-name': 'eksai-dev-karpenter-node',
  'network/vpc-id': 'vpc-0a1b2c3d4e5f60718',
};

function param(name: string, value: string) {
  return { Name: `/eksai/dev/${name}`, Type: 'String', Value: value, Version: 1 };
}

/** Pages of one parameter each, chained by NextToken. */
function paged(params: Record<string, string>, extra: ReturnType<typeof param>[] = []): (call: Call) => Reply {
  const all = [...Object.entries(params).map(([k, v]) => param(k, v)), ...extra];
  return (call) => {
    const i = call.body.NextToken ? Number(call.body.NextToken) : 0;
    const next = i + 1 < all.length ? String(i + 1) : undefined;
    return { status: 200, body: { Parameters: all.slice(i, i + 1), ...(next ? { NextToken: next } : {}) } };
  };
}

function error(type: string, message: string): Reply {
  return { status: 400, body: { __type: `com.amazonaws.ssm#${type}`, message } };
}

function client(maxAttempts = 4): SSMClient {
  return new SSMClient({ region: 'us-west-2', endpoint, maxAttempts, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const call: Call = { target: String(req.headers['x-amz-target']), body: data ? JSON.parse(data) : {} };
      calls.push(call);
      const reply = req.method === 'POST' && call.target === 'AmazonSSM.GetParametersByPath' && String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')
        ? handler(call)
        : { status: 400, body: { __type: 'UnknownOperationException' } };
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  calls.length = 0;
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
    handler = paged(FACTS, [param('some/other', 'x'), param('account/id', '123456789012')]);
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() });
    expect(result.pages).toBe(6);
    expect(calls.map((c) => c.body.NextToken)).toEqual([undefined, '1', '2', '3', '4', '5']);
    expect(calls[0]).toMatchObject({ target: 'AmazonSSM.GetParametersByPath', body: { Path: '/eksai/dev/', Recursive: true, WithDecryption: false } });
    expect(result.ignored).toEqual(['some/other']);
    expect(result.written).toBe(true);
    expect(readFileSync(file(), 'utf8')).toBe(serializeLookups({ prefix: '/eksai/dev/', region: 'us-west-2', parameters: { ...FACTS, 'account/id': '123456789012' } }));
  });

  it('honours AWS_ENDPOINT_URL_SSM with the default client', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_PROFILE', '');
    handler = paged(FACTS);
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd });
    expect(result.pages).toBe(4);
    expect(calls).toHaveLength(4);
  });

  it('honours AWS_ENDPOINT_URL when no SSM-specific endpoint is set', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_PROFILE', '');
    handler = paged(FACTS);
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd });
    expect(result.written).toBe(true);
    expect(calls).toHaveLength(4);
  });

  it('retries throttling with backoff, then succeeds', async () => {
    let n = 0;
    const ok = paged(FACTS);
    handler = (call) => (++n <= 2 ? error('ThrottlingException', 'Rate exceeded') : ok(call));
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() });
    expect(n).toBe(6);
    expect(result.written).toBe(true);
  });

  it('fails when throttling never stops', async () => {
    handler = () => error('ThrottlingException', 'Rate exceeded');
    await expect(lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client(2) })).rejects.toThrow(/^SSM kept throttling GetParametersByPath \/eksai\/dev\/ in us-west-2 after retries with backoff: wait a minute and rerun `eksai lookup --cluster dev`$/);
    expect(calls).toHaveLength(2);
  });

  it('fails when a required parameter is missing, naming it and the Terraform that writes it', async () => {
    const { 'karpenter/interruption-queue-name': _dropped, ...rest } = FACTS;
    handler = paged(rest);
    const err = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingParametersError);
    expect((err as MissingParametersError).missing).toEqual(['karpenter/interruption-queue-name']);
    expect((err as Error).message).toContain('clusters/dev.lookups.json: parameters.karpenter/interruption-queue-name is missing: SSM parameter /eksai/dev/karpenter/interruption-queue-name');
    expect((err as Error).message).toContain('terraform/bootstrap');
    expect(() => readFileSync(file())).toThrow();
  });

  it('fails when a required parameter is a SecureString', async () => {
    const { 'network/vpc-id': vpc, ...rest } = FACTS;
    handler = paged(rest, [{ ...param('network/vpc-id', vpc!), Type: 'SecureString' }]);
    await expect(lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() })).rejects.toThrow(
      'clusters/dev.lookups.json: parameters.network/vpc-id is unusable: SSM parameter /eksai/dev/network/vpc-id (VPC id of the cluster) is a SecureString',
    );
  });

  it('fails when access is denied, with the IAM fix', async () => {
    handler = () => error('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: ssm:GetParametersByPath');
    const err = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmAccessDeniedError);
    expect((err as Error).message).toMatch(/^access denied reading SSM \/eksai\/dev\/ in us-west-2 .*allow ssm:GetParametersByPath on arn:aws:ssm:us-west-2:<account>:parameter\/eksai\/dev\/\*/);
    expect(calls).toHaveLength(1);
  });

  it('reports drift in check mode without writing', async () => {
    const committed = serializeLookups({ prefix: '/eksai/dev/', region: 'us-west-2', parameters: { ...FACTS, 'network/vpc-id': 'vpc-0000000000000000a', 'account/id': '1' } });
    writeFileSync(file(), committed);
    handler = paged(FACTS);
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, check: true, client: client() });
    expect(result.written).toBe(false);
    expect(result.drift).toEqual([
      { name: 'account/id', status: 'removed', committed: '1' },
      { name: 'network/vpc-id', status: 'changed', committed: 'vpc-0000000000000000a', ssm: FACTS['network/vpc-id'] },
    ]);
    expect(readFileSync(file(), 'utf8')).toBe(committed);
  });

  it('reports no drift and rewrites nothing when the file is current', async () => {
    writeFileSync(file(), serializeLookups({ prefix: '/eksai/dev/', region: 'us-west-2', parameters: FACTS }));
    handler = paged(FACTS);
    const checked = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, check: true, client: client() });
    expect(checked.drift).toEqual([]);
    const again = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, client: client() });
    expect(again.written).toBe(false);
  });
});

/** Runs the real CLI in a child process (async: the fake SSM server lives in this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = resolve(__dirname, '..', '..');
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin', 'eksai.js'), ...args], {
      cwd: root,
      env: { ...process.env, AWS_ENDPOINT_URL_SSM: endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: '', ...env },
    }, (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('eksai lookup (CLI, read-only --check against the committed clusters/dev.lookups.json)', () => {
  const committed = () => JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'clusters', 'dev.lookups.json'), 'utf8')) as { parameters: Record<string, string> };

  it('exits 0 when SSM matches the committed file, reading the region from clusters/dev.ts', async () => {
    handler = paged(committed().parameters);
    const out = await cli(['lookup', '--cluster', 'dev', '--check', '--format', 'json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ region: 'us-west-2', prefix: '/eksai/dev/', drift: [], written: false });
  });

  it('fails when SSM drifted from the committed file, with exit code 1 and the changed name', async () => {
    handler = paged({ ...committed().parameters, 'network/vpc-id': 'vpc-0fffffffffffffff0' });
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
