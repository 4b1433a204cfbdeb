// A test page for any browser suite (Chromium, WebKit): a module of the
// suite's own, bundled with esbuild as an app would bundle the package, and
// the page loading it, served by the demo server from build/e2e/.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles `lines` (an entry module's source, importing 'enveil' and what
 * else it needs) into build/e2e/<name>.js and writes build/e2e/<name>.html
 * loading it. Further `entries` ({ file: source }) are bundled beside it,
 * under build/e2e/<name>/, with code they share split out.
 * @param {string} name @param {string[]} lines @param {Record<string, string>} [entries]
 * @returns {Promise<string>} the page's path on the demo server
 */
export async function bundlePage(name, lines, entries = {}) {
  const dir = path.join(root, 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, `${name}-entry.js`);
  writeFileSync(entry, `${lines.join('\n')}\n`);
  const more = Object.entries(entries).map(([file, source]) => {
    const at = path.join(dir, `${name}-${file}`);
    writeFileSync(at, source);
    return at;
  });
  const common = { bundle: true, format: /** @type {const} */ ('esm'), platform: /** @type {const} */ ('browser'), logLevel: /** @type {const} */ ('warning'), absWorkingDir: root };
  if (more.length) await build({ ...common, entryPoints: [entry, ...more], splitting: true, outdir: path.join(dir, name), entryNames: '[name]' });
  else await build({ ...common, entryPoints: [entry], outfile: path.join(dir, `${name}.js`) });
  const script = more.length ? `./${name}/${name}-entry.js` : `./${name}.js`;
  writeFileSync(path.join(dir, `${name}.html`), `<!doctype html><title>enveil ${name}</title><script type="module" src="${script}"></script>`);
  return `/build/e2e/${name}.html`;
}
