// Lint: typescript-eslint's type-aware recommended rules (promises that are never awaited or are passed where a
// callback is expected are bugs here: the CLI would exit before the work finishes) over every TypeScript file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // JavaScript files (bin/, bench/floor.js, scripts/layers.mjs, configs) are outside tsconfig, so outside the type-aware rules.
  { ignores: ['node_modules/', 'dist/', 'imports/', '.cache/', '.eksai/', 'coverage/', '.bench/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name` marks a parameter a signature needs or a property destructured away on purpose (`{ a: _a, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Synchronous, lazy `require`s on purpose: the CLI loads a command's module (and the AWS SDK, ajv, helm lookups behind
    // it) only when that command runs; cluster files load through the .ts require hook of bin/precompile.js; package.json
    // versions and ajv's standalone code are read where they are needed; the precompile test loads the CommonJS bin/
    // module. An `import()` would make these paths async, and esbuild's bundle keeps a require as it is.
    files: [
      'cli/index.ts',
      'cli/commands/index.ts',
      'lib/config/load.ts',
      'pipeline/check/compiled.ts',
      'pipeline/render/helm.ts',
      'test/bin/precompile.test.ts',
    ],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read parsed YAML and JSON documents field by field: `any` there is the point, not a leak.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
