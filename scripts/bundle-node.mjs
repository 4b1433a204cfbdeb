// The package's Node entry points: js/index.js and js/hazmat.js (with the
// WASM module they load) bundled by esbuild into dist/node/, one shared
// chunk, so both entries use one core and `init()` once. Node pays per module
// file at import time: the bundle halves a cold `import('enveil')` (about
// 12 ms over 14 files to about 5 ms). Browsers and bundlers get the source
// files (the exports map's "default"). The package has no runtime
// dependency: the store speaks to IndexedDB through its own promise layer.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/node');
await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { index: path.join(root, 'js/index.js'), hazmat: path.join(root, 'js/hazmat.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  chunkNames: 'core-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${path.basename(file)} ${o.bytes} B`);
console.log(`bundled the Node entries into dist/node/: ${sizes.join(', ')}`);
