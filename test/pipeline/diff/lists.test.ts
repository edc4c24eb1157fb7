import { afterAll, describe, expect, it } from 'vitest';
import { compareDist, renderText } from '../../../pipeline/diff';
import { diffValues } from '../../../pipeline/diff/fields';
import { loadKindSchemas } from '../../../pipeline/diff/listkeys';
import { cleanupDiffRepos, diffTrees, exampleDist, withoutTeam } from './helpers';

afterAll(cleanupDiffRepos);
const diffOf = diffTrees;

describe('diff aligns list items by identity (issue 15 item 6)', () => {
  it('fails when removing team ml-eng from prod reads as shifted index changes instead of one removal per list', async () => {
    const result = await diffOf(exampleDist('prod'), exampleDist('prod', withoutTeam('ml-eng')));
    // Every changed resource reads as the removal of ml-eng's entries, one line each; nothing else moves.
    expect(result.changes.filter((c) => c.kind === 'changed').flatMap((c) => c.fields.map((f) => [`${c.resourceKind}/${c.name} ${f.path}`, f.new]))).toEqual([
      ['AppProject/platform spec.destinations[namespace=ml-eng,server=https://kubernetes.default.svc]', undefined],
      ['Application/jupyterhub spec.sources[0].helm.valuesObject.hub.config.GenericOAuthenticator.allowed_groups', ['research']],
      ['Application/jupyterhub spec.sources[0].helm.valuesObject.singleuser.networkPolicy.egress[1]', undefined],
      ...['cpu-small', 'cpu-large', 'gpu'].map((slug) => [
        `Application/jupyterhub spec.sources[0].helm.valuesObject.singleuser.profileList[slug=${slug}].profile_options.team.choices.ml-eng`,
        undefined,
      ]),
    ]);
    const egress = result.changes.find((c) => c.name === 'jupyterhub')!.fields[1]!;
    expect(JSON.stringify(egress.old)).toContain('"kubernetes.io/metadata.name":"ml-eng"');
    // 12 team objects, and ml-eng's EFS class and its two claims (team and jupyterhub namespaces).
    expect(result.counts).toEqual({ added: 0, changed: 2, renamed: 0, removed: 15 });
    expect(renderText(result)).toContain(
      'spec.destinations[namespace=ml-eng,server=https://kubernetes.default.svc]: {"namespace":"ml-eng","server":"https://kubernetes.default.svc"} → (none)',
    );
  });

  it('fails when containers, env and ports are not keyed by the Kubernetes schema list keys (name; containerPort+protocol with its default)', async () => {
    const deploy = (containers: unknown[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'ml' },
      spec: { selector: {}, template: { spec: { containers } } },
    });
    const base = deploy([
      { name: 'sidecar', image: 's:1', ports: [{ containerPort: 9090 }] },
      {
        name: 'api',
        image: 'a:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [
          { containerPort: 80, protocol: 'TCP' },
          { containerPort: 80, protocol: 'UDP', name: 'dns' },
        ],
      },
    ]);
    const head = deploy([
      { name: 'api', image: 'a:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'UDP', name: 'dns2' }, { containerPort: 80 }] },
    ]);
    const { schemas } = await loadKindSchemas([{ apiVersion: 'apps/v1', kind: 'Deployment' }]);
    const fields = diffValues(base, head, '', { hidden: false, schema: schemas.get('apps/v1|Deployment') });
    expect(fields).toEqual([
      { path: 'spec.template.spec.containers[name=sidecar]', old: { name: 'sidecar', image: 's:1', ports: [{ containerPort: 9090 }] } },
      { path: 'spec.template.spec.containers[name=api].env[name=A]', old: { name: 'A', value: '1' } },
      { path: 'spec.template.spec.containers[name=api].image', old: 'a:1', new: 'a:2' },
      // `protocol` omitted = its schema default TCP: the same port, unchanged (the API server defaults it).
      { path: 'spec.template.spec.containers[name=api].ports[containerPort=80,protocol=TCP].protocol', old: 'TCP', new: undefined },
      { path: 'spec.template.spec.containers[name=api].ports[containerPort=80,protocol=UDP].name', old: 'dns', new: 'dns2' },
    ]);
  });

  it('fails when untyped lists without a name-like key shift: equal items anchor, the rest is one removal', () => {
    const a = {
      rules: [{ to: 'a' }, { to: 'b' }, { to: 'c' }],
      projects: [
        { namespace: 'x', server: 's' },
        { namespace: 'y', server: 's' },
      ],
    };
    const b = { rules: [{ to: 'a' }, { to: 'c' }], projects: [{ namespace: 'y', server: 's' }] };
    expect(diffValues(a, b)).toEqual([
      { path: 'projects[namespace=x,server=s]', old: { namespace: 'x', server: 's' } },
      { path: 'rules[1]', old: { to: 'b' } },
    ]);
  });

  it('keeps NodePool requirements keyed by key, so risk rules still read them', () => {
    const pool = (values: string[]) =>
      new Map([
        [
          'dist/dev/node-pools/NodePool.p.yaml',
          JSON.stringify({
            apiVersion: 'karpenter.sh/v1',
            kind: 'NodePool',
            metadata: { name: 'p' },
            spec: {
              template: {
                spec: {
                  requirements: [
                    { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
                    { key: 'karpenter.sh/capacity-type', operator: 'In', values },
                  ],
                },
              },
            },
          }),
        ],
      ]);
    const d = compareDist(pool(['on-demand']), pool(['spot', 'on-demand']));
    expect(d.changes[0]!.fields).toEqual([
      { path: 'spec.template.spec.requirements[key=karpenter.sh/capacity-type].values', old: ['on-demand'], new: ['spot', 'on-demand'] },
    ]);
  });
});
