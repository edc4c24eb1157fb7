import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, vi } from 'vitest';

/**
 * A fake SSM on 127.0.0.1 speaking the JSON 1.1 protocol the SDK sends (POST, x-amz-target
 * AmazonSSM.<Operation>, content-type application/x-amz-json-1.1): GetParametersByPath answers from
 * a scripted handler, GetParameters from a map of public parameters (unknown names come back in
 * InvalidParameters, as SSM does).
 */
export interface Call {
  readonly target: string;
  readonly body: { Path?: string; Recursive?: boolean; WithDecryption?: boolean; NextToken?: string; MaxResults?: number; Names?: string[] };
}
export type Reply = { status: number; body: unknown } | 'hang' | { delayMs: number; status: number; body: unknown };

export interface FakeSsm {
  readonly endpoint: string;
  readonly calls: Call[];
  /** GetParametersByPath handler. */
  byPath: (call: Call) => Reply;
  /** Public parameters GetParameters knows (name → value). */
  publicParameters: Map<string, string>;
  close(): Promise<void>;
}

export const FACTS: Record<string, string> = {
  'cluster/endpoint': 'https://ABC123.gr7.us-west-2.eks.amazonaws.com',
  'karpenter/interruption-queue-name': 'eksai-dev-karpenter',
  'karpenter/node-role-name': 'eksai-dev-karpenter-node',
  'network/vpc-id': 'vpc-0a1b2c3d4e5f60718',
};

export function param(name: string, value: string, prefix = '/eksai/dev/') {
  return { Name: `${prefix}${name}`, Type: 'String', Value: value, Version: 1 };
}

/** Pages of one parameter each, chained by NextToken. */
export function paged(params: Record<string, string>, extra: ReturnType<typeof param>[] = []): (call: Call) => Reply {
  const all = [...Object.entries(params).map(([k, v]) => param(k, v)), ...extra];
  return (call) => {
    const i = call.body.NextToken ? Number(call.body.NextToken) : 0;
    const next = i + 1 < all.length ? String(i + 1) : undefined;
    return { status: 200, body: { Parameters: all.slice(i, i + 1), ...(next ? { NextToken: next } : {}) } };
  };
}

export function error(type: string, message: string): Reply {
  return { status: 400, body: { __type: `com.amazonaws.ssm#${type}`, message } };
}

export async function startFakeSsm(): Promise<FakeSsm> {
  const sockets = new Set<Socket>();
  const fake: FakeSsm = {
    endpoint: '',
    calls: [],
    byPath: () => ({ status: 500, body: {} }),
    publicParameters: new Map(),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const call: Call = { target: String(req.headers['x-amz-target']), body: data ? JSON.parse(data) : {} };
      fake.calls.push(call);
      const json = req.method === 'POST' && String(req.headers['content-type']).startsWith('application/x-amz-json-1.1');
      let reply: Reply;
      if (json && call.target === 'AmazonSSM.GetParametersByPath') reply = fake.byPath(call);
      else if (json && call.target === 'AmazonSSM.GetParameters') {
        const names = call.body.Names ?? [];
        reply =
          names.length > 10
            ? error('ValidationException', 'Member must have length less than or equal to 10')
            : {
                status: 200,
                body: {
                  Parameters: names
                    .filter((n) => fake.publicParameters.has(n))
                    .map((n) => ({ Name: n, Type: 'String', Value: fake.publicParameters.get(n), Version: 1, DataType: 'aws:ec2:image' })),
                  InvalidParameters: names.filter((n) => !fake.publicParameters.has(n)),
                },
              };
      } else reply = { status: 400, body: { __type: 'UnknownOperationException' } };
      if (reply === 'hang') return;
      const send = (r: { status: number; body: unknown }) => {
        if (res.destroyed) return;
        res.writeHead(r.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' });
        res.end(JSON.stringify(r.body));
      };
      if ('delayMs' in reply) {
        const r = reply;
        setTimeout(() => send(r), r.delayMs).unref();
      } else send(reply);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (fake as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export function testClient(endpoint: string, maxAttempts = 4): SSMClient {
  return new SSMClient({ region: 'us-west-2', endpoint, maxAttempts, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
}

/** Starts one fake SSM for the calling test file (beforeAll / afterAll); the getter returns it. */
export function useFakeSsm(): () => FakeSsm {
  let ssm: FakeSsm | undefined;
  beforeAll(async () => {
    ssm = await startFakeSsm();
  });
  afterAll(async () => {
    await ssm?.close();
  });
  return () => ssm!;
}

/** Test credentials and the fake endpoint for the SDK's default chain (undone by vi.unstubAllEnvs). */
export function stubAwsEnv(endpoint: string): void {
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  vi.stubEnv('AWS_PROFILE', '');
}

/** Runs the real CLI in a child process (async: the fake SSM server lives in this process). */
export function runCli(endpoint: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = resolve(__dirname, '..', '..');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'eksai.js'), ...args],
      {
        cwd: root,
        env: { ...process.env, AWS_ENDPOINT_URL_SSM: endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: '', ...env },
      },
      (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
