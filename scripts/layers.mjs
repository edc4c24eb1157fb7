#!/usr/bin/env node
// `npm run lint`'s layer check: dependency-cruiser over the product and its tools with .dependency-cruiser.cjs.
// Runs dependency-cruiser through its API (the same cruise the `depcruise` CLI runs) because the CLI refuses
// Node 20, which the machines ship; its engines say Node >= 22 and CI runs this on Node 24 too.
// Usage: node scripts/layers.mjs [--config <file>] [paths...] (default: every top-level source folder). No baseline: every violation fails.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { config: { type: 'string', default: '.dependency-cruiser.cjs' } },
});
const DEFAULT_PATHS = ['main.ts', 'lib', 'charts', 'apps', 'clusters', 'pipeline', 'cli', 'bench', 'scripts', 'test'];
const paths = positionals.length > 0 ? positionals : DEFAULT_PATHS.filter((p) => existsSync(p));
const config = createRequire(import.meta.url)(resolve(values.config));
const { options = {}, ...ruleSet } = config;
const result = await cruise(
  paths,
  { ...options, validate: true, ruleSet: { ...ruleSet, options }, outputType: 'err' },
  {},
  { tsConfig: options.tsConfig?.fileName ? extractTSConfig(options.tsConfig.fileName) : {} },
);
process.stdout.write(result.output);
process.exitCode = result.exitCode;
