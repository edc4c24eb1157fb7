// The floor: the same objects (JSON, pre-built) serialized with js-yaml and written, one file each.
'use strict';
const { readFileSync, mkdirSync, writeFileSync, rmSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { dump } = require('js-yaml');
const [objectsFile, outdir] = process.argv.slice(2);
const files = JSON.parse(readFileSync(objectsFile, 'utf8'));
for (const [path, obj] of files) {
  const file = join(outdir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, dump(obj, { lineWidth: -1, noRefs: true, sortKeys: false }));
}
rmSync(outdir, { recursive: true, force: true });
