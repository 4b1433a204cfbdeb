// The package's Node entry points: js/index.js and js/hazmat.js (with the
// WASM module they load) bundled by esbuild into dist/node/ with splitting:
// code both entries use sits in shared chunks, so both use one core and
// `init()` once, and each dynamic import() becomes a chunk loaded when it
// runs: the WASM glue and payload (in init()) and the code of an open store
// and vault (js/internal/open-code.js, at the first EncryptedStore.open()).
// Node pays per module file at import time (resolve, read, compile: a few
// tenths of a millisecond each here), so a bundle beats the 21 source files
// js/index.js imports; what `import('enveil')` loads is dist/node/index.js and
// the chunks it imports statically (tests/js/lazy-store-code.test.js checks
// that the store's chunk is not one of them). Browsers and bundlers get the
// source files (the exports map's "default"). The package has no runtime
// dependency: the store speaks to IndexedDB through its own promise layer.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
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
  // The WASM payloads uncompressed (scripts/pack-wasm.mjs --node-raw), and
  // js/node/wasm-payload.js, which only decodes base64, in place of the
  // browsers' inflating js/internal/wasm-payload.js.
  plugins: [{
    name: 'node-wasm-payload',
    setup(b) {
      const browser = path.join(root, 'js/internal/wasm-payload.js');
      b.onResolve({ filter: /wasm-payload\.js$/ }, (args) =>
        path.resolve(args.resolveDir, args.path) === browser ? { path: path.join(root, 'js/node/wasm-payload.js') } : undefined);
      b.onResolve({ filter: /enveil-(baseline|simd)\.wasm\.js$/ }, (args) => {
        const raw = path.join(root, 'build/node-payload', path.basename(args.path));
        if (!existsSync(raw)) return { errors: [{ text: `${raw} is missing: run bash scripts/build.sh (pack-wasm.mjs --node-raw)` }] };
        return { path: raw };
      });
    },
  }],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${path.basename(file)} ${o.bytes} B`);
console.log(`bundled the Node entries into dist/node/: ${sizes.join(', ')}`);
