#!/usr/bin/env node
'use strict';
// Runs the CLI from a precompiled bundle of eksai's TypeScript (esbuild, cached by content, see
// precompile.js); cluster files load through a .ts require hook. No type-check here:
// `npm run typecheck` does that.
(async () => {
  const { loadCli, registerTs } = require('./precompile');
  const { main } = await loadCli();
  registerTs();
  process.exitCode = await main(process.argv.slice(2));
})().catch((err) => {
  process.stderr.write(`eksai: failed to start: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 2;
});
