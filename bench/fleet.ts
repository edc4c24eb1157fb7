import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusters } from '../clusters';
import { lookupsFor } from './lookups';

/**
 * A synthetic fleet of N clusters derived from the examples: cluster i is a copy of dev, staging or
 * prod (round robin) named `<base>-<i>`, with its own lookups. Written as a repo root (clusters/index.ts
 * as plain data, lookups files) so every route reads the same input.
 */
export function fleetInputs(n: number): Record<string, unknown>[] {
  const bases = Object.values(clusters) as Record<string, unknown>[];
  return Array.from({ length: n }, (_, i) => {
    const base = bases[i % bases.length]!;
    return { ...base, name: `${String(base.name)}-${String(i).padStart(3, '0')}` };
  });
}

export function writeFleetRepo(dir: string, n: number): void {
  mkdirSync(join(dir, 'clusters'), { recursive: true });
  const inputs = fleetInputs(n);
  const body = inputs.map((i) => `  ${JSON.stringify(i.name)}: ${JSON.stringify(i)},`).join('\n');
  writeFileSync(join(dir, 'clusters', 'index.ts'), `export const clusters = {\n${body}\n};\n`);
  for (const i of inputs) {
    writeFileSync(join(dir, 'clusters', `${String(i.name)}.lookups.json`), `${JSON.stringify(lookupsFor(String(i.name), String(i.region), i), null, 2)}\n`);
  }
}
