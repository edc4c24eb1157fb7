import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fleetInputs } from '../../bench/fleet';
import { lookupsFor } from '../../bench/lookups';
import { synthesize } from '../../pipeline/synth';
import { clusters } from '../../clusters';
import { REPO } from '../helpers';

describe('benchmark fleet (correctness smoke, never timed)', () => {
  test('a fleet of 3 derived from the examples synthesizes with distinct names', () => {
    const inputs = fleetInputs(3);
    expect(inputs.map((i) => i.name)).toEqual(['dev-000', 'staging-001', 'prod-002']);
    const sources = inputs.map((i) => ({
      name: String(i.name),
      file: `clusters/${String(i.name)}.ts`,
      input: i,
      lookups: lookupsFor(String(i.name), String(i.region), i),
    }));
    const result = synthesize({ cwd: mkdtempSync(join(tmpdir(), 'eksai-fleet-')), sources, dryRun: true });
    expect([...result.clusters.keys()]).toEqual(['dev-000', 'staging-001', 'prod-002']);
    const examples = synthesize({
      cwd: REPO,
      sources: Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input })),
      dryRun: true,
    });
    expect(result.objects).toBe(examples.objects);
  });
});
