// The secret-store adapters on the web: the plugins' web implementations
// keep the key readable next to the data (localStorage, or a Map), so the
// adapters refuse unless the app opts in. Without Capacitor at all, then
// with the real @capacitor/core and plugin packages on its 'web' platform.
// (The same in Chromium, with the plugins' localStorage: tests/e2e/plugins.)
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { EncryptedStore, EnveilError, init, providers } from '../../js/index.js';

await init();
const collections = { notes: { encrypted: ['body'] } };

/** @param {unknown} err */
const refusedOnWeb = (err) => err instanceof EnveilError && err.code === 'UNSUPPORTED'
  && err.message.includes('providers.webCrypto()') && err.message.includes('allowInsecureWeb');

const fakes = {
  aparajitaSecureStorage: { get: async () => null, set: async () => {} },
  secureStoragePlugin: { get: async () => ({ value: '' }), set: async () => {} },
  nativeBiometric: { setData: async () => {}, getSecureData: async () => ({ value: '' }), isDataSaved: async () => ({ isSaved: false }) },
};

test('without Capacitor in the page, the three secret-store adapters refuse with UNSUPPORTED naming webCrypto()', () => {
  assert.equal(/** @type {any} */ (globalThis).Capacitor, undefined);
  for (const [name, plugin] of Object.entries(fakes)) {
    assert.throws(() => providers[name](/** @type {any} */ (plugin)), refusedOnWeb, name);
    assert.equal(typeof providers[name](/** @type {any} */ (plugin), { allowInsecureWeb: true }).wrapKey, 'function', `${name} with the opt-in`);
  }
});

test('with @capacitor/core on the web platform, the real plugins are refused unless allowInsecureWeb', async (t) => {
  const { Capacitor, registerPlugin } = await import('@capacitor/core');
  const { SecureStorage } = await import('@aparajita/capacitor-secure-storage');
  const { SecureStoragePlugin } = await import('capacitor-secure-storage-plugin');
  const { NativeBiometric } = await import('@capgo/capacitor-native-biometric');
  assert.equal(Capacitor.getPlatform(), 'web');
  const real = { aparajitaSecureStorage: SecureStorage, secureStoragePlugin: SecureStoragePlugin, nativeBiometric: NativeBiometric };
  for (const [name, plugin] of Object.entries(real)) {
    assert.throws(() => providers[name](/** @type {any} */ (plugin)), refusedOnWeb, name);
    // A plain wrapper around the plugin is refused the same: the platform decides, not the object.
    assert.throws(() => providers[name](/** @type {any} */ ({ ...fakes[name] })), refusedOnWeb, `${name} (wrapped)`);
  }
  await t.test('a store refused: EncryptedStore.open never runs, nothing is stored', async () => {
    const idb = new IDBFactory();
    await assert.rejects(async () => EncryptedStore.open({ name: 'w', provider: providers.nativeBiometric(NativeBiometric), collections, indexedDB: idb }), refusedOnWeb);
    assert.deepEqual((await idb.databases()).map((d) => d.name), []);
  });
  await t.test('with the opt-in, native-biometric\'s web implementation (an in-memory Map, no prompt) works for a demo', async () => {
    const idb = new IDBFactory();
    const provider = () => providers.nativeBiometric(NativeBiometric, { allowInsecureWeb: true, key: 'demo.kek' });
    const store = await EncryptedStore.open({ name: 'w', provider: provider(), collections, indexedDB: idb });
    await store.put('notes', 1, { body: 'hello' });
    store.close();
    const again = await EncryptedStore.open({ name: 'w', provider: provider(), collections, indexedDB: idb });
    assert.equal((await again.get('notes', 1)).body, 'hello');
    again.close();
    // What the refusal is about: the key is in the page, no prompt asked.
    const { value } = await NativeBiometric.getSecureData({ key: 'demo.kek' });
    assert.equal(Buffer.from(value, 'base64').length, 32);
  });
  await t.test('the wrong plugin is INVALID_ARGUMENT on the web too, before the web refusal', () => {
    assert.throws(() => providers.aparajitaSecureStorage(/** @type {any} */ (NativeBiometric)), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => providers.nativeBiometric(/** @type {any} */ (SecureStoragePlugin), { allowInsecureWeb: true }), { code: 'INVALID_ARGUMENT' });
  });
  await t.test('a keystore plugin with no web implementation is UNSUPPORTED (UNIMPLEMENTED) at open, not a lost key', async () => {
    const Keystore = registerPlugin('AppKeystore');
    const err = await EncryptedStore.open({ name: 'k', provider: providers.capacitorKeystore(/** @type {any} */ (Keystore)), collections, indexedDB: new IDBFactory() })
      .then(() => null, (e) => e);
    assert.equal(err?.code, 'UNSUPPORTED', err?.message);
    assert.match(err.message, /npx cap sync/);
    assert.equal(err.cause?.code, 'UNIMPLEMENTED');
  });
});

test('a Capacitor whose getPlatform throws counts as the web: refused', () => {
  const cap = /** @type {any} */ (globalThis).Capacitor;
  const getPlatform = cap.getPlatform;
  cap.getPlatform = () => { throw new Error('broken bridge'); };
  try {
    assert.throws(() => providers.secureStoragePlugin(/** @type {any} */ (fakes.secureStoragePlugin)), refusedOnWeb);
  } finally {
    cap.getPlatform = getPlatform;
  }
});

test('a custom platform (Electron), where Capacitor runs the plugins\' web implementations, is refused as the web; the opt-in works there', async () => {
  const cap = /** @type {any} */ (globalThis).Capacitor;
  const { NativeBiometric } = await import('@capgo/capacitor-native-biometric');
  const getPlatform = cap.getPlatform;
  cap.getPlatform = () => 'electron';
  try {
    assert.throws(() => providers.nativeBiometric(/** @type {any} */ (NativeBiometric)), (err) => refusedOnWeb(err) && /electron/.test(err.message));
    assert.throws(() => providers.aparajitaSecureStorage(/** @type {any} */ ({ ...fakes.aparajitaSecureStorage })), refusedOnWeb, 'a wrapper too');
    const store = await EncryptedStore.open({ name: 'e', provider: providers.nativeBiometric(/** @type {any} */ (NativeBiometric), { allowInsecureWeb: true, key: 'electron.kek' }), collections, indexedDB: new IDBFactory() });
    store.close();
  } finally {
    cap.getPlatform = getPlatform;
  }
});
