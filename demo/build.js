// Bundles the demo with esbuild, importing 'enveil' through the package's
// exports map exactly as an app would. Output: demo/dist/.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
await mkdir(path.join(here, 'dist'), { recursive: true });
const result = await build({
  entryPoints: [path.join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: path.join(here, 'dist/main.js'),
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
await copyFile(path.join(here, 'src/index.html'), path.join(here, 'dist/index.html'));
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes;
console.log(`demo bundled: demo/dist/main.js (${bytes} bytes)`);
