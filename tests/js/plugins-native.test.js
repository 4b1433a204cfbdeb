// The adapters over the real plugin packages on "Android": the real
// @capacitor/core and the plugins' own JavaScript, with the native side
// recorded (capacitor-bridge.js). Counts the native reads — the biometric
// prompts — on every path that asks the provider, and checks what a missing
// or wrong plugin gives.
import 'fake-indexeddb/auto';
import { calls, lastOptions, loadPlugins, native, resetNative } from './capacitor-bridge.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { EncryptedStore, EnveilError, init, providers } from '../../js/index.js';

await init();
const { core, SecureStorage, SecureStoragePlugin, NativeBiometric, EnveilKeystore } = await loadPlugins();
const collections = { notes: { encrypted: ['body'] } };

test('the harness is Android as @capacitor/core sees it, with the three plugins and the keystore installed natively', () => {
  assert.equal(core.Capacitor.getPlatform(), 'android');
  for (const name of ['SecureStorage', 'SecureStoragePlugin', 'NativeBiometric', 'EnveilKeystore']) {
    assert.equal(core.Capacitor.isPluginAvailable(name), true, name);
  }
});

/**
 * Each adapter, with the native calls that read its key: a read of a
 * secret store (for native-biometric, getSecureData: the biometric prompt),
 * or a use of the hardware key. `making`: the reads when the key is made —
 * the stores without a prompt check absence, write and read back; native-
 * biometric checks absence with isDataSaved, which reads no secret.
 */
const adapters = [
  { name: 'aparajitaSecureStorage', make: (o = {}) => providers.aparajitaSecureStorage(SecureStorage, o), reads: ['SecureStorage.internalGetItem'], making: 2,
    lose: (key = 'enveil.kek') => native.secureStorage.delete(`capacitor-storage_${key}`) },
  { name: 'secureStoragePlugin', make: (o = {}) => providers.secureStoragePlugin(SecureStoragePlugin, o), reads: ['SecureStoragePlugin.get'], making: 2,
    lose: (key = 'enveil.kek') => native.secureStoragePlugin.delete(key) },
  { name: 'nativeBiometric', make: (o = {}) => providers.nativeBiometric(NativeBiometric, { prompt: { reason: 'Unlock' }, ...o }), reads: ['NativeBiometric.getSecureData'], making: 1,
    lose: (key = 'enveil.kek') => native.biometric.delete(key) },
  { name: 'capacitorKeystore', make: (o = {}) => providers.capacitorKeystore(EnveilKeystore, { biometric: { reason: 'Unlock' }, alias: o.key ?? 'enveil' }),
    reads: ['EnveilKeystore.wrapKey', 'EnveilKeystore.unwrapKey'], making: 1, lose: (key = 'enveil') => native.keystore.delete(key) },
];

/** Runs `step` and returns how many native reads and biometric prompts it made. @param {string[]} reads */
async function counted(reads, step) {
  const from = calls.length;
  const prompts = native.prompts;
  const result = await step();
  return { result, reads: calls.slice(from).filter((c) => reads.includes(c)).length, prompts: native.prompts - prompts, log: calls.slice(from) };
}

for (const adapter of adapters) {
  test(`${adapter.name}: one native read — at most one biometric prompt — on every path that asks the provider`, async (t) => {
    resetNative();
    const idb = new IDBFactory();
    const open = (name) => EncryptedStore.open({ name, provider: adapter.make(), collections, indexedDB: idb });
    /** @param {string} what @param {() => Promise<any>} step @param {number} [expected] */
    const once = async (what, step, expected = 1) => {
      const { result, reads, prompts, log } = await counted(adapter.reads, step);
      assert.equal(reads, expected, `${what}: native reads (${log.join(', ')})`);
      assert.ok(prompts <= 1, `${what}: ${prompts} biometric prompts (${log.join(', ')})`);
      return result;
    };
    let store = await once('a new store on a new key', () => open('a'), adapter.making);
    await store.put('notes', 1, { body: 'one' });
    store.close();
    store = await once('unlock (reopen)', () => open('a'));
    const second = await once('a second store on the existing key', () => open('b'));
    second.close();
    store.lock();
    await once('unlock() after lock()', () => store.unlock());
    await once('rotateMasterKey onto the same key', () => store.rotateMasterKey(adapter.make()));
    const recoveryKey = await once('createRecoveryKey', () => store.createRecoveryKey());
    store.close();
    const recover = () => EncryptedStore.recover({ name: 'a', recoveryKey, newProvider: adapter.make(), indexedDB: idb });
    store = await once('recover while the key is still there', recover);
    store.close();
    adapter.lose();
    await t.test('the key lost: open is KEY_UNAVAILABLE, recover makes a new one', async () => {
      await assert.rejects(open('a'), { code: 'KEY_UNAVAILABLE' });
      store = await once('recover after the key was lost', recover, adapter.making);
      assert.equal((await store.get('notes', 1)).body, 'one');
      store.close();
      store = await once('unlock (reopen) under the new key', () => open('a'));
      store.close();
    });
  });
}

test('nativeBiometric: a cancelled prompt is KEY_UNAVAILABLE, never replaces the key, and the next open prompts once', async () => {
  resetNative();
  const idb = new IDBFactory();
  const open = () => EncryptedStore.open({ name: 'c', provider: providers.nativeBiometric(NativeBiometric), collections, indexedDB: idb });
  (await open()).close();
  const kept = native.biometric.get('enveil.kek')?.value;
  native.nextPrompt = 'cancel';
  await assert.rejects(open(), { code: 'KEY_UNAVAILABLE' });
  assert.equal(native.biometric.get('enveil.kek')?.value, kept);
  native.nextPrompt = 'ok';
  const { reads } = await counted(['NativeBiometric.getSecureData'], async () => (await open()).close());
  assert.equal(reads, 1);
});

test('nativeBiometric: accessControl NONE (which getSecureData cannot read back) and unknown values are INVALID_ARGUMENT when made', () => {
  for (const accessControl of [providers.BiometricAccess.NONE, 3, -1, '1', 1.5]) {
    assert.throws(() => providers.nativeBiometric(NativeBiometric, { accessControl: /** @type {any} */ (accessControl) }), { code: 'INVALID_ARGUMENT' }, String(accessControl));
  }
  for (const accessControl of [providers.BiometricAccess.BIOMETRY_CURRENT_SET, providers.BiometricAccess.BIOMETRY_ANY]) {
    assert.equal(typeof providers.nativeBiometric(NativeBiometric, { accessControl }).wrapKey, 'function');
  }
});

test('the plugin fake keeps accessControl NONE where getSecureData cannot read it, as the plugin does: why NONE is refused', async () => {
  resetNative();
  await NativeBiometric.setData({ key: 'k', value: 'v', accessControl: 0 });
  assert.equal((await NativeBiometric.isDataSaved({ key: 'k' })).isSaved, true);
  await assert.rejects(NativeBiometric.getSecureData({ key: 'k' }), { code: '21' });
});

test('a plugin given to the wrong adapter is INVALID_ARGUMENT when the adapter is made (Capacitor registered it under another name)', () => {
  const wrong = [
    [providers.aparajitaSecureStorage, NativeBiometric], [providers.aparajitaSecureStorage, SecureStoragePlugin],
    [providers.secureStoragePlugin, SecureStorage], [providers.secureStoragePlugin, NativeBiometric],
    [providers.nativeBiometric, SecureStorage], [providers.nativeBiometric, EnveilKeystore],
    [providers.capacitorKeystore, SecureStorage], [providers.capacitorKeystore, NativeBiometric], [providers.capacitorKeystore, SecureStoragePlugin],
  ];
  for (const [adapter, plugin] of wrong) {
    assert.throws(() => adapter(/** @type {any} */ (plugin)), (err) => err instanceof EnveilError && err.code === 'INVALID_ARGUMENT' && /is not/.test(err.message),
      `${adapter.name} took the wrong plugin`);
  }
});

test('a missing plugin object, or a plugin the native app does not hold (no `npx cap sync`), is UNSUPPORTED naming the plugin', () => {
  const cases = [
    [() => providers.aparajitaSecureStorage(/** @type {any} */ (undefined)), 'SecureStorage'],
    [() => providers.secureStoragePlugin(/** @type {any} */ (null)), 'SecureStoragePlugin'],
    [() => providers.nativeBiometric(/** @type {any} */ (undefined)), 'NativeBiometric'],
    [() => providers.capacitorKeystore(/** @type {any} */ (undefined)), 'EnveilKeystorePlugin'],
  ];
  for (const [make, name] of cases) {
    assert.throws(make, (err) => err instanceof EnveilError && err.code === 'UNSUPPORTED' && err.message.includes(name) && err.message.includes('npx cap sync'), name);
  }
  // The native app without the plugin: Capacitor's list of native plugins lacks it.
  const headers = core.Capacitor.PluginHeaders;
  try {
    core.Capacitor.PluginHeaders = headers.filter((h) => h.name !== 'NativeBiometric' && h.name !== 'SecureStorage');
    for (const make of [() => providers.nativeBiometric(NativeBiometric), () => providers.aparajitaSecureStorage(SecureStorage)]) {
      assert.throws(make, (err) => err.code === 'UNSUPPORTED' && err.message.includes('npx cap sync'));
    }
  } finally {
    core.Capacitor.PluginHeaders = headers;
  }
  // An object that is no plugin at all.
  assert.throws(() => providers.secureStoragePlugin(/** @type {any} */ ({ get() {} })), { code: 'INVALID_ARGUMENT' });
});

for (const code of ['UNIMPLEMENTED', 'UNAVAILABLE']) {
  test(`Capacitor's ${code} from a plugin call is UNSUPPORTED with the plugin's name and "npx cap sync", not KEY_UNAVAILABLE`, async () => {
    for (const adapter of adapters) {
      resetNative();
      const plugin = { aparajitaSecureStorage: 'SecureStorage', secureStoragePlugin: 'SecureStoragePlugin', nativeBiometric: 'NativeBiometric', capacitorKeystore: 'EnveilKeystore' }[adapter.name];
      native.failing[plugin] = code;
      const err = await EncryptedStore.open({ name: 'u', provider: adapter.make(), collections, indexedDB: new IDBFactory() }).then(() => null, (e) => e);
      assert.ok(err instanceof EnveilError, adapter.name);
      assert.equal(err.code, 'UNSUPPORTED', `${adapter.name}: ${err.message}`);
      assert.match(err.message, /npx cap sync/);
      assert.ok(err.message.includes(adapter.name === 'capacitorKeystore' ? 'EnveilKeystorePlugin' : plugin), err.message);
      assert.equal(err.cause?.code, code, 'the plugin error is kept as the cause');
    }
  });
}

test('a key that is really absent or does not unwrap stays KEY_UNAVAILABLE', async () => {
  for (const adapter of adapters) {
    resetNative();
    const idb = new IDBFactory();
    (await EncryptedStore.open({ name: 'k', provider: adapter.make(), collections, indexedDB: idb })).close();
    adapter.lose();
    await assert.rejects(EncryptedStore.open({ name: 'k', provider: adapter.make(), collections, indexedDB: idb }), { code: 'KEY_UNAVAILABLE' }, adapter.name);
  }
});

test("nativeBiometric: the prompt's text reaches the plugin (iOS shows reason, Android title, subtitle, description)", async () => {
  resetNative();
  const prompt = { reason: 'Unlock your notes', title: 'Unlock', subtitle: 'enveil', description: 'Your data', negativeButtonText: 'Cancel' };
  const idb = new IDBFactory();
  (await EncryptedStore.open({ name: 'prompt', provider: providers.nativeBiometric(NativeBiometric, { prompt }), collections, indexedDB: idb })).close();
  (await EncryptedStore.open({ name: 'prompt', provider: providers.nativeBiometric(NativeBiometric, { prompt }), collections, indexedDB: idb })).close();
  assert.deepEqual(lastOptions['NativeBiometric.getSecureData'], { key: 'enveil.kek', ...prompt });
  assert.equal(lastOptions['NativeBiometric.setData'].title, 'Unlock');
});

/** Runs `fn` with Capacitor's list of native plugins changed by `edit`, then puts it back. */
function withHeaders(edit, fn) {
  const headers = core.Capacitor.PluginHeaders;
  core.Capacitor.PluginHeaders = edit(structuredClone(headers));
  try {
    return fn();
  } finally {
    core.Capacitor.PluginHeaders = headers;
  }
}

test('a wrapper around a secret-store plugin is checked against the native app too: without the native part, UNSUPPORTED, not a hang', () => {
  const wrapped = {
    SecureStorage: [providers.aparajitaSecureStorage, { get: (k, c) => SecureStorage.get(k, c), set: (k, d, c) => SecureStorage.set(k, d, c) }],
    SecureStoragePlugin: [providers.secureStoragePlugin, { get: (o) => SecureStoragePlugin.get(o), set: (o) => SecureStoragePlugin.set(o) }],
    NativeBiometric: [providers.nativeBiometric, { setData: (o) => NativeBiometric.setData(o), getSecureData: (o) => NativeBiometric.getSecureData(o), isDataSaved: (o) => NativeBiometric.isDataSaved(o) }],
  };
  for (const [name, [adapter, wrapper]] of Object.entries(wrapped)) {
    assert.equal(typeof adapter(/** @type {any} */ (wrapper)).wrapKey, 'function', `${name}: the wrapper is taken while the native part is there`);
    withHeaders((h) => h.filter((x) => x.name !== name), () => {
      assert.throws(() => adapter(/** @type {any} */ (wrapper)), (err) => err.code === 'UNSUPPORTED' && err.message.includes(name) && /npx cap sync/.test(err.message), name);
    });
  }
});

test('a native part without the methods the adapter calls (a plugin too old) is UNSUPPORTED when made, naming what is missing', () => {
  withHeaders((h) => h.map((x) => (x.name === 'NativeBiometric' ? { ...x, methods: x.methods.filter((m) => m.name !== 'getSecureData') } : x)), () => {
    assert.throws(() => providers.nativeBiometric(NativeBiometric), (err) => err.code === 'UNSUPPORTED' && /getSecureData/.test(err.message) && /too old/.test(err.message));
  });
});

test('capacitorKeystore given another installed plugin of the app (its native entry has no wrapKey/unwrapKey) is INVALID_ARGUMENT when made', () => {
  withHeaders((h) => [...h, { name: 'AppCamera', methods: [{ name: 'takePhoto', rtype: 'promise' }] }], () => {
    const camera = core.registerPlugin('AppCamera');
    assert.throws(() => providers.capacitorKeystore(/** @type {any} */ (camera)), (err) => err.code === 'INVALID_ARGUMENT' && /wrapKey/.test(err.message));
  });
  // Registered, but with no implementation at all: UNSUPPORTED.
  const ghost = core.registerPlugin('AppKeystoreNotSynced');
  assert.throws(() => providers.capacitorKeystore(/** @type {any} */ (ghost)), (err) => err.code === 'UNSUPPORTED' && /npx cap sync/.test(err.message));
});
