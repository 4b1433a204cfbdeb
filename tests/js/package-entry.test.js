// The package as Node resolves it: `import 'enveil'` and 'enveil/hazmat' go
// through the exports map to dist/node/ (the esbuild bundle `npm run build`
// makes). It must be the same API as js/ and share one WASM core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as source from '../../js/index.js';
import * as sourceHazmat from '../../js/hazmat.js';

test('in Node, enveil and enveil/hazmat resolve to the bundle in dist/node/', () => {
  assert.match(import.meta.resolve('enveil'), /\/dist\/node\/index\.js$/);
  assert.match(import.meta.resolve('enveil/hazmat'), /\/dist\/node\/hazmat\.js$/);
});

test('the bundle exports exactly what js/index.js and js/hazmat.js export', async () => {
  const entry = await import('enveil');
  const hazmat = await import('enveil/hazmat');
  assert.deepEqual(Object.keys(entry).sort(), Object.keys(source).sort());
  assert.deepEqual(Object.keys(hazmat).sort(), Object.keys(sourceHazmat).sort());
  assert.deepEqual(Object.keys(entry.providers).sort(), Object.keys(source.providers).sort());
});

test('both entries share one core: one init() promise, and a record sealed by one opens through the other', async () => {
  const entry = await import('enveil');
  const hazmat = await import('enveil/hazmat');
  assert.equal(entry.init, hazmat.init, 'one init function, so one WASM instance');
  await entry.init();
  // Before any hazmat.init() of its own: works because the core is shared.
  const kek = hazmat.randomBytes(32);
  const ring = entry.Keyring.create({ kek });
  const sealed = ring.encrypt('a field value', 'contacts/1/email');
  assert.equal(new TextDecoder().decode(ring.decrypt(sealed, 'contacts/1/email')), 'a field value');
  assert.throws(() => ring.decrypt(sealed, 'contacts/2/email'), (e) => e instanceof entry.EnveilError && e.code === 'AUTH_FAILED');
  // The same format as the source files: the bundle's keyring opens under js/.
  await source.init();
  const exported = ring.export();
  const again = source.Keyring.load({ kek, entries: exported });
  assert.equal(new TextDecoder().decode(again.decrypt(sealed, 'contacts/1/email')), 'a field value');
  ring.destroy();
  again.destroy();
});

test('the bundle is built from the current sources (every export name of js/ appears in it)', async () => {
  // A stale dist/node/ would be caught by the export comparison above only
  // when an export changed; this also checks an error message of today's js/.
  const files = await import('node:fs/promises').then((fs) => fs.readdir(new URL('../../dist/node/', import.meta.url)));
  const text = (await Promise.all(files.map((f) => readFile(new URL(`../../dist/node/${f}`, import.meta.url), 'utf8')))).join('\n');
  const wasmJs = await readFile(new URL('../../js/internal/wasm.js', import.meta.url), 'utf8');
  const message = /'(enveil is not initialised[^']*)'/.exec(wasmJs)?.[1];
  assert.ok(message, 'js/internal/wasm.js has its not-initialised message');
  assert.ok(text.includes(message), 'dist/node/ carries the current not-initialised message: run npm run build');
});
