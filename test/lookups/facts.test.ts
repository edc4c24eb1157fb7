import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { formatProblem, type Problem } from '../../lib/errors';
import { readLookups } from '../../lib/lookups/file';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFact, MAX_FACT_LENGTH, type FactName } from '../../lib/lookups/facts';
import { InvalidParametersError, lookup } from '../../lib/lookups/ssm';
import { chartObjects, find, loadErrors, loadOk, lookupsFor, minimalInput } from '../helpers';
import { karpenterValues } from '../../charts/karpenter';
import { ciliumValues } from '../../charts/cilium';
import { FACTS, paged, testClient, useFakeSsm, type FakeSsm } from './server';

const HOST = 'ABC123.gr7.us-west-2.eks.amazonaws.com';

/** Hostile values per fact, with the error each must produce. Secrets in them must never be echoed. */
const HOSTILE: Record<FactName, readonly [string, RegExp][]> = {
  'cluster/endpoint': [
    [`https://admin:hunter2@${HOST}`, /must not contain credentials/],
    [`https://hunter2@${HOST}`, /must not contain credentials/],
    [`https://admin:hunter2@${HOST}/`, /must not contain credentials/],
    [`https://${HOST}\t`, /contains a tab at position 47/],
    [`https://${HOST}\n`, /contains a newline/],
    [` https://${HOST}`, /contains a space at position 1/],
    [`https://${HOST}/`, /must not end with a slash/],
    [`https://${HOST}/api`, /must not have a path/],
    [`https://${HOST}?x=1`, /must not have a query string/],
    [`https://${HOST}#frag`, /must not have a fragment/],
    [`https://${HOST}:8443`, /must use port 443/],
    [`https://${HOST}:`, /must use port 443/],
    [`http://${HOST}`, /must use https/],
    [`file://${HOST}`, /must use https/],
    [HOST, /must be an https URL/],
    ['https://10.0.0.1', /not an IP address/],
    ['https://[::1]', /not an IP address/],
    ['https://localhost', /DNS hostname/],
    ['https://abc..eks.amazonaws.com', /DNS hostname/],
    ['https://-abc.eks.amazonaws.com', /DNS hostname/],
    ['https://abc.eks.amazonaws.com.\u0430', /U\+0430/],
    [`https://${'a'.repeat(3000)}.com`, /characters long/],
  ],
  'karpenter/node-role-name': [
    ['arn:aws:iam::111122223333:role/eksai-dev-node', /plain IAM role name/],
    ['role name', /contains a space/],
    ['x'.repeat(65), /plain IAM role name/],
    ['', /plain IAM role name/],
  ],
  'karpenter/interruption-queue-name': [
    ['https://sqs.us-west-2.amazonaws.com/111122223333/eksai-dev', /plain SQS queue name/],
    ['arn:aws:sqs:us-west-2:111122223333:eksai-dev', /plain SQS queue name/],
    ['q\u0000', /U\+0000/],
  ],
  'network/vpc-id': [
    ['vpc-0A1B2C3D4E5F60718', /VPC id/],
    ['vpc-0a1b2c3d4e5f6071', /VPC id/],
    ['subnet-0a1b2c3d4e5f60718', /VPC id/],
    ['vpc-0a1b2c3d4e5f60718\n', /newline/],
  ],
  'storage/efs-file-system-id': [
    ['fs-0123456789abcdef0\n', /contains a newline/],
    ['fs-0123456789abcdef0\nkind: Secret', /contains a newline/],
    ['arn:aws:elasticfilesystem:us-west-2:1:file-system/fs-01234567', /EFS file system id/],
    ['fs-xyz', /EFS file system id/],
  ],
  'account/id': [
    ['1'.repeat(50 * 1024 * 1024), /is 52428800 characters long/],
    ['11112222333', /12-digit AWS account id/],
    ['1111-2222-3333', /12-digit AWS account id/],
    ['１１１１２２２２３３３３', /U\+FF11/],
  ],
};

describe('checkFact', () => {
  it('fails on every hostile value, never showing a password or more than 80 characters of it', () => {
    for (const [name, cases] of Object.entries(HOSTILE) as [FactName, readonly [string, RegExp][]][]) {
      for (const [raw, message] of cases) {
        const r = checkFact(name, raw);
        expect('error' in r ? r.error : `accepted ${JSON.stringify(raw.slice(0, 80))}`, `${name} = ${JSON.stringify(raw.slice(0, 80))}`).toMatch(message);
        if ('error' in r) {
          expect(r.shown).not.toContain('hunter2');
          expect(r.shown.length).toBeLessThanOrEqual(90);
          expect(r.error.length).toBeLessThan(200);
        }
      }
    }
  });

  it('canonicalizes what it accepts: https scheme in lower case, no :443', () => {
    expect(checkFact('cluster/endpoint', `https://${HOST}`)).toEqual({ value: `https://${HOST}` });
    expect(checkFact('cluster/endpoint', `HTTPS://${HOST}:443`)).toEqual({ value: `https://${HOST}` });
    expect(checkFact('account/id', '111122223333')).toEqual({ value: '111122223333' });
    expect(checkFact('network/vpc-id', 'vpc-0a1b2c3d')).toEqual({ value: 'vpc-0a1b2c3d' });
    expect(checkFact('storage/efs-file-system-id', 'fs-0123456789abcdef0')).toEqual({ value: 'fs-0123456789abcdef0' });
    expect(MAX_FACT_LENGTH).toBe(2048);
  });
});

describe('checkFact on every one-character mutation of an endpoint', () => {
  it('either rejects it or returns a canonical https://<host> that WHATWG URL reads back exactly, and that checks to itself', () => {
    const base = `https://${HOST}:443`;
    let accepted = 0;
    for (let pos = 0; pos <= base.length; pos++) {
      for (let code = 0; code < 128; code++) {
        for (const raw of [
          base.slice(0, pos) + String.fromCharCode(code) + base.slice(pos),
          base.slice(0, pos) + String.fromCharCode(code) + base.slice(pos + 1),
        ]) {
          const r = checkFact('cluster/endpoint', raw);
          if ('error' in r) continue;
          accepted += 1;
          const url = new URL(r.value);
          expect(
            {
              protocol: url.protocol,
              username: url.username,
              password: url.password,
              port: url.port,
              pathname: url.pathname,
              search: url.search,
              hash: url.hash,
            },
            raw,
          ).toEqual({ protocol: 'https:', username: '', password: '', port: '', pathname: '/', search: '', hash: '' });
          expect(`https://${url.hostname}`, raw).toBe(r.value.toLowerCase());
          expect(checkFact('cluster/endpoint', r.value)).toEqual(r);
        }
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('synth applies the same fact rules', () => {
  it('fails when a lookups file holds a hostile fact, naming the parameter and masking credentials', () => {
    for (const [name, cases] of Object.entries(HOSTILE) as [FactName, readonly [string, RegExp][]][]) {
      for (const [raw, message] of cases) {
        if (raw === '' || (name === 'account/id' && raw.length > 1000)) continue; // '' is "missing" (load.test.ts); 50 MB: unit test above
        const lookups = lookupsFor('minimal');
        (lookups.parameters as Record<string, string>)[name] = raw;
        const errors = loadErrors(minimalInput(name === 'storage/efs-file-system-id' ? { storage: { efs: true } } : {}), lookups);
        const line = errors.find((e) => e.includes(`parameters.${name}`)) ?? errors.join('\n');
        expect(line).toMatch(message);
        expect(line).toContain('run `eksai lookup --cluster minimal`');
        expect(line).not.toContain('hunter2');
      }
    }
  });

  it('renders only the canonical endpoint: Karpenter gets https://<host>, Cilium the host', () => {
    const lookups = lookupsFor('minimal');
    (lookups.parameters as Record<string, string>)['cluster/endpoint'] = `HTTPS://${HOST}:443`;
    const config = loadOk(minimalInput(), lookups);
    expect(karpenterValues(config).settings.clusterEndpoint).toBe(`https://${HOST}`);
    expect(ciliumValues(config)).toMatchObject({ k8sServiceHost: HOST.toLowerCase(), k8sServicePort: 443 });
    expect(find(chartObjects(config, 'storage'), 'StorageClass', 'gp3')).toBeDefined();
  });
});

describe('lookup refuses to write a fact synth would reject', () => {
  const fake = useFakeSsm();
  let ssm: FakeSsm;
  let cwd: string;
  beforeEach(() => {
    ssm = fake();
    cwd = mkdtempSync(join(tmpdir(), 'eksai-facts-'));
    mkdirSync(join(cwd, 'clusters'));
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });
  const nodes = { kubernetesVersion: '1.35', nodeClasses: [], nodePools: [] };

  it('fails on every hostile value in SSM with InvalidParametersError, writing nothing and echoing no password', async () => {
    for (const [name, cases] of Object.entries(HOSTILE) as [FactName, readonly [string, RegExp][]][]) {
      for (const [raw, message] of cases) {
        if (raw === '') continue; // an empty required parameter is "missing", tested in ssm.test.ts
        ssm.byPath = paged({ ...FACTS, [name]: raw });
        const err = (await lookup({ cluster: 'dev', region: 'us-west-2', cwd, nodes, client: testClient(ssm.endpoint) }).catch((e: unknown) => e)) as Error;
        expect(err, `${name} = ${JSON.stringify(raw.slice(0, 60))}`).toBeInstanceOf(InvalidParametersError);
        expect(err.message).toMatch(message);
        expect(err.message).toContain(`SSM /eksai/dev/: ${name} `);
        expect(err.message).toContain('nothing was written');
        expect(err.message).not.toContain('hunter2');
        expect(err.message.length).toBeLessThan(1000);
        expect(() => readFileSync(join(cwd, 'clusters', 'dev.lookups.json'))).toThrow();
      }
    }
  });

  it('writes the canonical value, never the raw one', async () => {
    ssm.byPath = paged({ ...FACTS, 'cluster/endpoint': `HTTPS://${HOST}:443` });
    const result = await lookup({ cluster: 'dev', region: 'us-west-2', cwd, nodes, client: testClient(ssm.endpoint) });
    expect(result.parameters['cluster/endpoint']).toBe(`https://${HOST}`);
    expect(JSON.parse(readFileSync(join(cwd, 'clusters', 'dev.lookups.json'), 'utf8')).parameters['cluster/endpoint']).toBe(`https://${HOST}`);
  });
});

describe('the lookups file synth reads', () => {
  it('fails when it is huge or not a regular file, without reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksai-lookups-file-'));
    try {
      mkdirSync(join(dir, 'clusters'));
      const path = join(dir, 'clusters', 'minimal.lookups.json');
      const read = () => {
        const problems: Problem[] = [];
        expect(readLookups(dir, 'minimal', problems)).toBeUndefined();
        return problems.map(formatProblem);
      };
      writeFileSync(path, `{"parameters":{},"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      expect(read()).toEqual([
        expect.stringMatching(
          /^clusters\/minimal\.lookups\.json is 2097\d+ bytes, more than a lookups file can be \(at most 1048576\): rerun `eksai lookup --cluster minimal`$/,
        ),
      ]);
      rmSync(path);
      symlinkSync('/dev/zero', path);
      expect(read()).toEqual([
        'clusters/minimal.lookups.json is not a regular file (a folder, device or FIFO is in its place): remove it and rerun `eksai lookup --cluster minimal`',
      ]);
      rmSync(path);
      mkdirSync(path);
      expect(read()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
