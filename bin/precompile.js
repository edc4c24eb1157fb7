'use strict';
/**
 * How `bin/eksai.js` runs TypeScript without paying for it on every start:
 *
 * - eksai's own code (lib/, charts/, apps/, pipeline/, cli/, imports/) and the packages synth needs at start (INLINE)
 *   are bundled once by esbuild into `.cache/eksai/cli-<key>.js`; other packages stay plain
 *   `require`s. The key is a SHA-256 over the exact bytes esbuild read (captured in an onLoad
 *   plugin), the names in every folder a .ts input came from (a new file could change what an
 *   import resolves to), tsconfig.json, package-lock.json and FORMAT. Every start re-hashes those
 *   inputs, so a stale bundle is never run: any edit, checkout or `npm ci` makes a new key and a
 *   rebuild (~0.5 s, once).
 * - user cluster files (clusters/*.ts and what they import) go through a `.ts` require hook: one
 *   esbuild transform per file content, cached as `.cache/eksai/ts/<sha>.js`; SHARED modules are
 *   handed the bundle's instance. Only `.ts` is hooked, so node_modules load at plain-node speed.
 *
 * The bundle runs with V8's code cache of an earlier run (`cli-<key>.js.v8`, written after the first
 * command that ran it). It has a linked source map that node ignores by default (parsing source maps
 * of every module costs start-up time); `node --enable-source-maps bin/eksai.js ...` maps stacks to
 * the .ts sources.
 * When the cache cannot be written (read-only checkout) everything still works, built in memory.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const vm = require('node:vm');
const { dirname, join, relative, sep } = require('node:path');

/** Bump when the build options below change. */
const FORMAT = 2;
const ROOT = join(__dirname, '..');
const ENTRY = 'cli/index.ts';
/**
 * Packages compiled into the bundle (one file instead of ~200 module lookups and reads: zod alone is
 * 95 files); the rest (AWS SDK, ajv, CEL, ...) stay plain `require`s, loaded only by the commands
 * that need them. cdk8s features that spawn helper scripts next to their own files (Yaml.load /
 * Include of URLs) would not find them from the bundle; eksai uses only App, Chart and ApiObject.
 */
const INLINE = new Set(['zod', 'cdk8s', 'constructs', 'yaml', 'fast-json-patch', 'js-yaml']);
/**
 * eksai modules that cluster files import (`defineCluster`): the .ts hook hands them the bundle's
 * instance instead of compiling a second copy (which would load zod a second time).
 */
const SHARED = ['lib/config/schema.ts'];
/** Files that change the output without being read by esbuild's loader. */
const EXTRA_INPUTS = ['tsconfig.json', 'package-lock.json'];

const defaultCacheDir = (root) => join(root, '.cache', 'eksai');

function readOrNull(file) {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * SHA-256 over FORMAT, the node major, every input's path and bytes (`bytesOf(rel)`, null = missing),
 * tsconfig.json, package-lock.json and the names in every folder holding a .ts input (where an
 * extensionless import could start resolving to a new file); null when an input is gone.
 */
function keyOf(root, inputs, bytesOf) {
  const h = createHash('sha256');
  h.update(`eksai-precompile ${FORMAT} ${process.versions.node.split('.')[0]}\0`);
  const dirs = new Set();
  for (const rel of [...inputs, ...EXTRA_INPUTS]) {
    const bytes = bytesOf(rel);
    if (bytes === null && !EXTRA_INPUTS.includes(rel)) return null;
    h.update(`${rel}\0${bytes === null ? 'absent' : bytes.length}\0`);
    if (bytes !== null) h.update(bytes);
    if (rel.endsWith('.ts')) dirs.add(dirname(rel));
  }
  for (const dir of [...dirs].sort()) {
    let names;
    try {
      names = readdirSync(join(root, dir)).sort();
    } catch {
      return null;
    }
    h.update(`${dir}/\0${names.join('\0')}\0`);
  }
  return h.digest('hex');
}

/** The key of the sources under `root` now (inputs = paths relative to root, forward slashes). */
const bundleKey = (root, inputs) => keyOf(root, inputs, (rel) => readOrNull(join(root, rel)));

/** Writes a file so that readers see either nothing or the whole content. */
function writeAtomic(file, content) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** The bundle's script while its V8 code cache is missing or stale (see saveCodeCache). */
let pendingCodeCache;

/**
 * Compiles CommonJS `code` as a module named `filename` that resolves packages from `root`. With
 * `codeCacheFile`, V8's code cache of an earlier run is used (V8 checks it against the source and
 * its own version and rejects a mismatch, which then just compiles); under --enable-source-maps
 * node's own loader compiles it, so that stacks map to the TypeScript sources.
 */
function compileModule(code, filename, root, codeCacheFile) {
  const m = new Module(filename, module);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(root);
  if (codeCacheFile === undefined || process.sourceMapsEnabled) {
    m._compile(code, filename);
  } else {
    const cachedData = readOrNull(codeCacheFile) ?? undefined;
    const script = new vm.Script(Module.wrap(code), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) pendingCodeCache = { script, file: codeCacheFile };
    const req = Module.createRequire(join(root, 'eksai-bundle.js'));
    script.runInThisContext()(m.exports, req, m, filename, dirname(filename));
  }
  m.loaded = true;
  return m.exports;
}

/**
 * Stores V8's code cache of the bundle, taken after the command ran so that it holds the functions
 * compiled on the way (the next start skips parsing and compiling them). Best effort.
 */
function saveCodeCache() {
  if (!pendingCodeCache) return;
  try {
    writeAtomic(pendingCodeCache.file, pendingCodeCache.script.createCachedData());
  } catch {
    // read-only cache: compile again next time
  }
  pendingCodeCache = undefined;
}

/** Bundles ENTRY with esbuild; returns the code, its source map and the inputs' content key. */
async function build(root) {
  const esbuild = require('esbuild');
  const read = new Map();
  const capture = {
    name: 'eksai-capture-inputs',
    setup(b) {
      // Load every source ourselves so the key hashes exactly the bytes that were compiled.
      b.onLoad({ filter: /\.([cm]?js|ts|json)$/ }, (args) => {
        const bytes = readFileSync(args.path);
        read.set(relative(root, args.path).split(sep).join('/'), bytes);
        return { contents: bytes, loader: args.path.endsWith('.json') ? 'json' : args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = args.path
          .split('/')
          .slice(0, args.path.startsWith('@') ? 2 : 1)
          .join('/');
        return INLINE.has(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
  const shared = SHARED.filter((rel) => readOrNull(join(root, rel)) !== null);
  const entry = [
    `export * from './${ENTRY}';`,
    ...shared.map((rel, i) => `import * as shared${i} from './${rel}';`),
    `export const shared = { ${shared.map((rel, i) => `${JSON.stringify(rel)}: shared${i}`).join(', ')} };`,
  ].join('\n');
  const out = await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: entry, resolveDir: root, sourcefile: 'eksai-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: 'external',
    sourcesContent: false,
    outfile: join(root, 'cli.js'),
    write: false,
    logLevel: 'silent',
    plugins: [capture],
  });
  const inputs = [...read.keys()].sort();
  const code = out.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const map = out.outputFiles.find((f) => f.path.endsWith('.map')).text;
  // Hash what was read during the build, not what is on disk now (a file saved mid-build must not
  // be paired with a bundle of its old content).
  const key = keyOf(root, inputs, (rel) => read.get(rel) ?? readOrNull(join(root, rel)));
  return { code, map, inputs, key };
}

/**
 * The CLI module (exports `main`) of the eksai sources under `root`: the cached bundle when its key
 * matches the sources, else a fresh build (stored for the next start when the cache is writable).
 */
async function loadCli({ root = ROOT, cacheDir = defaultCacheDir(root) } = {}) {
  const manifestFile = join(cacheDir, 'manifest.json');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    manifest = undefined;
  }
  if (manifest && Array.isArray(manifest.inputs) && typeof manifest.key === 'string' && bundleKey(root, manifest.inputs) === manifest.key) {
    const file = join(cacheDir, `cli-${manifest.key}.js`);
    const code = readOrNull(file);
    if (code !== null) {
      globalThis.__EKSAI_SOURCE_KEY__ = manifest.key;
      return compileModule(code.toString('utf8'), file, root, `${file}.v8`);
    }
  }
  const built = await build(root);
  // A hash of every source byte in the bundle (+ package-lock): what pipeline/check/compiled.ts keys its cache on
  // when its own source files are not beside it.
  globalThis.__EKSAI_SOURCE_KEY__ = built.key;
  const file = join(cacheDir, `cli-${built.key}.js`);
  try {
    writeAtomic(`${file}.map`, built.map);
    writeAtomic(file, `${built.code}//# sourceMappingURL=cli-${built.key}.js.map\n`);
    writeAtomic(manifestFile, `${JSON.stringify({ key: built.key, inputs: built.inputs })}\n`);
    for (const name of readdirSync(cacheDir)) {
      if (/^cli-[0-9a-f]{64}\.js(\.map|\.v8)?$/.test(name) && !name.startsWith(`cli-${built.key}.`)) {
        try {
          rmSync(join(cacheDir, name), { force: true });
        } catch {
          // another process may be using or removing it
        }
      }
    }
  } catch {
    // read-only checkout: run from memory
  }
  return compileModule(built.code, file, root);
}

/** Turns esbuild's "Transform failed with 1 error:" into the first error with its position. */
function transformError(err, filename) {
  const first = err && Array.isArray(err.errors) ? err.errors[0] : undefined;
  if (!first) return err;
  const where = first.location ? `${filename}:${first.location.line}:${first.location.column + 1}` : filename;
  return new SyntaxError(`${where}: ${first.text}`);
}

/**
 * Hooks `require` of `.ts` files (cluster files and whatever they import): esbuild transform to
 * CommonJS, cached by content. `shared` (the bundle's `shared` export: path relative to root →
 * module exports) is handed out as is. Idempotent.
 */
function registerTs({ root = ROOT, cacheDir = defaultCacheDir(root), shared = {} } = {}) {
  if (Module._extensions['.ts'] && Module._extensions['.ts'].eksai) return;
  let esbuildVersion;
  const target = `node${process.versions.node.split('.')[0]}`;
  const hook = function (module, filename) {
    const rel = relative(root, filename).split(sep).join('/');
    if (Object.hasOwn(shared, rel)) {
      module.exports = shared[rel];
      return;
    }
    const source = readFileSync(filename, 'utf8');
    esbuildVersion ??= JSON.parse(readFileSync(require.resolve('esbuild/package.json', { paths: [root] }), 'utf8')).version;
    const sha = createHash('sha256').update(`eksai-ts ${FORMAT} ${esbuildVersion} ${target}\0`).update(source).digest('hex');
    const cached = join(cacheDir, 'ts', `${sha}.js`);
    let code = readOrNull(cached)?.toString('utf8');
    if (code === undefined) {
      try {
        code = require('esbuild').transformSync(source, { loader: 'ts', format: 'cjs', target, sourcefile: filename }).code;
      } catch (err) {
        throw transformError(err, filename);
      }
      try {
        writeAtomic(cached, code);
      } catch {
        // read-only: transform again next time
      }
    }
    module._compile(code, filename);
  };
  hook.eksai = true;
  Module._extensions['.ts'] = hook;
}

module.exports = { loadCli, registerTs, bundleKey, saveCodeCache };
