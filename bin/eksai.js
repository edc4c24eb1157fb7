#!/usr/bin/env node
'use strict';
// Runs the CLI from a precompiled bundle of eksai's TypeScript (esbuild, cached by content, see
// precompile.js); cluster files load through a .ts require hook that shares the bundle's
// lib/config/schema.ts. No type-check here:
// `npm run typecheck` does that.
(async () => {
  const { loadCli, registerTs, saveCodeCache } = require('./precompile');
  const cli = await loadCli();
  registerTs({ shared: cli.shared });
  process.exitCode = await cli.main(process.argv.slice(2));
  saveCodeCache();
})().catch((err) => {
  process.stderr.write(`eksai: failed to start: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 2;
});
