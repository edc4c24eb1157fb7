/**
 * The layers of eksai, enforced by `npm run lint` (scripts/layers.mjs runs dependency-cruiser with this file).
 * Imports run one way, following the flow:
 *
 *   clusters/ ─> lib/ (config, lookups, schemas, placement, ray, errors, secrets, yaml: the foundation)
 *              <─ charts/ + apps/ (pure: config in, constructs out)
 *              <─ pipeline/synth <─ pipeline/render <─ pipeline/validate, pipeline/diff (both on pipeline/check)
 *              <─ cli/ <─ main.ts, bin/, bench/, scripts/
 *
 * and no module imports itself back through any chain. Tests may import anything.
 */
const LAYERS = {
  product: '^(lib|charts|apps|pipeline|cli|clusters)/',
  aboveLib: '^(charts|apps|pipeline|cli|clusters)/',
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle makes load order matter and hides which module is the lower one: move what both need into its own file that both import (e.g. pipeline/validate/types.ts).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-the-foundation',
      severity: 'error',
      comment: 'lib/ is what charts/, apps/ and the pipeline stand on: it imports nothing above it. Move the piece lib needs down into lib/.',
      from: { path: '^lib/' },
      to: { path: LAYERS.aboveLib },
    },
    {
      name: 'lookups-below-config',
      severity: 'error',
      comment:
        'config reads the lookups file (lookups → facts → config); lookups never imports config: what both need lives in lib/lookups (e.g. ClusterFacts), what needs a cluster config in lib/config (node-images.ts, lookup-target.ts).',
      from: { path: '^lib/lookups/' },
      to: { path: '^lib/config/' },
    },
    {
      name: 'charts-and-apps-below-pipeline',
      severity: 'error',
      comment: 'charts/ and apps/ turn a ClusterConfig into constructs; synth, render, validate, diff and the CLI stand on them, never the reverse.',
      from: { path: '^(charts|apps)/' },
      to: { path: '^(pipeline|cli)/' },
    },
    {
      name: 'clusters-only-configure',
      severity: 'error',
      comment: 'A cluster file is configuration: it imports defineCluster (lib/config) and other cluster files, nothing that builds or runs.',
      from: { path: '^clusters/' },
      to: { path: '^(charts|apps|pipeline|cli)/' },
    },
    {
      name: 'pipeline-below-cli',
      severity: 'error',
      comment: 'Commands return data and only cli/ prints: the pipeline never imports the CLI.',
      from: { path: '^pipeline/' },
      to: { path: '^cli/' },
    },
    {
      name: 'synth-is-first',
      severity: 'error',
      comment: 'synth builds and writes dist/; render, validate and diff read what it wrote.',
      from: { path: '^pipeline/synth/' },
      to: { path: '^pipeline/(render|check|validate|diff)/' },
    },
    {
      name: 'render-below-checks',
      severity: 'error',
      comment: 'render runs helm for the Applications synth wrote; validate and diff use its output.',
      from: { path: '^pipeline/render/' },
      to: { path: '^pipeline/(check|validate|diff)/' },
    },
    {
      name: 'check-is-shared',
      severity: 'error',
      comment: 'pipeline/check (schemas, CEL, formats, transition rules) is what validate and diff share: it stands on lib/ only.',
      from: { path: '^pipeline/check/' },
      to: { path: '^pipeline/(synth|render|validate|diff)/' },
    },
    {
      name: 'validate-not-on-diff',
      severity: 'error',
      comment: 'validate and diff are siblings: what both need lives in pipeline/check.',
      from: { path: '^pipeline/validate/' },
      to: { path: '^pipeline/diff/' },
    },
    {
      name: 'diff-not-on-validate',
      severity: 'error',
      comment: 'validate and diff are siblings: what both need lives in pipeline/check.',
      from: { path: '^pipeline/diff/' },
      to: { path: '^pipeline/validate/' },
    },
    {
      name: 'product-not-on-tools',
      severity: 'error',
      comment: 'Tests, the bench and scripts stand on the product; the product never imports them.',
      from: { path: LAYERS.product },
      to: { path: '^(test|bench|scripts)/|^main\\.ts$' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are layering too: a type from a higher layer ties the lower one to it.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '^node_modules/' },
    exclude: { path: '^(node_modules|dist|imports|\\.cache)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
