// The adapters over the three real secret-store plugins in Debian's
// Chromium, where Capacitor runs each plugin's web implementation: refused
// without the opt-in, and with it, working — and showing why they are
// refused: the key sits in the page's own storage. The README's Capacitor
// example, bundled with the real packages, runs here and picks webCrypto().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../../demo/serve.js';
import { bundlePage, launchProfile, root, skip } from './chromium.js';


let server, context, profile, pageUrl;
before(async () => {
  if (skip) return;
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const example = readme.match(/<!-- readme-capacitor[^>]*run in Chromium[^>]*-->\s*```js\n([\s\S]*?)```/)?.[1];
  assert.ok(example, "the README's Capacitor example");
  const page = await bundlePage('plugins', [
    "import * as enveil from 'enveil';",
    "import { Capacitor } from '@capacitor/core';",
    "import { SecureStorage } from '@aparajita/capacitor-secure-storage';",
    "import { SecureStoragePlugin } from 'capacitor-secure-storage-plugin';",
    "import { NativeBiometric } from '@capgo/capacitor-native-biometric';",
    'Object.assign(window, { enveil, Capacitor, plugins: { SecureStorage, SecureStoragePlugin, NativeBiometric } });',
    'window.ready = true;',
  ], { 'readme-capacitor.js': example });
  server = await startDemoServer(0);
  pageUrl = `${server.origin}${page}`;
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-plugins-'));
  context = await launchProfile(profile);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function tab() {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.ready);
  return page;
}

/** Each adapter, its plugin on window.plugins, and how its web implementation keeps the key. */
const adapters = [
  { adapter: 'aparajitaSecureStorage', plugin: 'SecureStorage', id: 'secure-storage:enveil.kek',
    // JSON text of the base64 key, in clear.
    stolen: "JSON.parse(localStorage.getItem('capacitor-storage_enveil.kek'))", survivesReload: true },
  { adapter: 'secureStoragePlugin', plugin: 'SecureStoragePlugin', id: 'secure-storage-plugin:enveil.kek',
    // btoa of the base64 key.
    stolen: "atob(localStorage.getItem('cap_sec_enveil.kek'))", survivesReload: true },
  { adapter: 'nativeBiometric', plugin: 'NativeBiometric', id: 'native-biometric:enveil.kek',
    // A Map in the page: whatever script runs there reads it, no prompt.
    stolen: "(await plugins.NativeBiometric.getSecureData({ key: 'enveil.kek' })).value", survivesReload: false },
];

test('on the web, the three adapters over the real plugins refuse with UNSUPPORTED naming webCrypto(), and nothing is stored', { skip }, async () => {
  const page = await tab();
  const result = await page.evaluate(async (list) => {
    const { enveil, Capacitor, plugins } = window;
    const out = { platform: Capacitor.getPlatform(), refused: {} };
    for (const { adapter, plugin } of list) {
      try {
        await enveil.EncryptedStore.open({ name: `refused-${adapter}`, provider: enveil.providers[adapter](plugins[plugin]), collections: {} });
        out.refused[adapter] = 'opened';
      } catch (err) {
        out.refused[adapter] = `${err.code}: ${err.message}`;
      }
    }
    out.databases = (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('refused-'));
    out.localStorage = Object.keys(localStorage);
    return out;
  }, adapters);
  await page.close();
  assert.equal(result.platform, 'web');
  for (const { adapter } of adapters) {
    assert.match(result.refused[adapter], /^UNSUPPORTED: .*providers\.webCrypto\(\).*allowInsecureWeb/, adapter);
  }
  assert.deepEqual(result.databases, []);
  assert.deepEqual(result.localStorage, []);
});

for (const a of adapters) {
  test(`${a.adapter} with { allowInsecureWeb: true } over the real plugin's web implementation: put, reopen, reload; and the key lies in the page`, { skip }, async () => {
    const page = await tab();
    const name = `web-${a.adapter}`;
    const first = await page.evaluate(async ({ a, name }) => {
      const { enveil, plugins } = window;
      const provider = () => enveil.providers[a.adapter](plugins[a.plugin], { allowInsecureWeb: true });
      const collections = { notes: { encrypted: ['body'] } };
      let store = await enveil.EncryptedStore.open({ name, provider: provider(), collections });
      await store.put('notes', 1, { body: 'kept on the web' });
      const recoveryKey = await store.createRecoveryKey();
      store.close();
      store = await enveil.EncryptedStore.open({ name, provider: provider(), collections });
      const reopened = (await store.get('notes', 1)).body;
      const providerId = store.providerId;
      store.close();
      // What the refusal is about: the key, read from the page, opens the store.
      // eslint-disable-next-line no-eval
      const stolen = await (0, eval)(`(async () => ${a.stolen})()`);
      const key = Uint8Array.from(atob(stolen), (c) => c.charCodeAt(0));
      const thief = await enveil.EncryptedStore.open({ name, provider: enveil.providers.memory(key, { id: a.id }), collections });
      const read = (await thief.get('notes', 1)).body;
      thief.close();
      return { reopened, providerId, read, keyBytes: key.length, recoveryKey };
    }, { a, name });
    assert.equal(first.reopened, 'kept on the web');
    assert.equal(first.providerId, a.id);
    assert.equal(first.keyBytes, 32);
    assert.equal(first.read, 'kept on the web', 'the key read from the page opened the store');

    await page.reload();
    await page.waitForFunction(() => window.ready);
    const second = await page.evaluate(async ({ a, name, recoveryKey }) => {
      const { enveil, plugins } = window;
      const provider = () => enveil.providers[a.adapter](plugins[a.plugin], { allowInsecureWeb: true });
      const collections = { notes: { encrypted: ['body'] } };
      try {
        const store = await enveil.EncryptedStore.open({ name, provider: provider(), collections });
        const body = (await store.get('notes', 1)).body;
        store.close();
        return { reopened: body };
      } catch (err) {
        if (err.code !== 'KEY_UNAVAILABLE') throw err;
        const store = await enveil.EncryptedStore.recover({ name, recoveryKey, newProvider: provider() });
        const body = (await store.get('notes', 1)).body;
        store.close();
        return { lost: err.code, recovered: body };
      }
    }, { a, name, recoveryKey: first.recoveryKey });
    await page.close();
    if (a.survivesReload) {
      assert.deepEqual(second, { reopened: 'kept on the web' });
    } else {
      // native-biometric's web Map is gone after a reload: the store is KEY_UNAVAILABLE, the recovery key brings it back.
      assert.deepEqual(second, { lost: 'KEY_UNAVAILABLE', recovered: 'kept on the web' });
    }
  });
}

test("the README's Capacitor example, bundled with the real plugins, runs on the web and picks webCrypto()", { skip }, async () => {
  const page = await tab();
  const result = await page.evaluate(async () => {
    const failed = [];
    let checked = 0;
    const original = console.assert;
    console.assert = (cond, ...rest) => {
      checked++;
      if (!cond) failed.push(rest.join(' ') || 'assertion');
    };
    try {
      await import('./plugins/plugins-readme-capacitor.js');
    } finally {
      console.assert = original;
    }
    return { failed, checked, databases: (await indexedDB.databases()).map((d) => d.name).sort() };
  });
  await page.close();
  assert.deepEqual(result.failed, []);
  assert.equal(result.checked, 1);
  assert.ok(result.databases.includes('my-app') && result.databases.includes('enveil-keys'), result.databases.join(', '));
});
