#!/usr/bin/env node
'use strict';
// Registers TypeScript (tsx: esbuild transpile, no type-check; `npm run typecheck` does that) and runs the CLI.
(async () => {
  await import('tsx');
  const { main } = require('../lib/cli/index.ts');
  process.exitCode = await main(process.argv.slice(2));
})().catch((err) => {
  process.stderr.write(`eksai: failed to start: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 2;
});
